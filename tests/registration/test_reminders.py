"""Reminders 1 and 2: roster members not registered (SMS and the liaisons' weekly digest), and reports
pending confirmation (the staff's daily digest)."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from communities import reminders as communities_reminders
from communities.models import Notification, ReminderSent, StaffAssignment
from communities.sms import SmsError
from communities.tasks import deliver_notifications_task
from registration import reminders
from registration.models import Report
from registration.tasks import remind_unregistered_roster_task
from tests import factories
from tests.concurrency import run_in_threads

pytestmark = pytest.mark.django_db

Role = StaffAssignment.Role
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Friday morning; ISO week 2026-W47.
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
# One key, one notification row and the savepoint around them.
WRITES_PER_REMINDER = 4
# A chunk's writes, whatever its people: remind_many's savepoint, keys' INSERT, notifications' INSERT, release.
CHUNK_WRITES = 4


class RecordingSmsBackend:
    """Stands in for the SMS gateway: records what would leave the process."""

    sent = []

    def send(self, phone, template, params):
        self.sent.append((phone, template, params))


class RefusingSmsBackend:
    def send(self, phone, template, params):
        raise SmsError("number blocked by the gateway", transient=False)


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.REMINDER_UNREGISTERED_AFTER_DAYS = 14
    settings.REMINDER_PENDING_REPORT_DAYS = 3
    return settings


@pytest.fixture
def recording_sms(settings):
    RecordingSmsBackend.sent = []
    settings.SMS_BACKEND = f"{__name__}.RecordingSmsBackend"
    return RecordingSmsBackend.sent


def staff(role, **place):
    return factories.StaffAssignmentFactory(role=role, **{"community": None, **place}).user


def roster_entry(days_ago=14, **values):
    """A roster entry added `days_ago` local days before NOW (in the evening, the latest of that day)."""
    added_on = NOW.date() - datetime.timedelta(days=days_ago)
    values.setdefault("created_at", datetime.datetime.combine(added_on, datetime.time(23, 30), tzinfo=SHANGHAI))
    return factories.RosterEntryFactory(**values)


def sms_notifications():
    return Notification.objects.filter(kind=reminders.UNREGISTERED_SMS, channel=Notification.Channel.SMS)


# --- Rule 1: SMS to roster members not registered ------------------------------------------------------------


def test_unregistered_roster_member_gets_one_sms_on_the_due_day():
    entry = roster_entry(days_ago=14)

    assert reminders.remind_unregistered_roster(now=NOW) == 1

    notification = sms_notifications().get()
    assert notification.phone == entry.phone
    assert notification.user is None
    assert notification.status == Notification.Status.PENDING
    assert entry.name in notification.title
    assert ReminderSent.objects.filter(
        kind=reminders.UNREGISTERED_SMS, period="once", recipient=f"roster:{entry.pk}"
    ).exists()


def test_no_sms_before_the_delay_has_passed():
    roster_entry(days_ago=13)

    assert reminders.remind_unregistered_roster(now=NOW) == 0
    assert not sms_notifications().exists()


def test_no_sms_once_registered():
    entry = roster_entry(days_ago=30)
    factories.MemberFactory(roster_entry=entry, unit=entry.unit)

    assert reminders.remind_unregistered_roster(now=NOW) == 0


def test_no_sms_without_a_phone():
    roster_entry(days_ago=30, phone="")

    assert reminders.remind_unregistered_roster(now=NOW) == 0
    assert not ReminderSent.objects.exists()


def test_sms_is_sent_once_per_entry_however_often_the_job_runs():
    roster_entry(days_ago=20)
    roster_entry(days_ago=15)

    assert reminders.remind_unregistered_roster(now=NOW) == 2
    assert reminders.remind_unregistered_roster(now=NOW) == 0
    assert reminders.remind_unregistered_roster(now=NOW + datetime.timedelta(days=8)) == 0
    assert sms_notifications().count() == 2


def test_an_overlapping_run_sends_nothing_twice(monkeypatch):
    """A second run starts after the first chose its entries and before it sent: each entry still gets
    exactly one SMS, whichever run sends it."""
    entries = [roster_entry(days_ago=20) for _ in range(3)]
    real_remind_many = reminders.remind_many
    overlapped = []

    def remind_many_with_overlap(**kwargs):
        if not overlapped:
            overlapped.append("running")
            overlapped[0] = reminders.remind_unregistered_roster(now=NOW)
        return real_remind_many(**kwargs)

    monkeypatch.setattr(reminders, "remind_many", remind_many_with_overlap)
    first = reminders.remind_unregistered_roster(now=NOW)

    assert first + overlapped[0] == 3
    assert sorted(sms_notifications().values_list("phone", flat=True)) == sorted(entry.phone for entry in entries)
    assert ReminderSent.objects.filter(kind=reminders.UNREGISTERED_SMS).count() == 3


def test_sms_goes_out_through_the_configured_backend_after_commit(recording_sms, django_capture_on_commit_callbacks):
    entry = roster_entry(days_ago=14)

    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_unregistered_roster(now=NOW)

    assert [(phone, template) for phone, template, _params in recording_sms] == [
        (entry.phone, reminders.UNREGISTERED_SMS)
    ]
    assert recording_sms[0][2]["link"] == "/registration/register/"
    notification = sms_notifications().get()
    assert notification.status == Notification.Status.SENT
    assert notification.sent_at is not None


def test_a_permanent_gateway_refusal_marks_the_sms_failed(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = f"{__name__}.RefusingSmsBackend"
    roster_entry(days_ago=14)

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.remind_unregistered_roster(now=NOW) == 1

    notification = sms_notifications().get()
    assert notification.status == Notification.Status.FAILED
    assert "blocked" in notification.error
    # The reminder counts as given: a refused number is not tried again tomorrow.
    assert reminders.remind_unregistered_roster(now=NOW + datetime.timedelta(days=1)) == 0


def test_the_sweep_task_fans_out_one_chunk_task_per_primary_key_range(monkeypatch):
    monkeypatch.setattr(reminders, "ROSTER_CHUNK_SIZE", 2)
    entries = [roster_entry(days_ago=20) for _ in range(5)]
    roster_entry(days_ago=1)  # too new: after the last range

    chunk_ids = remind_unregistered_roster_task.delay(NOW.isoformat()).get()

    assert len(chunk_ids) == 3  # five consecutive keys in ranges of two
    assert reminders.unregistered_roster_ranges(now=NOW, chunk_size=2)[0] == (entries[0].pk, entries[0].pk + 2)
    assert sms_notifications().count() == 5


@pytest.mark.parametrize("size", [2, 6])
def test_sms_queries_grow_only_by_the_writes_of_each_sms(size, django_assert_max_num_queries):
    for _ in range(size):
        roster_entry(days_ago=20)
    roster_entry(days_ago=20, phone="")
    factories.MemberFactory(roster_entry=roster_entry(days_ago=20))

    # The key range, the candidates, the chunk's savepoint and release; then four writes per SMS.
    with django_assert_max_num_queries(4 + WRITES_PER_REMINDER * size):
        assert reminders.remind_unregistered_roster(now=NOW) == size


@pytest.mark.parametrize("size", [5, 50])
def test_a_chunk_of_sms_costs_the_same_statements_for_5_or_50_people(size, django_assert_max_num_queries):
    for _ in range(size):
        roster_entry(days_ago=20)

    # The key range, the candidates, the keys already written among them; then the chunk's writes.
    with django_assert_max_num_queries(3 + CHUNK_WRITES):
        assert reminders.remind_unregistered_roster(now=NOW) == size
    assert sms_notifications().count() == size


def test_a_chunk_queues_its_sms_delivery_as_one_task_of_ids(monkeypatch, django_capture_on_commit_callbacks):
    entries = [roster_entry(days_ago=20) for _ in range(3)]
    queued = []
    monkeypatch.setattr(deliver_notifications_task, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_unregistered_roster(now=NOW)

    assert queued == [(sorted(sms_notifications().values_list("pk", flat=True)),)]
    assert sorted(sms_notifications().values_list("phone", flat=True)) == sorted(entry.phone for entry in entries)


def test_a_chunk_retried_after_it_committed_sends_nothing_twice():
    roster_entry(days_ago=20)
    roster_entry(days_ago=20)
    (start, end), *_rest = reminders.unregistered_roster_ranges(now=NOW)

    assert reminders.remind_unregistered_roster_range(start_pk=start, end_pk=end, now=NOW) == 2
    assert reminders.remind_unregistered_roster_range(start_pk=start, end_pk=end, now=NOW) == 0
    assert sms_notifications().count() == 2



@pytest.mark.django_db(transaction=True)
def test_two_sweeps_over_overlapping_chunks_at_once_send_each_sms_once(monkeypatch):
    """Both workers choose their entries before either writes; their key INSERTs then meet on the unique
    index: one waits for the other to commit and skips what it wrote. No deadlock, no second SMS."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    entries = [roster_entry(days_ago=20) for _ in range(30)]
    pks = [entry.pk for entry in entries]
    both_chose = threading.Barrier(2, timeout=30)
    real_remind_many = reminders.remind_many

    def remind_many_once_both_chose(**kwargs):
        both_chose.wait()
        return real_remind_many(**kwargs)

    monkeypatch.setattr(reminders, "remind_many", remind_many_once_both_chose)
    sent = []

    def sweep(start, end):
        return lambda: sent.append(reminders.remind_unregistered_roster_range(start_pk=start, end_pk=end, now=NOW))

    run_in_threads(sweep(pks[0], pks[19] + 1), sweep(pks[10], pks[29] + 1))

    assert sum(sent) == 30
    assert sorted(sms_notifications().values_list("phone", flat=True)) == sorted(entry.phone for entry in entries)
    assert ReminderSent.objects.filter(kind=reminders.UNREGISTERED_SMS).count() == 30


