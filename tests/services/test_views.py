"""Flows 3 and 4 through the test client: public board, members' board, claims, records, staff pages."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registration.models import Report
from services.models import Claim, OutcomeCategory, PostType, ServiceNeed, ServiceRecord
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def community():
    return factories.CommunityFactory(name="卧虎湾社区", code="110101001001")


@pytest.fixture
def member(community):
    return factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member


@pytest.fixture
def staff(community):
    return make_staff("community", community=community)


def make_needs(community, count, **values):
    return [factories.ServiceNeedFactory(community=community, **values) for _ in range(count)]


# --- The public board -----------------------------------------------------------------------------


def test_the_public_board_needs_no_login_and_groups_published_needs(client, community, member):
    make_needs(community, 2, post_type=PostType.SANITATION, title="清理楼道")
    factories.ServiceNeedFactory(community=community, status=ServiceNeed.Status.DRAFT, title="草稿需求")
    factories.ServiceNeedFactory(title="别的社区的需求")
    response = client.get(reverse("services:public-board", args=[community.code]))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("清理楼道") == 2 and "环境卫生岗" in page
    assert "草稿需求" not in page and "别的社区的需求" not in page
    assert member.name in page and member.unit.name in page


def test_the_public_board_leaks_no_personal_field(client, community, member):
    make_needs(community, 1)
    for url in (
        reverse("services:public-board", args=[community.code]),
        reverse("services:public-board-print", args=[community.code]),
    ):
        page = client.get(url).content.decode()
        for value in (member.phone, member.phone_masked, member.id_number, member.id_number_mask, member.home_address):
            assert value not in page


def test_an_unknown_community_code_is_not_found(client):
    assert client.get(reverse("services:public-board", args=["nope"])).status_code == 404


def test_the_print_poster_has_a_qr_code_and_a4_layout(client, community):
    make_needs(community, 1)
    page = client.get(reverse("services:public-board-print", args=[community.code])).content.decode()
    assert "<svg" in page
    # The A4 rules are in a static stylesheet (the Content-Security-Policy refuses inline ones).
    assert '<link rel="stylesheet" href="/static/css/board-print.css">' in page
    assert "size: A4" in Path(finders.find("css/board-print.css")).read_text()


@pytest.mark.parametrize("count", [10, 200])
def test_the_public_board_query_count_is_fixed(client, community, count, django_assert_max_num_queries):
    for need in make_needs(community, count):
        need.skills.add(factories.SkillFactory(name="维修"))
    for _ in range(5):
        factories.ReportFactory(community=community, status=Report.Status.CONFIRMED)
    # community, needs, who serves
    with django_assert_max_num_queries(3):
        client.get(reverse("services:public-board", args=[community.code]))


# --- The members' board ---------------------------------------------------------------------------------


def test_the_board_shows_the_members_community_with_matching_skills_first(client, community, member):
    skill = factories.SkillFactory(name="法律咨询")
    member.skills.add(skill)
    plain = factories.ServiceNeedFactory(community=community, starts_at=timezone.now() + datetime.timedelta(days=1))
    matching = factories.ServiceNeedFactory(community=community, starts_at=timezone.now() + datetime.timedelta(days=9))
    matching.skills.add(skill)
    same_street = factories.ServiceNeedFactory(community=factories.CommunityFactory(street=community.street))
    factories.ServiceNeedFactory()  # another street
    client.force_login(member.user)
    assert list(client.get(reverse("services:need-board")).context["page"]) == [matching, plain]
    nearby = client.get(reverse("services:need-board"), {"nearby": "1"}).context["page"]
    assert set(nearby) == {matching, plain, same_street}


def test_the_board_filters_by_post_type_fulfilment_and_places_left(client, community, member):
    full = factories.ServiceNeedFactory(community=community, places=1, claimed_count=1, post_type=PostType.HEALTH)
    legal = factories.ServiceNeedFactory(
        community=community, post_type=PostType.POLICY_LEGAL, fulfilment=ServiceNeed.Fulfilment.ADVOCATE
    )
    client.force_login(member.user)
    board = reverse("services:need-board")
    assert list(client.get(board, {"post_type": "health"}).context["page"]) == [full]
    assert list(client.get(board, {"fulfilment": "advocate"}).context["page"]) == [legal]
    assert list(client.get(board, {"open": "1"}).context["page"]) == [legal]


def test_a_member_not_yet_confirmed_sees_an_empty_board(client, community):
    pending = factories.ReportFactory(community=community, status=Report.Status.PENDING).member
    make_needs(community, 2)
    client.force_login(pending.user)
    response = client.get(reverse("services:need-board"))
    assert list(response.context["page"]) == []


def test_the_board_is_for_members_only(client, staff):
    client.force_login(staff)
    assert client.get(reverse("services:need-board")).status_code == 403


@pytest.mark.parametrize("count", [10, 200])
def test_the_members_board_query_count_is_fixed(client, community, member, count, django_assert_max_num_queries):
    needs = make_needs(community, count)
    for need in needs[:5]:
        factories.ClaimFactory(need=need)
    client.force_login(member.user)
    # session, user, the account's roles (does it need a second factor?), member with their home community,
    # needs page with its total, skills prefetch, unread messages
    with django_assert_max_num_queries(7):
        client.get(reverse("services:need-board"))


def test_the_cards_link_to_the_need_and_its_claim(client, community, member):
    need = factories.ServiceNeedFactory(community=community)
    client.force_login(member.user)
    for page in (reverse("services:need-board"), reverse("services:need-detail", args=[need.pk])):
        html = client.get(page).content.decode()
        assert f'href="{reverse("services:need-detail", args=[need.pk])}"' in html
        assert f'action="{reverse("services:claim-create", args=[need.pk])}"' in html


def test_a_cards_claim_form_carries_one_csrf_token_and_the_claim_goes_through(community, member):
    need = factories.ServiceNeedFactory(community=community)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    html = client.get(reverse("services:need-board")).content.decode()
    claim_url = reverse("services:claim-create", args=[need.pk])
    form = html[html.index(f'action="{claim_url}"') :]
    form = form[: form.index("</form>")]
    assert "我的承诺" in form
    (token,) = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    response = client.post(claim_url, {"csrfmiddlewaretoken": token, "commitment": "周六上午上门"})
    assert response.status_code == 302
    assert Claim.objects.filter(need=need, member=member).exists()


# --- Claims and records -----------------------------------------------------------------------------------


def test_claiming_without_javascript_redirects_back_with_the_claim_saved(client, community, member):
    need = factories.ServiceNeedFactory(community=community)
    client.force_login(member.user)
    response = client.post(reverse("services:claim-create", args=[need.pk]), {"commitment": "周六上午到岗"})
    assert response.status_code == 302
    assert Claim.objects.get(need=need).member == member
    need.refresh_from_db()
    assert need.claimed_count == 1


def test_claiming_with_htmx_swaps_the_card(client, community, member):
    need = factories.ServiceNeedFactory(community=community, places=2)
    client.force_login(member.user)
    response = client.post(reverse("services:claim-create", args=[need.pk]), {"commitment": "周六上午到岗"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and f'id="need-{need.pk}"' in page
    assert "您已认领" in page and "剩余 1 / 2 个名额" in page


def test_a_full_need_is_refused_with_a_clear_message(client, community, member):
    need = factories.ServiceNeedFactory(community=community, places=1, claimed_count=1)
    client.force_login(member.user)
    response = client.post(reverse("services:claim-create", args=[need.pk]), {"commitment": "我来"}, **HTMX)
    assert "名额已满" in response.content.decode()
    assert not Claim.objects.filter(member=member).exists()


def test_a_need_of_another_street_cannot_be_claimed(client, member):
    need = factories.ServiceNeedFactory()
    client.force_login(member.user)
    assert client.post(reverse("services:claim-create", args=[need.pk]), {"commitment": "我来"}).status_code == 404
    assert client.get(reverse("services:need-detail", args=[need.pk])).status_code == 404


def test_a_member_cancels_their_own_claim_only(client, community, member):
    need = factories.ServiceNeedFactory(community=community, claimed_count=2)
    mine = factories.ClaimFactory(need=need, member=member)
    theirs = factories.ClaimFactory(need=need)
    client.force_login(member.user)
    assert client.post(reverse("services:claim-cancel", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("services:claim-cancel", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (Claim.Status.CANCELLED, Claim.Status.ACTIVE)


def record_post(**overrides):
    data = {
        "served_on": timezone.localdate().isoformat(),
        "hours": "2.5",
        "description": "为独居老人代购药品",
        "outcome": OutcomeCategory.DIFFICULTY_SOLVED,
    }
    data.update(overrides)
    return data


def test_a_member_logs_service_for_a_claim(client, community, member):
    started = timezone.now() - datetime.timedelta(days=1)
    claim = factories.ClaimFactory(
        need=factories.ServiceNeedFactory(community=community, claimed_count=1, starts_at=started), member=member
    )
    client.force_login(member.user)
    response = client.post(reverse("services:record-create"), record_post(claim=claim.pk))
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    assert (record.claim, record.community, record.hours) == (claim, community, Decimal("2.5"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("served_on", (timezone.localdate() + datetime.timedelta(days=1)).isoformat(), "不能晚于今天"),
        ("hours", "0.3", "0.5"),
        ("hours", "12.5", "12"),
        ("description", "", "必填"),
    ],
)
def test_bad_records_are_explained_and_kept(client, member, field, value, message):
    client.force_login(member.user)
    response = client.post(reverse("services:record-create"), record_post(**{field: value}))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "为独居老人代购药品" in response.content.decode() or field == "description"
    assert ServiceRecord.objects.count() == 0


def test_more_than_twelve_hours_a_day_is_refused_on_the_hours_field(client, community, member):
    factories.ServiceRecordFactory(
        member=member, community=community, hours=Decimal("10"), served_on=timezone.localdate()
    )
    client.force_login(member.user)
    response = client.post(reverse("services:record-create"), record_post(hours="3"))
    assert "每天最多12小时" in " ".join(response.context["form"].errors["hours"])


def test_my_service_shows_hours_points_and_stars(client, community, member):
    factories.ServiceRecordFactory(
        member=member, community=community, hours=Decimal("4"), status="verified", points=Decimal("7")
    )
    factories.ServiceRecordFactory(member=member, community=community, hours=Decimal("3"))  # not verified
    client.force_login(member.user)
    for name in ("services:my-service", "registration:member-home"):
        summary = client.get(reverse(name)).context["summary"]
        assert (summary.time_bank_hours, summary.year_points, summary.stars) == (Decimal("4.0"), Decimal("7.0"), 1)


# --- Staff ------------------------------------------------------------------------------------------------


def need_post(**overrides):
    starts = timezone.localtime() + datetime.timedelta(days=2)
    data = {
        "title": "周末义诊",
        "description": "为社区老人测血压",
        "post_type": PostType.HEALTH,
        "fulfilment": ServiceNeed.Fulfilment.DIRECT,
        "places": "4",
        "location": "社区服务中心",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "reply": "",
    }
    data.update(overrides)
    return data


def test_staff_post_a_draft_then_publish_and_close_it(client, community, staff):
    client.force_login(staff)
    response = client.post(reverse("services:staff-need-create"), need_post())
    need = ServiceNeed.objects.get()
    assert response.url == reverse("services:staff-need-detail", args=[need.pk])
    assert (need.community, need.status, need.created_by) == (community, ServiceNeed.Status.DRAFT, staff)
    client.post(reverse("services:staff-need-action", args=[need.pk, "publish"]))
    client.post(reverse("services:staff-need-action", args=[need.pk, "fulfil"]))
    need.refresh_from_db()
    assert need.status == ServiceNeed.Status.FULFILLED and need.published_at is not None


def test_a_need_ending_before_it_starts_is_explained_on_the_field(client, staff):
    client.force_login(staff)
    data = need_post()
    data["ends_at"] = "2020-01-01T10:00"
    response = client.post(reverse("services:staff-need-create"), data)
    assert "结束时间不能早于开始时间" in " ".join(response.context["form"].errors["ends_at"])
    assert ServiceNeed.objects.count() == 0


def test_a_published_need_cannot_be_deleted_only_closed(client, community, staff):
    need = factories.ServiceNeedFactory(community=community)
    client.force_login(staff)
    client.post(reverse("services:staff-need-action", args=[need.pk, "delete"]))
    assert ServiceNeed.objects.filter(pk=need.pk).exists()
    client.post(reverse("services:staff-need-action", args=[need.pk, "copy"]))
    assert ServiceNeed.objects.filter(status=ServiceNeed.Status.DRAFT, community=community).count() == 1


def test_staff_edit_a_need(client, community, staff):
    need = factories.ServiceNeedFactory(community=community)
    client.force_login(staff)
    assert client.get(reverse("services:staff-need-edit", args=[need.pk])).status_code == 200
    client.post(reverse("services:staff-need-edit", args=[need.pk]), need_post(title="改过的标题"))
    need.refresh_from_db()
    assert need.title == "改过的标题"


def test_needs_of_another_community_are_out_of_reach(client, staff):
    foreign = factories.ServiceNeedFactory(status=ServiceNeed.Status.DRAFT)
    client.force_login(staff)
    assert client.get(reverse("services:staff-need-detail", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("services:staff-need-edit", args=[foreign.pk])).status_code == 404
    for action in ("publish", "delete", "copy", "close"):
        assert client.post(reverse("services:staff-need-action", args=[foreign.pk, action])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ServiceNeed.Status.DRAFT
    assert foreign not in client.get(reverse("services:staff-need-list")).context["page"]


def test_street_staff_read_needs_but_do_not_post_or_act(client, community):
    need = factories.ServiceNeedFactory(community=community, status=ServiceNeed.Status.DRAFT)
    client.force_login(make_staff("street", street=community.street))
    assert client.get(reverse("services:staff-need-detail", args=[need.pk])).status_code == 200
    assert client.get(reverse("services:staff-need-create")).status_code == 403
    assert client.post(reverse("services:staff-need-action", args=[need.pk, "publish"])).status_code == 403


def test_members_cannot_open_staff_pages(client, member):
    client.force_login(member.user)
    for name in ("services:staff-need-list", "services:staff-record-queue", "services:staff-dashboard"):
        assert client.get(reverse(name)).status_code == 403


@pytest.fixture
def submitted(community, member):
    return factories.ServiceRecordFactory(member=member, community=community, hours=Decimal("2"))


def test_verifying_with_htmx_swaps_the_row_and_moves_the_hours(client, staff, submitted):
    client.force_login(staff)
    response = client.post(reverse("services:staff-record-verify", args=[submitted.pk]), **HTMX)
    assert "<html" not in response.content.decode() and "已审核" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == ServiceRecord.Status.VERIFIED and submitted.points == Decimal("2.0")


def test_verifying_without_javascript_redirects_to_the_queue(client, staff, submitted):
    client.force_login(staff)
    response = client.post(reverse("services:staff-record-verify", args=[submitted.pk]))
    assert response.url == reverse("services:staff-record-queue")


def test_rejecting_a_record_needs_a_reason(client, staff, submitted):
    client.force_login(staff)
    response = client.post(reverse("services:staff-record-reject", args=[submitted.pk]), {"reason": ""}, **HTMX)
    assert "请填写原因" in response.content.decode()
    client.post(reverse("services:staff-record-reject", args=[submitted.pk]), {"reason": "时长与实际不符"})
    submitted.refresh_from_db()
    assert (submitted.status, submitted.reject_reason) == (ServiceRecord.Status.REJECTED, "时长与实际不符")


def test_records_of_another_community_cannot_be_verified(client, submitted):
    client.force_login(make_staff("community", community=factories.CommunityFactory()))
    assert client.post(reverse("services:staff-record-verify", args=[submitted.pk])).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == ServiceRecord.Status.SUBMITTED


@pytest.mark.parametrize("count", [10, 200])
def test_the_record_queue_query_count_is_fixed(client, community, staff, count, django_assert_max_num_queries):
    claim = factories.ClaimFactory(need=factories.ServiceNeedFactory(community=community))
    for index in range(count):
        factories.ServiceRecordFactory(community=community, claim=claim if index % 2 else None)
    client.force_login(staff)
    # session, user, scope, count, rows with member, unit, community and claimed need
    with django_assert_max_num_queries(6):
        client.get(reverse("services:staff-record-queue"))


def test_the_dashboard_counts_the_period(client, community, staff, member):
    in_period = timezone.now() - datetime.timedelta(days=3)
    need = factories.ServiceNeedFactory(community=community, published_at=in_period, status="fulfilled")
    factories.ServiceNeedFactory(community=community, published_at=in_period - datetime.timedelta(days=400))
    factories.ClaimFactory(need=need, member=member, created_at=in_period)
    for outcome, hours in [("difficulty_solved", "2"), ("dispute_mediated", "1.5"), ("good_deed", "1")]:
        factories.ServiceRecordFactory(
            community=community,
            member=member,
            outcome=outcome,
            hours=Decimal(hours),
            status="verified",
            served_on=timezone.localdate() - datetime.timedelta(days=2),
        )
    factories.ServiceRecordFactory(community=community, member=member)  # not verified: not counted
    client.force_login(staff)
    start = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    figures = client.get(reverse("services:staff-dashboard"), {"start": start, "end": timezone.localdate()}).context[
        "figures"
    ]
    outcomes = dict(figures["outcomes"])
    assert (figures["members_reported"], figures["needs_posted"], figures["needs_fulfilled"]) == (1, 1, 1)
    assert (figures["claims_made"], figures["records"], figures["hours"]) == (1, 3, Decimal("4.5"))
    assert (outcomes["解决困难"], outcomes["化解纠纷"], outcomes["听取意见"], outcomes["办好事实事"]) == (1, 1, 0, 1)
