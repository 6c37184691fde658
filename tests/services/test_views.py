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
from registration.public_listing import public_listing_set
from services.models import (
    RECORD_DAYS_AFTER_NEED_END,
    RECORD_OWN_INITIATIVE_MAX_AGE_DAYS,
    Claim,
    OutcomeCategory,
    PostType,
    ServiceNeed,
    ServiceRecord,
)
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def community():
    return factories.CommunityFactory(name="卧虎湾社区", code="110101001001")


@pytest.fixture
def member(community):
    member = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member
    public_listing_set(member=member, consent=True)  # named on the public board (registration.public_listing)
    return member


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
    response = client.get(reverse("services:public-board", args=[community.public_slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("清理楼道") == 2 and "环境卫生岗" in page
    assert "草稿需求" not in page and "别的社区的需求" not in page
    assert member.name in page and member.unit.name in page


def test_the_public_board_leaks_no_personal_field(client, community, member):
    make_needs(community, 1)
    for url in (
        reverse("services:public-board", args=[community.public_slug]),
        reverse("services:public-board-print", args=[community.public_slug]),
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


def test_the_cards_skills_matches_and_claims_agree_with_the_models(client, community, member):
    """The board reads a card's skills, the member's matches and their claim outside the ORM's relations (one
    written-out query, a join): what it shows must be what the relations say, and the order follows from it."""
    law, care, repair, music = (factories.SkillFactory(name=name) for name in ("法律咨询", "照护", "维修", "乐器"))
    member.skills.add(law, care)
    soon = timezone.now() + datetime.timedelta(days=1)
    needs = [
        factories.ServiceNeedFactory(community=community, starts_at=soon + datetime.timedelta(hours=hours))
        for hours in range(6)
    ]
    for need, skills in zip(needs, ([], [music, repair], [law], [care, law, repair], [law], [music]), strict=True):
        need.skills.add(*skills)
    factories.ClaimFactory(need=needs[2], member=member)
    factories.ClaimFactory(need=needs[4], member=member, status=Claim.Status.CANCELLED)
    factories.ClaimFactory(need=needs[5])  # someone else's
    other = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member
    other.skills.add(music, repair)  # another member's skills match nothing of this member's
    client.force_login(member.user)

    page = list(client.get(reverse("services:need-board")).context["page"])

    mine = set(member.skills.all())
    assert page == [needs[3], needs[2], needs[4], needs[0], needs[1], needs[5]]
    for need in page:
        assert [skill.name for skill in need.skill_list] == [skill.name for skill in need.skills.order_by("name")]
        assert need.skill_matches == len(mine & set(need.skills.all()))
        holding = need.claims.filter(member=member, status__in=[Claim.Status.ACTIVE, Claim.Status.FULFILLED])
        assert need.claimed_by_me == holding.exists()
    assert [need.claimed_by_me for need in page] == [False, True, False, False, False, False]
    detail = client.get(reverse("services:need-detail", args=[needs[3].pk])).content.decode()
    assert detail.count("text-bg-light border") == 3 and "与您的特长相符" in detail  # Matches your skills
    names = [skill.name for skill in needs[3].skills.order_by("name")]
    assert [detail.index(name) for name in names] == sorted(detail.index(name) for name in names)
    assert "与您的特长相符" not in client.get(reverse("services:need-detail", args=[needs[1].pk])).content.decode()


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
    # session, user, the account's roles (does it need a second factor?), member id with their home community,
    # the board's needs (each with the member's claim), their skills (each marked the member's or not), unread
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
        # "Tomorrow" is computed when the test runs, not when it is collected: a run may cross midnight.
        ("served_on", lambda: (timezone.localdate() + datetime.timedelta(days=1)).isoformat(), "不能晚于今天"),
        ("hours", "0.3", "0.5"),
        ("hours", "12.5", "12"),
        ("description", "", "必填"),
    ],
)
def test_bad_records_are_explained_and_kept(client, member, field, value, message):
    value = value() if callable(value) else value
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


# --- Needs that end and needs that are full ---------------------------------------------------------------------


def ended_need(community, **values):
    now = timezone.now()
    return factories.ServiceNeedFactory(
        community=community,
        starts_at=now - datetime.timedelta(days=3),
        ends_at=now - datetime.timedelta(hours=1),
        **values,
    )


def full_need(community, **values):
    return factories.ServiceNeedFactory(community=community, places=2, claimed_count=2, **values)


def card_of(html: str, need) -> str:
    """The HTML of one need's card on a members' page."""
    start = html.index(f'id="need-{need.pk}"')
    end = html.find('class="card mb-2 need-card', start)
    return html[start : end if end != -1 else len(html)]


def test_the_public_board_and_poster_leave_out_ended_needs_and_mark_full_ones(client, community):
    factories.ServiceNeedFactory(community=community, title="还能认领的需求")
    full_need(community, title="名额满了的需求")
    ended_need(community, title="已经结束的需求")
    for name in ("services:public-board", "services:public-board-print"):
        page = client.get(reverse(name, args=[community.code])).content.decode()
        assert "还能认领的需求" in page and "名额满了的需求" in page
        assert "已经结束的需求" not in page
        assert "已满" in page
    board = client.get(reverse("services:public-board", args=[community.code])).content.decode()
    assert board.count("places-left") == 1 and board.count("need-state") == 1


def test_the_boards_show_the_whole_window_with_the_year_when_not_this_year(client, community, member):
    starts = timezone.localtime().replace(hour=9, minute=0) + datetime.timedelta(days=400)
    need = factories.ServiceNeedFactory(
        community=community, starts_at=starts, ends_at=starts + datetime.timedelta(hours=3), location="社区活动室"
    )
    expected = f"{starts:%Y-%m-%d} 09:00 – 12:00 · 社区活动室"
    client.force_login(member.user)
    for url in (
        reverse("services:public-board", args=[community.code]),
        reverse("services:need-board"),
        reverse("services:need-detail", args=[need.pk]),
    ):
        assert expected in client.get(url).content.decode(), url
    poster = client.get(reverse("services:public-board-print", args=[community.code])).content.decode()
    assert f"<dd>{starts:%Y-%m-%d} 09:00 – 12:00</dd>" in poster and "<dd>社区活动室</dd>" in poster


def test_the_members_board_leaves_out_ended_needs_and_offers_no_claim_on_full_ones(client, community, member):
    open_need = factories.ServiceNeedFactory(community=community)
    full = full_need(community)
    ended = ended_need(community)
    client.force_login(member.user)
    response = client.get(reverse("services:need-board"))
    assert set(response.context["page"]) == {open_need, full}
    html = response.content.decode()
    assert reverse("services:claim-create", args=[open_need.pk]) in card_of(html, open_need)
    full_card = card_of(html, full)
    assert "已满" in full_card and "claim/" not in full_card and "我的承诺" not in full_card
    assert f'id="need-{ended.pk}"' not in html


@pytest.mark.parametrize("status", [ServiceNeed.Status.PUBLISHED, ServiceNeed.Status.CLOSED])
def test_an_ended_need_opened_by_its_link_shows_ended_and_no_claim(client, community, member, status):
    need = ended_need(community, status=status)
    client.force_login(member.user)
    response = client.get(reverse("services:need-detail", args=[need.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "已结束" in card_of(html, need)
    assert reverse("services:claim-create", args=[need.pk]) not in html and "我的承诺" not in html


def test_a_draft_is_not_shown_to_members(client, community, member):
    need = factories.ServiceNeedFactory(community=community, status=ServiceNeed.Status.DRAFT)
    client.force_login(member.user)
    assert client.get(reverse("services:need-detail", args=[need.pk])).status_code == 404


@pytest.mark.parametrize("commitment", ["", "周六上午到岗"])
def test_claiming_an_ended_need_is_refused_for_the_end_before_the_commitment(client, community, member, commitment):
    need = ended_need(community)
    client.force_login(member.user)
    response = client.post(reverse("services:claim-create", args=[need.pk]), {"commitment": commitment}, follow=True)
    assert [str(message) for message in response.context["messages"]] == ["该需求已结束，不能再认领。"]
    assert not Claim.objects.exists()


def test_claiming_an_ended_need_with_htmx_shows_the_card_ended_without_the_form(client, community, member):
    need = ended_need(community)
    client.force_login(member.user)
    response = client.post(reverse("services:claim-create", args=[need.pk]), {"commitment": ""}, **HTMX)
    html = response.content.decode()
    assert "该需求已结束，不能再认领。" in html and "已结束" in html
    assert "我的承诺" not in html and "请写下" not in html
    assert not Claim.objects.exists()


def test_claiming_a_full_need_does_not_ask_for_the_commitment(client, community, member):
    need = full_need(community)
    client.force_login(member.user)
    response = client.post(reverse("services:claim-create", args=[need.pk]), {"commitment": ""}, **HTMX)
    html = response.content.decode()
    assert "名额已满" in html and "我的承诺" not in html


def test_my_service_offers_cancelling_only_before_the_start_and_recording_after_the_end(client, community, member):
    upcoming = factories.ClaimFactory(need=factories.ServiceNeedFactory(community=community), member=member)
    over = factories.ClaimFactory(need=ended_need(community, claimed_count=1), member=member)
    client.force_login(member.user)
    html = client.get(reverse("services:my-service")).content.decode()
    upcoming_row = html[html.index(f'id="claim-{upcoming.pk}"') :]
    over_row = html[html.index(f'id="claim-{over.pk}"') :]
    assert reverse("services:claim-cancel", args=[upcoming.pk]) in upcoming_row[: upcoming_row.index("</li>")]
    over_row = over_row[: over_row.index("</li>")]
    assert reverse("services:claim-cancel", args=[over.pk]) not in over_row
    assert f"{reverse('services:record-create')}?claim={over.pk}" in over_row
    assert "已结束" in over_row and "认领不能再取消" in over_row


def test_cancelling_a_claim_on_an_ended_need_is_refused(client, community, member):
    claim = factories.ClaimFactory(need=ended_need(community, claimed_count=1), member=member)
    client.force_login(member.user)
    response = client.post(reverse("services:claim-cancel", args=[claim.pk]), follow=True)
    assert [str(message) for message in response.context["messages"]] == ["需求已结束：认领不能再取消，只能记实服务。"]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE


def test_staff_lists_and_details_mark_ended_and_full_needs(client, community, staff):
    ended = ended_need(community, title="结束了")
    full = full_need(community, title="满员了")
    factories.ServiceNeedFactory(community=community, title="正常的")
    client.force_login(staff)
    listing = client.get(reverse("services:staff-need-list")).content.decode()
    rows = {title: listing[listing.index(title) :].split("</tr>")[0] for title in ("结束了", "满员了", "正常的")}
    assert "已结束" in rows["结束了"] and "已满" in rows["满员了"]
    assert "need-state" not in rows["正常的"]
    for need, label in ((ended, "已结束"), (full, "已满")):
        detail = client.get(reverse("services:staff-need-detail", args=[need.pk])).content.decode()
        assert "已发布" in detail and label in detail


# --- Records: dated in the need's window; the staff queue -------------------------------------------------------


def test_a_record_dated_before_its_need_starts_is_refused_on_the_date_with_the_input_kept(client, community, member):
    starts = timezone.now() + datetime.timedelta(days=12)
    claim = factories.ClaimFactory(
        need=factories.ServiceNeedFactory(community=community, starts_at=starts, claimed_count=1), member=member
    )
    client.force_login(member.user)
    response = client.post(reverse("services:record-create"), record_post(claim=claim.pk))
    assert response.status_code == 200
    error = " ".join(response.context["form"].errors["served_on"])
    assert f"该需求 {timezone.localdate(starts).isoformat()} 开始，服务日期不能早于开始日期。" == error
    assert "为独居老人代购药品" in response.content.decode()
    assert not ServiceRecord.objects.exists()


def test_a_record_dated_too_long_after_its_need_ended_is_refused(client, community, member):
    ended = timezone.now() - datetime.timedelta(days=RECORD_DAYS_AFTER_NEED_END + 3)
    claim = factories.ClaimFactory(
        need=factories.ServiceNeedFactory(
            community=community, starts_at=ended - datetime.timedelta(hours=2), ends_at=ended, claimed_count=1
        ),
        member=member,
    )
    client.force_login(member.user)
    response = client.post(reverse("services:record-create"), record_post(claim=claim.pk))
    assert "服务日期最晚为结束后" in " ".join(response.context["form"].errors["served_on"])
    served_on = (timezone.localdate(ended) + datetime.timedelta(days=1)).isoformat()
    assert (
        client.post(reverse("services:record-create"), record_post(claim=claim.pk, served_on=served_on)).status_code
        == 302
    )
    assert ServiceRecord.objects.get().served_on.isoformat() == served_on


def test_a_record_on_ones_own_initiative_older_than_the_limit_is_refused(client, member):
    too_old = timezone.localdate() - datetime.timedelta(days=RECORD_OWN_INITIATIVE_MAX_AGE_DAYS + 1)
    client.force_login(member.user)
    response = client.post(reverse("services:record-create"), record_post(served_on=too_old.isoformat()))
    assert "自主服务只能记实最近" in " ".join(response.context["form"].errors["served_on"])
    assert too_old.isoformat() in response.content.decode()
    assert not ServiceRecord.objects.exists()


def test_the_record_queue_shows_the_wait_oldest_first_and_marks_the_unusual(client, community, staff, member):
    now = timezone.now()
    need = factories.ServiceNeedFactory(
        community=community, starts_at=now - datetime.timedelta(days=20), ends_at=now - datetime.timedelta(days=19)
    )
    claim = factories.ClaimFactory(need=need, member=member)
    late = factories.ServiceRecordFactory(
        community=community, member=member, claim=claim, created_at=now - datetime.timedelta(days=2)
    )  # served yesterday, 18 days after the need ended
    long = factories.ServiceRecordFactory(
        community=community, hours=Decimal("9"), created_at=now - datetime.timedelta(days=5)
    )
    plain = factories.ServiceRecordFactory(community=community, created_at=now - datetime.timedelta(hours=3))
    early = factories.ServiceRecordFactory(
        community=community,
        member=member,
        claim=claim,
        served_on=timezone.localdate(need.starts_at) - datetime.timedelta(days=2),
        created_at=now - datetime.timedelta(days=1),
    )
    client.force_login(staff)
    response = client.get(reverse("services:staff-record-queue"))
    assert list(response.context["page"]) == [long, late, early, plain]
    html = response.content.decode()

    def row(record):
        start = html.index(f'id="record-{record.pk}"')
        return html[start : html.index('class="card mb-2 record-row"', start + 1) if record != plain else len(html)]

    assert "已等待 5" in row(long) and "单条记实 9.0 小时" in row(long)
    assert "晚于需求结束 18 天" in row(late)
    assert "早于需求开始 2 天" in row(early)
    assert "record-warning" not in row(plain) and "已等待 3" in row(plain)