# --- Rule 1: the weekly digest to unit liaisons -----------------------------------------------------------------


def test_unit_liaison_gets_a_weekly_digest_of_unregistered_names_only():
    unit, other_unit = factories.UnitFactory(), factories.UnitFactory()
    liaison = staff(Role.UNIT_LIAISON, unit=unit)
    other_liaison = staff(Role.UNIT_LIAISON, unit=other_unit)
    community_staff = staff(Role.COMMUNITY_STAFF, community=factories.CommunityFactory())
    due = [roster_entry(days_ago=15, unit=unit, phone=f"1390000000{n}") for n in range(2)]
    too_new = roster_entry(days_ago=3, unit=unit)
    registered = roster_entry(days_ago=30, unit=unit)
    factories.MemberFactory(roster_entry=registered, unit=unit)

    assert reminders.remind_unregistered_to_liaisons(now=NOW) == 1

    digest = Notification.objects.get(kind=reminders.UNREGISTERED_DIGEST)
    assert digest.user == liaison
    assert digest.channel == Notification.Channel.INBOX
    assert all(entry.name in digest.body for entry in due)
    assert too_new.name not in digest.body and registered.name not in digest.body
    text = digest.title + digest.body
    assert all(entry.phone not in text and entry.id_number not in text for entry in due)
    assert all(entry.id_number_mask not in text for entry in due)
    assert digest.link == f"/registration/units/{unit.pk}/roster/?status=not_registered"
    assert not Notification.objects.filter(user__in=[other_liaison, community_staff]).exists()
    assert ReminderSent.objects.filter(
        kind=reminders.UNREGISTERED_DIGEST, period="2026-W47", recipient=f"user:{liaison.pk}"
    ).exists()


