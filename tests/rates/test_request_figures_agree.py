"""The residents' requests' figures in the rates pages (the tab the requests app registers) agree with the staff's
figures page and the community's public page, and stay inside each user's scope. The data set is the hand-worked
month of tests/resident_requests/test_figures.py (read on 31 March 2026): the year so far holds nothing else, and
the public page's last 30 days hold all of it, so every screen must show the same figures."""

import re

import pytest
from django.urls import reverse

from services.requests import selectors
from tests.conftest import make_staff
from tests.resident_requests.conftest import clock, place  # noqa: F401  (fixtures)
from tests.resident_requests.test_figures import month  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

ADMIN_TAB = reverse("rates:tab", args=["requests"])
STREET_TAB = reverse("street-rates:tab", args=["requests"])
FIGURES = ("response_rate", "resolution_rate", "satisfaction_rate", "overdue_now")


def shown(html: str, community_id: int) -> dict:
    """The figures of one community's row as drawn."""
    row = re.search(rf'<tr data-community="{community_id}">(.*?)</tr>', html, re.S).group(1)
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', row))


def tiles(html: str) -> dict:
    """The first set of figure tiles on a page (resident_requests/_figures.html)."""
    found = {}
    for key, value in re.findall(r'data-figure="(\w+)">([^<]*)<', html):
        found.setdefault(key, value)
    return found


def test_the_tab_agrees_with_the_figures_page_and_the_public_page(client, place, month):  # noqa: F811
    community = place["community"]
    expected = selectors.figures(community=community, **month)
    assert (expected.resolved, expected.rated, expected.overdue_now) == (2, 3, 1)  # the hand-worked month
    org = make_staff("org", is_staff=True, district=community.district)
    client.force_login(org)
    admin_tab = client.get(ADMIN_TAB + "?year=2026")
    assert admin_tab.status_code == 200
    org_row = shown(admin_tab.content.decode(), community.pk)
    client.force_login(place["street_staff"])
    street_tab = client.get(STREET_TAB + "?year=2026")
    street_row = shown(street_tab.content.decode(), community.pk)
    # The street's page names the street's figures first: the community is the street's only one with requests.
    street_total = street_tab.context["requests_places"][0]["total"]
    assert street_total == expected
    client.force_login(place["staff"])
    figures_page = client.get(reverse("resident_requests:figures"), {"start": "2026-03-01", "end": "2026-03-31"})
    client.logout()
    public = client.get(reverse("resident_requests:public-raise", args=[community.code]))
    assert public.context["figures"] == expected
    assert figures_page.context["rows"][0]["total"] == expected
    drawn = {key: value for key, value in tiles(public.content.decode()).items() if key in FIGURES}
    assert drawn == {"response_rate": "60.0%", "resolution_rate": "50.0%", "satisfaction_rate": "66.7%",
                     "overdue_now": "1"}
    page_tiles = {key: value for key, value in tiles(figures_page.content.decode()).items() if key in FIGURES}
    assert org_row == street_row == drawn == page_tiles
    # By category: the same grouped definition on every screen.
    assert street_tab.context["requests_places"][0]["by_category"] == figures_page.context["rows"][0]["by_category"]


def test_one_community_in_the_tab_names_its_handlers(client, place, month):  # noqa: F811
    client.force_login(place["street_staff"])
    response = client.get(STREET_TAB, {"year": 2026, "community": place["community"].pk})
    assert response.status_code == 200
    [row] = response.context["requests_places"]
    assert row["by_handler"] == selectors.figures_by_handler(community=place["community"], **month)
    assert row["total"] == selectors.figures(community=place["community"], **month)


def test_the_tab_stays_inside_the_scope(client, place, month):  # noqa: F811
    client.force_login(place["other_street_staff"])
    response = client.get(STREET_TAB, {"year": 2026})
    assert response.status_code == 200
    assert f'data-community="{place["community"].pk}"' not in response.content.decode()
    assert client.get(STREET_TAB, {"year": 2026, "community": place["community"].pk}).status_code == 404
    # Community staff and grid workers have no rates pages.
    for user in (place["staff"], place["worker1"]):
        client.force_login(user)
        assert client.get(STREET_TAB).status_code == 403


@pytest.mark.parametrize(("url", "who", "ceiling"), [(ADMIN_TAB, "org", 11), (STREET_TAB, "street_staff", 13)])
def test_query_ceilings(client, place, month, django_assert_max_num_queries, url, who, ceiling):  # noqa: F811
    user = make_staff("org", is_staff=True) if who == "org" else place[who]
    client.force_login(user)
    with django_assert_max_num_queries(ceiling):
        assert client.get(url, {"year": 2026}).status_code == 200
