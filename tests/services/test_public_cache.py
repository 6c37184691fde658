"""The public board and its poster are drawn once and served from the shared cache; whatever changes what they
show draws them again at once (communities.public_pages, services.public_pages)."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from communities import public_pages
from registration import roster
from registration import services as registration_services
from registration.models import Report
from registration.public_listing import public_listing_set
from services import services as service_ops
from services.models import ServiceNeed
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return factories.CommunityFactory(name="卧虎湾社区")


@pytest.fixture
def staff(community):
    return make_staff("community", community=community)


def roster_xlsx(rows):
    workbook = Workbook()
    workbook.active.append([column.header for column in roster.ROSTER_COLUMNS])
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())


def board(client, community) -> str:
    # At the community's public address, the one that lists who serves there (issue 19, finding 9).
    response = client.get(reverse("services:public-board", args=[community.public_slug]))
    assert response.status_code == 200
    return response.content.decode()


def poster(client, community, **extra) -> str:
    return client.get(reverse("services:public-board-print", args=[community.public_slug]), **extra).content.decode()


def listed(member):
    """The member's consent to be named on the public board (registration.public_listing)."""
    public_listing_set(member=member, consent=True)
    return member


def test_a_cached_board_and_poster_cost_no_query(client, community, django_assert_max_num_queries):
    factories.ServiceNeedFactory(community=community, title="清理楼道")
    factories.ReportFactory(community=community, status=Report.Status.CONFIRMED)
    assert "清理楼道" in board(client, community)
    # The community, its needs and who serves there all come from the cache.
    with django_assert_max_num_queries(0):
        assert "清理楼道" in board(client, community)
    poster(client, community)
    with django_assert_max_num_queries(0):
        assert "清理楼道" in poster(client, community)


def test_an_unknown_code_is_not_found_every_time(client, community):
    for _ in range(2):
        assert client.get(reverse("services:public-board", args=["999999999999"])).status_code == 404
    board(client, community)
    community.delete()
    assert client.get(reverse("services:public-board", args=[community.code])).status_code == 404


def test_a_renamed_community_shows_at_once(client, community):
    assert "卧虎湾社区" in board(client, community)
    community.name = "卧虎湾新社区"
    community.save()
    assert "卧虎湾新社区" in board(client, community)


def test_a_published_need_shows_at_once_and_a_closed_one_goes(client, community, staff):
    need = factories.ServiceNeedFactory(community=community, status=ServiceNeed.Status.DRAFT, title="陪老人看病")
    assert "陪老人看病" not in board(client, community) and "陪老人看病" not in poster(client, community)
    service_ops.need_publish(user=staff, need_id=need.pk)
    assert "陪老人看病" in board(client, community) and "陪老人看病" in poster(client, community)
    service_ops.need_update(
        user=staff, need_id=need.pk, title="陪老人去医院", places=need.places, starts_at=need.starts_at
    )
    assert "陪老人去医院" in board(client, community)
    service_ops.need_close(user=staff, need_id=need.pk, fulfilled=True)
    assert "陪老人去医院" not in board(client, community) and "陪老人去医院" not in poster(client, community)


def test_a_claim_and_its_cancellation_move_the_places_left(client, community):
    need = factories.ServiceNeedFactory(community=community, places=3)
    member = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member
    assert "剩余 3 / 3 个名额" in board(client, community)
    claim = service_ops.claim_create(member=member, need_id=need.pk, commitment="按时到")
    assert "剩余 2 / 3 个名额" in board(client, community)
    service_ops.claim_cancel(member=member, claim_id=claim.pk)
    assert "剩余 3 / 3 个名额" in board(client, community)


def test_who_serves_here_follows_confirmations_moves_and_withdrawals(client, community, staff):
    report = factories.ReportFactory(community=community, status=Report.Status.PENDING)
    member = listed(report.member)
    assert member.name not in board(client, community)
    registration_services.report_confirm(report_id=report.pk, user=staff)
    assert member.name in board(client, community)
    # Reporting to another community ends this one by a queryset update: this board drops the member too.
    elsewhere = factories.CommunityFactory()
    assert member.name not in board(client, elsewhere)
    moved = factories.ReportFactory(member=member, community=elsewhere, status=Report.Status.PENDING)
    registration_services.report_confirm(report_id=moved.pk, user=make_staff("community", community=elsewhere))
    assert member.name not in board(client, community) and member.name in board(client, elsewhere)
    registration_services.member_withdraw(member=member)
    assert member.name not in board(client, elsewhere)


def test_a_renamed_unit_shows_at_once(client, community):
    member = listed(factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member)
    assert member.unit.name in board(client, community)
    member.unit.name = "市新名称局"
    member.unit.save()
    assert "市新名称局" in board(client, community)


def test_a_member_linked_by_a_roster_upload_shows_the_new_unit_at_once(client, community):
    """The upload links the member with a queryset update, which sends no post_save of its own."""
    member = listed(factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member)
    listing_unit = factories.UnitFactory(name="市名册局")  # created first: a new unit draws every page again
    assert member.unit.name in board(client, community)
    id_number = member.id_number
    roster.roster_import_file(
        unit=listing_unit, uploaded_file=roster_xlsx([[member.name, id_number, "科员", "13900000001", ""]])
    )
    member.refresh_from_db()
    assert member.unit_id == listing_unit.pk
    assert "市名册局" in board(client, community)