def test_each_liaison_hears_only_of_their_own_units():
    unit_a, unit_b = factories.UnitFactory(), factories.UnitFactory()
    liaisons_a = [staff(Role.UNIT_LIAISON, unit=unit_a) for _ in range(2)]
    liaison_b = staff(Role.UNIT_LIAISON, unit=unit_b)
    entry_a = roster_entry(days_ago=20, unit=unit_a)
    entry_b = roster_entry(days_ago=20, unit=unit_b)

    assert reminders.remind_unregistered_to_liaisons(now=NOW) == 3

    for liaison in liaisons_a:
        body = Notification.objects.get(user=liaison).body
        assert entry_a.name in body and entry_b.name not in body
    body_b = Notification.objects.get(user=liaison_b).body
    assert entry_b.name in body_b and entry_a.name not in body_b


def test_a_liaison_of_two_units_gets_one_digest_covering_both():
    unit_a, unit_b = factories.UnitFactory(), factories.UnitFactory()
    liaison = staff(Role.UNIT_LIAISON, unit=unit_a)
    StaffAssignment.objects.create(user=liaison, role=Role.UNIT_LIAISON, unit=unit_b)
    entries = [roster_entry(days_ago=20, unit=unit_a), roster_entry(days_ago=20, unit=unit_b)]

    assert reminders.remind_unregistered_to_liaisons(now=NOW) == 1

    digest = Notification.objects.get(user=liaison)
    assert all(entry.name in digest.body for entry in entries)
    assert digest.link == "/registration/units/"


