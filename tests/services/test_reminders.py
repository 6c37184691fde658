"""Reminders 3, 4 and 5: claims with no service record, needs with free places near their start, and the
year-end shortfall of verified hours (to the member and to the unit liaison)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from communities.models import Notification, ReminderSent, StaffAssignment
from registration.models import Report
from services import reminders
from services.models import Claim, ServiceNeed, ServiceRecord
from services.tasks import remind_shortfall_members_task
from tests import factories

pytestmark = pytest.mark.django_db

Role = StaffAssignment.Role
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
# 1 December: 30 days of the year left after today.
DECEMBER_FIRST = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
WRITES_PER_REMINDER = 4
# A batch's writes, whatever its people: remind_many's savepoint, keys' INSERT, notifications' INSERT, release.
BATCH_WRITES = 4


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.REMINDER_CLAIM_NO_RECORD_DAYS = 3
    settings.REMINDER_UNCLAIMED_NEED_DAYS = 2
    settings.SERVICE_MINIMUM_YEARLY_HOURS = 12.0
    settings.REMINDER_SHORTFALL_DAYS_LEFT = 30
    return settings


def staff(role, **place):
    return factories.StaffAssignmentFactory(role=role, **{"community": None, **place}).user


def at(day: datetime.date, hour=18) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


# --- Rule 3: claims with no service record -------------------------------------------------------------------


def ended_claim(*, ended_days_ago=3, **values):
    """A claim in progress on a need that ended `ended_days_ago` local days before NOW (at 18:00)."""
    ends_at = at(NOW.date() - days(ended_days_ago))
    need = factories.ServiceNeedFactory(starts_at=ends_at - datetime.timedelta(hours=3), ends_at=ends_at)
    return factories.ClaimFactory(need=need, **values)


def claim_reminders():
    return Notification.objects.filter(kind=reminders.CLAIM_NO_RECORD)


def test_member_is_reminded_of_a_claim_with_no_record_three_days_after_the_need_ended():
    claim = ended_claim(ended_days_ago=3)

    assert reminders.remind_claims_without_record(now=NOW) == 1

    notification = claim_reminders().get()
    assert notification.user == claim.member.user
    assert notification.channel == Notification.Channel.INBOX
    assert claim.need.title in notification.title
    assert notification.link == f"/records/new/?claim={claim.pk}"
    assert ReminderSent.objects.filter(
        kind=reminders.CLAIM_NO_RECORD, period=f"claim:{claim.pk}", recipient=f"user:{claim.member.user_id}"
    ).exists()


def test_no_claim_reminder_before_three_days_or_for_an_ongoing_need():
    ended_claim(ended_days_ago=2)
    factories.ClaimFactory(need=factories.ServiceNeedFactory(starts_at=NOW - days(30), ends_at=None))

    assert reminders.remind_claims_without_record(now=NOW) == 0


def test_no_claim_reminder_once_a_record_is_logged():
    claim = ended_claim(ended_days_ago=5)
    factories.ServiceRecordFactory(member=claim.member, claim=claim, community=claim.need.community)

    assert reminders.remind_claims_without_record(now=NOW) == 0


def test_a_rejected_record_does_not_count_as_logged():
    claim = ended_claim(ended_days_ago=5)
    factories.ServiceRecordFactory(
        member=claim.member,
        claim=claim,
        community=claim.need.community,
        status=ServiceRecord.Status.REJECTED,
        reject_reason="时长不符",
    )

    assert reminders.remind_claims_without_record(now=NOW) == 1


@pytest.mark.parametrize("status", [Claim.Status.FULFILLED, Claim.Status.ABANDONED, Claim.Status.CANCELLED])
def test_no_claim_reminder_for_claims_no_longer_in_progress(status):
    ended_claim(ended_days_ago=5, status=status)

    assert reminders.remind_claims_without_record(now=NOW) == 0


def test_claim_reminder_goes_once_per_claim():
    member = factories.MemberFactory()
    ended_claim(ended_days_ago=4, member=member)
    ended_claim(ended_days_ago=6, member=member)

    assert reminders.remind_claims_without_record(now=NOW) == 2
    assert reminders.remind_claims_without_record(now=NOW) == 0
    assert reminders.remind_claims_without_record(now=NOW + days(10)) == 0
    assert claim_reminders().filter(user=member.user).count() == 2


def test_overlapping_claim_runs_remind_each_claim_once(monkeypatch):
    claims = [ended_claim(ended_days_ago=4) for _ in range(3)]
    real_remind_many = reminders.remind_many
    overlapped = []

    def remind_many_with_overlap(**kwargs):
        if not overlapped:
            overlapped.append("running")
            overlapped[0] = reminders.remind_claims_without_record(now=NOW)
        return real_remind_many(**kwargs)

    monkeypatch.setattr(reminders, "remind_many", remind_many_with_overlap)
    first = reminders.remind_claims_without_record(now=NOW)

    assert first + overlapped[0] == 3
    assert sorted(claim_reminders().values_list("user_id", flat=True)) == sorted(c.member.user_id for c in claims)


@pytest.mark.parametrize("size", [2, 6])
def test_claim_reminder_queries_grow_only_by_the_writes_of_each_reminder(size, django_assert_max_num_queries):
    for _ in range(size):
        ended_claim(ended_days_ago=4)
    ended_claim(ended_days_ago=1)

    # The candidates, the batch's savepoint and release; four writes per reminder.
    with django_assert_max_num_queries(3 + WRITES_PER_REMINDER * size):
        assert reminders.remind_claims_without_record(now=NOW) == size


@pytest.mark.parametrize("size", [5, 50])
def test_claim_reminders_cost_the_same_statements_for_5_or_50_claims(size, django_assert_max_num_queries):
    for _ in range(size):
        ended_claim(ended_days_ago=4)

    # The candidates, the keys already written among them; then the batch's writes.
    with django_assert_max_num_queries(2 + BATCH_WRITES):
        assert reminders.remind_claims_without_record(now=NOW) == size


# --- Rule 4: needs with free places near their start ------------------------------------------------------


def need_starting(in_days: int, **values):
    return factories.ServiceNeedFactory(starts_at=at(NOW.date() + days(in_days), hour=14), **values)


def need_reminders():
    return Notification.objects.filter(kind=reminders.NEED_UNCLAIMED)


def test_community_staff_hear_of_free_places_two_days_before_the_start():
    need = need_starting(2, places=3)
    need.claimed_count = 1
    need.save()
    staff_members = [staff(Role.COMMUNITY_STAFF, community=need.community) for _ in range(2)]
    other_staff = staff(Role.COMMUNITY_STAFF, community=factories.CommunityFactory())
    street_staff = staff(Role.STREET_STAFF, street=need.community.street)

    assert reminders.remind_unclaimed_needs(now=NOW) == 2

    assert sorted(need_reminders().values_list("user_id", flat=True)) == sorted(user.pk for user in staff_members)
    assert not Notification.objects.filter(user__in=[other_staff, street_staff]).exists()
    notification = need_reminders().first()
    assert need.title in notification.title and "2" in notification.title
    assert notification.link == f"/staff/needs/{need.pk}/"
    assert set(ReminderSent.objects.values_list("period", flat=True)) == {f"need:{need.pk}"}


def test_no_need_reminder_outside_the_window_or_when_full_or_not_published():
    community = factories.CommunityFactory()
    staff(Role.COMMUNITY_STAFF, community=community)
    need_starting(3, community=community)  # too early
    factories.ServiceNeedFactory(community=community, starts_at=NOW - datetime.timedelta(hours=1))  # started
    full = need_starting(1, community=community, places=2)
    full.claimed_count = 2
    full.save()
    need_starting(1, community=community, status=ServiceNeed.Status.DRAFT)
    need_starting(1, community=community, status=ServiceNeed.Status.CLOSED)

    assert reminders.remind_unclaimed_needs(now=NOW) == 0


def test_need_reminder_goes_once_per_need():
    need = need_starting(2)
    staff(Role.COMMUNITY_STAFF, community=need.community)

    assert reminders.remind_unclaimed_needs(now=NOW) == 1
    assert reminders.remind_unclaimed_needs(now=NOW) == 0
    assert reminders.remind_unclaimed_needs(now=NOW + days(1)) == 0
    assert need_reminders().count() == 1


def test_staff_who_join_later_still_hear_of_the_need_once():
    need = need_starting(2)
    staff(Role.COMMUNITY_STAFF, community=need.community)
    reminders.remind_unclaimed_needs(now=NOW)
    newcomer = staff(Role.COMMUNITY_STAFF, community=need.community)

    assert reminders.remind_unclaimed_needs(now=NOW + days(1)) == 1
    assert need_reminders().filter(user=newcomer).count() == 1


@pytest.mark.parametrize("size", [2, 6])
def test_need_reminder_queries_grow_only_by_the_writes_of_each_reminder(size, django_assert_max_num_queries):
    community = factories.CommunityFactory()
    staff(Role.COMMUNITY_STAFF, community=community)
    for _ in range(size):
        need_starting(1, community=community)

    # The needs, their staff, the keys written, the savepoint and release; four writes per reminder.
    with django_assert_max_num_queries(5 + WRITES_PER_REMINDER * size):
        assert reminders.remind_unclaimed_needs(now=NOW) == size


@pytest.mark.parametrize("size", [5, 50])
def test_need_reminders_cost_the_same_statements_for_5_or_50_staff(size, django_assert_max_num_queries):
    need = need_starting(1)
    for _ in range(size):
        staff(Role.COMMUNITY_STAFF, community=need.community)

    # The needs, their staff, the keys written; then the batch's writes.
    with django_assert_max_num_queries(3 + BATCH_WRITES):
        assert reminders.remind_unclaimed_needs(now=NOW) == size


# --- Rule 5: shortfall of verified hours ----------------------------------------------------------------------


def serving_member(*, verified_hours=(), **values):
    """A member with a confirmed report and verified records of the given hours this year."""
    member = factories.MemberFactory(**values)
    report = factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    for hours in verified_hours:
        factories.ServiceRecordFactory(
            member=member,
            community=report.community,
            served_on=datetime.date(2026, 6, 1),
            hours=Decimal(hours),
            status=ServiceRecord.Status.VERIFIED,
        )
    return member


def shortfall_reminders():
    return Notification.objects.filter(kind=reminders.SHORTFALL)


def test_member_short_of_the_minimum_is_reminded_from_the_first_of_december():
    member = serving_member(verified_hours=["4.0", "3.5"])

    assert reminders.remind_shortfall_members(now=DECEMBER_FIRST - days(1)) == 0  # 31 days left
    assert reminders.remind_shortfall_members(now=DECEMBER_FIRST) == 1

    notification = shortfall_reminders().get()
    assert notification.user == member.user
    assert "7.5" in notification.body and "12.0" in notification.body
    assert ReminderSent.objects.filter(
        kind=reminders.SHORTFALL, period="2026", recipient=f"user:{member.user_id}"
    ).exists()


def test_no_shortfall_reminder_with_enough_verified_hours():
    serving_member(verified_hours=["6.0", "6.0"])

    assert reminders.remind_shortfall_members(now=DECEMBER_FIRST) == 0


def test_only_verified_hours_of_this_year_count():
    member = serving_member(verified_hours=["6.0"])
    community = member.reports.get().community
    factories.ServiceRecordFactory(
        member=member, community=community, served_on=datetime.date(2026, 7, 1), hours=Decimal("8.0")
    )  # awaiting verification
    factories.ServiceRecordFactory(
        member=member,
        community=community,
        served_on=datetime.date(2025, 12, 20),
        hours=Decimal("8.0"),
        status=ServiceRecord.Status.VERIFIED,
    )

    assert reminders.remind_shortfall_members(now=DECEMBER_FIRST) == 1
    assert "6.0" in shortfall_reminders().get().body


def test_no_shortfall_reminder_without_a_confirmed_report():
    member = factories.MemberFactory()
    factories.ReportFactory(member=member, status=Report.Status.PENDING)

    assert reminders.remind_shortfall_members(now=DECEMBER_FIRST) == 0


def test_shortfall_reminder_goes_once_a_year():
    serving_member(verified_hours=["2.0"])

    assert reminders.remind_shortfall_members(now=DECEMBER_FIRST) == 1
    assert reminders.remind_shortfall_members(now=DECEMBER_FIRST) == 0
    assert reminders.remind_shortfall_members(now=DECEMBER_FIRST + days(20)) == 0
    assert shortfall_reminders().count() == 1


def test_the_shortfall_task_fans_out_member_ranges(monkeypatch):
    monkeypatch.setattr(reminders, "MEMBER_CHUNK_SIZE", 2)
    members = [serving_member() for _ in range(5)]

    assert remind_shortfall_members_task.delay(NOW.isoformat()).get() == []  # outside the window
    chunk_ids = remind_shortfall_members_task.delay(DECEMBER_FIRST.isoformat()).get()

    assert len(chunk_ids) == 3
    assert sorted(shortfall_reminders().values_list("user_id", flat=True)) == sorted(m.user_id for m in members)


@pytest.mark.parametrize("size", [2, 6])
def test_shortfall_queries_grow_only_by_the_writes_of_each_reminder(size, django_assert_max_num_queries):
    for _ in range(size):
        serving_member(verified_hours=["1.0"])
    serving_member(verified_hours=["12.0"])

    # The key range, the candidates, the chunk's savepoint and release; four writes per reminder.
    with django_assert_max_num_queries(4 + WRITES_PER_REMINDER * size):
        assert reminders.remind_shortfall_members(now=DECEMBER_FIRST) == size


@pytest.mark.parametrize("size", [5, 50])
def test_a_shortfall_chunk_costs_the_same_statements_for_5_or_50_members(size, django_assert_max_num_queries):
    for _ in range(size):
        serving_member(verified_hours=["1.0"])

    # The key range, the candidates, the keys already written among them; then the chunk's writes.
    with django_assert_max_num_queries(3 + BATCH_WRITES):
        assert reminders.remind_shortfall_members(now=DECEMBER_FIRST) == size
    assert shortfall_reminders().count() == size


def test_a_shortfall_chunk_retried_sends_nothing_twice():
    serving_member(verified_hours=["1.0"])
    serving_member(verified_hours=["2.0"])
    (start, end), *_rest = reminders.shortfall_member_ranges(now=DECEMBER_FIRST)

    assert reminders.remind_shortfall_members_range(start_pk=start, end_pk=end, now=DECEMBER_FIRST) == 2
    assert reminders.remind_shortfall_members_range(start_pk=start, end_pk=end, now=DECEMBER_FIRST) == 0
    assert shortfall_reminders().count() == 2
    assert set(shortfall_reminders().values_list("status", flat=True)) == {Notification.Status.SENT}


def test_unit_liaison_gets_the_yearly_list_of_their_members_short_of_hours():
    unit, other_unit = factories.UnitFactory(), factories.UnitFactory()
    liaison = staff(Role.UNIT_LIAISON, unit=unit)
    other_liaison = staff(Role.UNIT_LIAISON, unit=other_unit)
    short = serving_member(unit=unit, verified_hours=["3.0"])
    enough = serving_member(unit=unit, verified_hours=["12.0", "2.0"])
    serving_member(unit=factories.UnitFactory(), verified_hours=["1.0"])  # a unit with no liaison

    assert reminders.remind_shortfall_to_liaisons(now=DECEMBER_FIRST - days(1)) == 0
    assert reminders.remind_shortfall_to_liaisons(now=DECEMBER_FIRST) == 1
    assert reminders.remind_shortfall_to_liaisons(now=DECEMBER_FIRST + days(7)) == 0

    listing = Notification.objects.get(kind=reminders.SHORTFALL_LIST)
    assert listing.user == liaison
    assert short.name in listing.body and "3.0" in listing.body
    assert enough.name not in listing.body
    assert short.phone not in listing.body and short.id_number not in listing.body
    assert not Notification.objects.filter(user=other_liaison).exists()
    assert ReminderSent.objects.filter(kind=reminders.SHORTFALL_LIST, period="2026").count() == 1


@pytest.mark.parametrize("size", [2, 8])
def test_liaison_list_queries_do_not_grow_with_the_members(size, django_assert_max_num_queries):
    unit = factories.UnitFactory()
    staff(Role.UNIT_LIAISON, unit=unit)
    for _ in range(size):
        serving_member(unit=unit, verified_hours=["1.0"])

    # Liaisons not yet told, counts per unit, names per unit; four writes for the one liaison.
    with django_assert_max_num_queries(3 + WRITES_PER_REMINDER):
        assert reminders.remind_shortfall_to_liaisons(now=DECEMBER_FIRST) == 1