def test_the_cached_part_is_shared_but_the_header_is_each_visitors_own(client, community):
    member = listed(factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member)
    logged_in = client.__class__()
    logged_in.force_login(member.user)
    page = board(logged_in, community)
    assert 'action="/logout/"' in page and "csrfmiddlewaretoken" in page
    anonymous = board(client, community)
    assert 'action="/logout/"' not in anonymous and "csrfmiddlewaretoken" not in anonymous
    assert member.name in anonymous  # the cached fragment, drawn for the member, serves the visitor


def test_the_poster_is_cached_per_host_its_qr_code_names(client, community):
    first = poster(client, community, HTTP_HOST="board.example.cn")
    other = poster(client, community, HTTP_HOST="testserver")
    assert first != other
    assert poster(client, community, HTTP_HOST="board.example.cn") == first


def test_a_bump_takes_effect_now_and_again_after_commit(django_capture_on_commit_callbacks):
    scope = public_pages.community_scope(1)
    before = public_pages.versions([scope])
    with django_capture_on_commit_callbacks(execute=True):
        public_pages.bump(scope)
        inside = public_pages.versions([scope])
    after = public_pages.versions([scope])
    assert len({before, inside, after}) == 3


def test_an_evicted_version_never_brings_back_an_old_page(client, community):
    factories.ServiceNeedFactory(community=community, title="旧需求")
    assert "旧需求" in board(client, community)
    cache.delete_many([public_pages._version_key(public_pages.community_scope(community.pk))])
    ServiceNeed.objects.filter(community=community).update(title="新需求")  # no signal: only the eviction tells
    assert "新需求" in board(client, community)


# --- Whole pages for anonymous visitors (communities.public_pages.whole_page) ---------------------------------------


def rendered_templates(client, url, **extra) -> tuple[list, str]:
    from django.test.signals import template_rendered

    names = []

    def note(sender, template, **kwargs):
        names.append(template.name)

    template_rendered.connect(note)
    try:
        html = client.get(url, **extra).content.decode()
    finally:
        template_rendered.disconnect(note)
    return names, html


@pytest.mark.parametrize("page", ["services:public-board", "services:public-board-print"])
def test_an_anonymous_visitor_gets_the_whole_page_from_the_cache_without_a_template(client, community, page):
    factories.ServiceNeedFactory(community=community, title="清理楼道")
    url = reverse(page, args=[community.code])
    first, html = rendered_templates(client, url)
    again, cached_html = rendered_templates(client, url)
    assert first and not again
    assert cached_html == html and "清理楼道" in cached_html


def test_the_front_door_is_a_whole_page_per_address(client, community):
    first, _ = rendered_templates(client, "/")
    again, _ = rendered_templates(client, "/")
    searched, html = rendered_templates(client, "/?q=卧虎")
    assert first and not again
    assert searched and community.name in html


def test_a_logged_in_visitor_is_never_served_the_anonymous_page(client, community, staff):
    url = reverse("services:public-board", args=[community.code])
    client.get(url)
    client.get(url)
    client.force_login(staff)
    names, html = rendered_templates(client, url)
    assert names and reverse("logout") in html


def test_the_large_text_mode_has_a_page_of_its_own(client, community):
    url = reverse("services:public-board", args=[community.code])
    standard = client.get(url).content.decode()
    client.cookies["large_text"] = "1"
    names, large = rendered_templates(client, url)
    assert names and large != standard
    client.cookies.pop("large_text")
    assert client.get(url).content.decode() == standard


def test_a_visitor_with_another_cookie_gets_the_page_drawn(client, community):
    url = reverse("services:public-board", args=[community.code])
    client.get(url)
    client.cookies["sessionid"] = "abc"
    names, _ = rendered_templates(client, url)
    assert names


def test_a_page_bumped_while_it_was_drawn_is_drawn_again_next_time(client, community, monkeypatch):
    """It is kept under the tokens read first: the bump that came after makes it stale at once."""
    url = reverse("services:public-board", args=[community.code])
    real = public_pages.fragment

    def bumped_after_reading(*args, **kwargs):
        html = real(*args, **kwargs)
        public_pages.bump(public_pages.community_scope(community.pk))
        return html

    monkeypatch.setattr(public_pages, "fragment", bumped_after_reading)
    client.get(url)
    monkeypatch.setattr(public_pages, "fragment", real)
    names, _ = rendered_templates(client, url)
    assert names


def test_a_whole_page_hit_is_one_cache_round_trip(client, community, monkeypatch):
    url = reverse("services:public-board", args=[community.code])
    client.get(url)
    calls, depth = [], [0]

    def counted(name, real):
        def call(*args, **kwargs):
            if not depth[0]:  # the in-process test cache builds get_many on get: count the outer call only
                calls.append(name)
            depth[0] += 1
            try:
                return real(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many", "set", "set_many", "add"):
        monkeypatch.setattr(public_pages.cache, name, counted(name, getattr(public_pages.cache, name)))
    client.get(url)
    assert calls == ["get_many"]


def test_a_large_text_cookie_typed_by_hand_is_off_and_shares_the_standard_page(client, community):
    url = reverse("services:public-board", args=[community.code])
    standard = client.get(url).content.decode()
    for typed in ("0", "yes", "x" * 40):
        client.cookies["large_text"] = typed
        names, page = rendered_templates(client, url)
        assert not names and page == standard  # no page drawn and kept per typed value
    assert 'class="large-text"' not in standard