def test_digest_is_weekly():
    unit = factories.UnitFactory()
    staff(Role.UNIT_LIAISON, unit=unit)
    roster_entry(days_ago=20, unit=unit)
    monday_next_week = NOW + datetime.timedelta(days=3)

    assert reminders.remind_unregistered_to_liaisons(now=NOW) == 1
    assert reminders.remind_unregistered_to_liaisons(now=NOW) == 0
    assert reminders.remind_unregistered_to_liaisons(now=NOW + datetime.timedelta(days=2)) == 0  # Sunday
    assert reminders.remind_unregistered_to_liaisons(now=monday_next_week) == 1
    assert set(ReminderSent.objects.values_list("period", flat=True)) == {"2026-W47", "2026-W48"}


def test_no_digest_when_nobody_is_overdue_or_the_liaison_is_inactive():
    unit = factories.UnitFactory()
    liaison = staff(Role.UNIT_LIAISON, unit=unit)
    roster_entry(days_ago=5, unit=unit)
    other_unit = factories.UnitFactory()
    inactive = staff(Role.UNIT_LIAISON, unit=other_unit)
    inactive.is_active = False
    inactive.save()
    roster_entry(days_ago=20, unit=other_unit)

    assert reminders.remind_unregistered_to_liaisons(now=NOW) == 0
    assert not Notification.objects.filter(user__in=[liaison, inactive]).exists()


def test_digest_lists_the_first_names_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr(communities_reminders, "DIGEST_NAMES_LIMIT", 2)
    unit = factories.UnitFactory()
    staff(Role.UNIT_LIAISON, unit=unit)
    names = ["甲一", "乙二", "丙三"]
    for name in names:
        roster_entry(days_ago=20, unit=unit, name=name)

    reminders.remind_unregistered_to_liaisons(now=NOW)

    body = Notification.objects.get(kind=reminders.UNREGISTERED_DIGEST).body
    assert [name in body for name in sorted(names)] == [True, True, False]
    assert "3" in body and "1" in body


@pytest.mark.parametrize("size", [3, 12])
def test_digest_queries_do_not_grow_with_the_people_listed(size, django_assert_max_num_queries):
    units = [factories.UnitFactory() for _ in range(2)]
    for unit in units:
        staff(Role.UNIT_LIAISON, unit=unit)
        for _ in range(size):
            roster_entry(days_ago=20, unit=unit)

    # Liaisons not yet reminded, counts per unit, names per unit; four writes per liaison.
    with django_assert_max_num_queries(3 + WRITES_PER_REMINDER * 2):
        assert reminders.remind_unregistered_to_liaisons(now=NOW) == 2


# --- Rule 2: reports pending confirmation -------------------------------------------------------------------


