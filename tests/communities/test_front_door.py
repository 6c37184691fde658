"""The front door (/ for a visitor): find a community by district → street → community or by name, open its
public pages; names and public pages only; served from the shared cache."""

import re
from html import unescape

import pytest
from django.urls import reverse

from communities import selectors
from communities.platform import navigation
from registration.models import Report
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
LINK = re.compile(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', re.S)


def links_of(response) -> dict[str, str]:
    """The page's links by their visible text (tags inside the link dropped)."""
    return {
        " ".join(re.sub(r"<[^>]+>", " ", text).split()): unescape(href)
        for href, text in LINK.findall(response.content.decode())
    }


def follow(client, response, text: str):
    """Click the link whose visible text starts with `text` (as a person taps a name in a list)."""
    matches = [href for label, href in links_of(response).items() if label.startswith(text)]
    assert len(matches) == 1, f"{text!r} in {sorted(links_of(response))}"
    return client.get(matches[0])


@pytest.fixture
def places():
    district = factories.DistrictFactory(name="城关区")
    other_district = factories.DistrictFactory(name="七里河区")
    street = factories.StreetFactory(district=district, name="酒泉路街道")
    factories.StreetFactory(district=district, name="张掖路街道")
    community = factories.CommunityFactory(street=street, name="金塔巷社区")
    factories.CommunityFactory(street=street, name="中山路社区")
    factories.CommunityFactory(street=factories.StreetFactory(district=other_district), name="西站社区")
    return {"district": district, "street": street, "community": community}


def test_a_resident_reaches_a_communitys_needs_from_home_in_three_clicks(client, places):
    community = places["community"]
    factories.ServiceNeedFactory(community=community, title="陪老人看病")
    home = client.get("/")
    assert home.status_code == 200
    streets = follow(client, home, "城关区")  # click 1: the district
    communities = follow(client, streets, "酒泉路街道")  # click 2: the street
    board = follow(client, communities, "金塔巷社区")  # click 3: the community
    assert board.status_code == 200
    assert board.request["PATH_INFO"] == reverse("services:public-board", args=[community.code])
    assert "陪老人看病" in board.content.decode()


def test_the_front_door_lists_names_and_public_pages_only(client, places):
    member = factories.ReportFactory(community=places["community"], status=Report.Status.CONFIRMED).member
    page = client.get(reverse("communities:find"), {"street": places["street"].pk}).content.decode()
    assert "金塔巷社区" in page and "中山路社区" in page and "西站社区" not in page
    # No code shown as text (only inside the public pages' own addresses), no person named.
    assert f">{places['community'].code}<" not in page
    for value in (member.name, member.phone, member.id_number, member.id_number_mask):
        assert value not in page
    # Each community leads to its board (by its name) and its poster.
    assert f'href="{reverse("services:public-board", args=[places["community"].code])}"' in page
    assert f'href="{reverse("services:public-board-print", args=[places["community"].code])}"' in page


def test_a_search_finds_communities_by_a_part_of_their_name(client, places):
    response = client.get(reverse("communities:find"), {"q": " 金塔 "})
    page = response.content.decode()
    assert "金塔巷社区" in page and "中山路社区" not in page
    assert "城关区 · 酒泉路街道" in page  # where it is, to tell namesakes apart
    assert reverse("services:public-board", args=[places["community"].code]) in page


def test_a_search_of_one_character_asks_for_more(client, places):
    page = client.get(reverse("communities:find"), {"q": "社"}).content.decode()
    assert "请至少输入名称中的 2 个字" in page
    assert "金塔巷社区" not in page  # the district list is shown instead of every community with 社


def test_a_search_is_capped_and_paginated(client, places):
    street = places["street"]
    for number in range(selectors.SEARCH_CAP + 5):
        factories.CommunityFactory(street=street, name=f"幸福{number:03d}社区")
    first = client.get(reverse("communities:find"), {"q": "幸福"}).content.decode()
    assert f"{selectors.SEARCH_CAP} 个社区" in first and "请输入更多名称" in first
    assert first.count("幸福0") == selectors.FRONT_DOOR_PAGE
    last_page = selectors.SEARCH_CAP // selectors.FRONT_DOOR_PAGE
    last = client.get(reverse("communities:find"), {"q": "幸福", "page": last_page}).content.decode()
    assert "幸福099社区" in last and "幸福100社区" not in last
    assert "下一页" not in last


def test_page_links_are_built_from_the_cleaned_choice_not_from_the_address(client, places):
    for number in range(selectors.FRONT_DOOR_PAGE + 1):
        factories.CommunityFactory(street=places["street"], name=f"和平{number:02d}社区")
    page = client.get(reverse("communities:find"), {"q": "和平", "utm": "evil"}).content.decode()
    assert "utm" not in page and "evil" not in page
    assert f'href="{reverse("communities:find")}?q=%E5%92%8C%E5%B9%B3&amp;page=2"' in page


def test_nonsense_choices_show_the_districts(client, places):
    for query in ({"district": "x"}, {"street": "99999999"}, {"district": "-1"}, {"page": "0"}):
        response = client.get(reverse("communities:find"), query)
        assert response.status_code == 200
        assert "城关区" in response.content.decode() and "七里河区" in response.content.decode()


def test_the_front_door_costs_no_query_once_cached(client, places, django_assert_max_num_queries):
    client.get("/")
    client.get(reverse("communities:find"), {"q": "金塔"})
    with django_assert_max_num_queries(0):
        client.get("/")
    with django_assert_max_num_queries(0):
        client.get(reverse("communities:find"), {"q": "金塔"})


def test_a_renamed_or_new_community_shows_at_once(client, places):
    query = {"street": places["street"].pk}
    assert "金塔巷社区" in client.get(reverse("communities:find"), query).content.decode()
    community = places["community"]
    community.name = "金塔新社区"
    community.save()
    factories.CommunityFactory(street=places["street"], name="新建社区")
    page = client.get(reverse("communities:find"), query).content.decode()
    assert "金塔新社区" in page and "新建社区" in page and "金塔巷社区" not in page


def test_a_logged_in_user_still_goes_to_their_place_and_may_open_the_front_door(client, places):
    staff = make_staff("community", community=places["community"])
    client.force_login(staff)
    assert client.get("/").url == reverse("registration:community-home")
    page = client.get(reverse("communities:find")).content.decode()
    assert "城关区" in page
    assert f'href="{reverse("registration:register")}"' not in page  # the ways in are for visitors


def test_a_user_with_no_role_is_told_so(client):
    client.force_login(factories.UserFactory())
    response = client.get("/")
    assert response.status_code == 403
    assert "您的账号还没有角色" in response.content.decode()


def test_public_links_are_registered_by_the_apps():
    keys = [link.key for link in navigation.public_links()]
    assert keys[:2] == ["board", "poster"]
    assert navigation.public_links_for("110101001001")[0]["url"] == reverse(
        "services:public-board", args=["110101001001"]
    )


def test_a_public_link_cannot_be_registered_twice():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        navigation.add_public_link("board", "again", "services:public-board")


def test_staff_see_their_communitys_code_board_and_poster(client, places):
    community = places["community"]
    client.force_login(make_staff("community", community=community))
    page = client.get(reverse("registration:community-home")).content.decode()
    assert community.code in page
    # At the community's public address, which lists who serves there (issue 19, finding 9).
    assert f'href="{reverse("services:public-board", args=[community.public_slug])}"' in page
    assert f'href="{reverse("services:public-board-print", args=[community.public_slug])}"' in page