def pending_report(community, *, days_ago: float, **values):
    return factories.ReportFactory(community=community, submitted_at=NOW - datetime.timedelta(days=days_ago), **values)


def test_community_staff_get_a_digest_of_reports_pending_too_long():
    community, other = factories.CommunityFactory(), factories.CommunityFactory()
    staff_members = [staff(Role.COMMUNITY_STAFF, community=community) for _ in range(2)]
    other_staff = staff(Role.COMMUNITY_STAFF, community=other)
    street_staff = staff(Role.STREET_STAFF, street=community.street)
    pending_report(community, days_ago=4)
    pending_report(community, days_ago=10)
    pending_report(other, days_ago=1)

    assert reminders.remind_pending_reports(now=NOW) == 2

    digests = Notification.objects.filter(kind=reminders.PENDING_REPORTS)
    assert sorted(digest.user_id for digest in digests) == sorted(user.pk for user in staff_members)
    assert not Notification.objects.filter(user__in=[other_staff, street_staff]).exists()
    digest = digests.first()
    assert community.name in digest.body and "2" in digest.body
    assert (NOW - datetime.timedelta(days=10)).date().isoformat() in digest.body
    assert digest.link == "/registration/reports/"


def test_no_digest_for_reports_pending_three_days_or_less_or_already_decided():
    community = factories.CommunityFactory()
    staff(Role.COMMUNITY_STAFF, community=community)
    pending_report(community, days_ago=2.99)
    pending_report(community, days_ago=9, status=Report.Status.CONFIRMED)
    pending_report(community, days_ago=9, status=Report.Status.REJECTED, reject_reason="不在本社区居住")

    assert reminders.remind_pending_reports(now=NOW) == 0


def test_pending_digest_goes_once_a_day():
    community = factories.CommunityFactory()
    user = staff(Role.COMMUNITY_STAFF, community=community)
    pending_report(community, days_ago=5)

    assert reminders.remind_pending_reports(now=NOW) == 1
    assert reminders.remind_pending_reports(now=NOW + datetime.timedelta(hours=8)) == 0
    assert reminders.remind_pending_reports(now=NOW + datetime.timedelta(days=1)) == 1
    assert list(
        ReminderSent.objects.filter(recipient=f"user:{user.pk}").order_by("period").values_list("period", flat=True)
    ) == ["2026-11-20", "2026-11-21"]


def test_staff_of_two_communities_get_one_digest_covering_both():
    first, second = factories.CommunityFactory(), factories.CommunityFactory()
    user = staff(Role.COMMUNITY_STAFF, community=first)
    StaffAssignment.objects.create(user=user, role=Role.COMMUNITY_STAFF, community=second)
    pending_report(first, days_ago=5)
    pending_report(second, days_ago=6)

    assert reminders.remind_pending_reports(now=NOW) == 1

    body = Notification.objects.get(user=user).body
    assert first.name in body and second.name in body


@pytest.mark.parametrize("size", [2, 10])
def test_pending_digest_queries_do_not_grow_with_the_reports(size, django_assert_max_num_queries):
    communities = [factories.CommunityFactory() for _ in range(2)]
    for community in communities:
        staff(Role.COMMUNITY_STAFF, community=community)
        for _ in range(size):
            pending_report(community, days_ago=5)

    # Staff not yet reminded, figures per community; four writes per staff member.
    with django_assert_max_num_queries(2 + WRITES_PER_REMINDER * 2):
        assert reminders.remind_pending_reports(now=NOW) == 2


@pytest.mark.parametrize("size", [5, 50])
def test_pending_digests_cost_the_same_statements_for_5_or_50_staff(size, django_assert_max_num_queries):
    community = factories.CommunityFactory()
    for _ in range(size):
        staff(Role.COMMUNITY_STAFF, community=community)
    pending_report(community, days_ago=5)

    # Staff not yet reminded, figures per community; then the digests' writes.
    with django_assert_max_num_queries(2 + CHUNK_WRITES):
        assert reminders.remind_pending_reports(now=NOW) == size
