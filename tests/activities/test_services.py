"""The rules and errors of every activity service (flow 8)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from communities import kept
from communities.models import AuditEvent, Notification
from services.activities import codes
from services.activities import services as activity_ops
from services.activities.models import Activity, ActivitySeries, CheckIn, SignUp
from services.models import ServiceRecord
from services.points import record_points
from services.selectors import member_service_summary
from tests import factories
from tests.conftest import make_staff

from .helpers import activity_values, confirmed_member, make_activity, sign_up

pytestmark = pytest.mark.django_db
Status = Activity.Status
S = SignUp.Status


def refused_with(excinfo, message):
    assert gettext(message) in excinfo.value.messages


@pytest.fixture
def home():
    return factories.CommunityFactory()


@pytest.fixture
def staff(home):
    return make_staff("community", community=home)


# --- Create, publish, cancel -------------------------------------------------------------------------------------


def test_staff_create_a_draft_activity_of_their_community(home, staff):
    [activity] = activity_ops.activity_create(user=staff, community=home, **activity_values())
    assert activity.status == Status.DRAFT and activity.community == home and activity.created_by == staff
    assert activity.signup_deadline == activity.starts_at  # left empty: until the start
    assert activity.series is None


def test_staff_of_another_community_cannot_create_or_publish_here(home):
    other = make_staff("community", community=factories.CommunityFactory())
    with pytest.raises(PermissionDenied):
        activity_ops.activity_create(user=other, community=home, **activity_values())
    activity = make_activity(home, status=Status.DRAFT)
    with pytest.raises(PermissionDenied):
        activity_ops.activity_publish(user=other, activity_id=activity.pk)
    with pytest.raises(PermissionDenied):
        activity_ops.activity_cancel(user=other, activity_id=activity.pk)
    activity.refresh_from_db()
    assert activity.status == Status.DRAFT


def test_create_refuses_bad_times_and_places(home, staff):
    now = timezone.now()
    with pytest.raises(ValidationError) as excinfo:
        activity_ops.activity_create(user=staff, community=home, **activity_values(
            starts_at=now - datetime.timedelta(hours=1), ends_at=now - datetime.timedelta(hours=2), places=0,
            cancel_cutoff=None,
        ))
    assert set(excinfo.value.error_dict) == {"starts_at", "ends_at", "places"}
    start = now + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as excinfo:
        activity_ops.activity_create(user=staff, community=home, **activity_values(
            starts_at=start, ends_at=start + datetime.timedelta(hours=13),
            signup_deadline=start + datetime.timedelta(hours=1), cancel_cutoff=start + datetime.timedelta(hours=1),
        ))
    assert set(excinfo.value.error_dict) == {"ends_at", "signup_deadline", "cancel_cutoff"}
    assert not Activity.objects.exists()


def test_a_weekly_series_makes_one_activity_a_week_at_the_same_local_time(home, staff):
    values = activity_values()
    created = activity_ops.activity_create(user=staff, community=home, frequency="weekly", occurrences=4, **values)
    assert len(created) == 4 == Activity.objects.filter(series__isnull=False).count()
    series = ActivitySeries.objects.get()
    assert (series.frequency, series.occurrences) == ("weekly", 4)
    starts = [timezone.localtime(activity.starts_at) for activity in created]
    assert [(b - a).days for a, b in zip(starts, starts[1:], strict=False)] == [7, 7, 7]
    assert {start.time() for start in starts} == {timezone.localtime(values["starts_at"]).time()}
    for activity in created:  # the end and cut-off keep their distance to the start
        assert activity.ends_at - activity.starts_at == datetime.timedelta(hours=3)
        assert activity.starts_at - activity.cancel_cutoff == datetime.timedelta(days=1)


def test_a_monthly_series_repeats_on_the_same_day_of_the_month(home, staff):
    created = activity_ops.activity_create(
        user=staff, community=home, frequency="monthly", occurrences=3, **activity_values()
    )
    days = {timezone.localtime(activity.starts_at).day for activity in created}
    months = [timezone.localtime(activity.starts_at).month for activity in created]
    assert len(days) == 1 and len(set(months)) == 3


def test_a_series_needs_a_frequency_and_at_most_52_occurrences(home, staff):
    with pytest.raises(ValidationError):
        activity_ops.activity_create(user=staff, community=home, occurrences=3, **activity_values())
    with pytest.raises(ValidationError):
        activity_ops.activity_create(user=staff, community=home, frequency="weekly", occurrences=53,
                                     **activity_values())
    assert not Activity.objects.exists()


def test_publish_a_draft_once_and_audit_it(home, staff):
    activity = make_activity(home, status=Status.DRAFT)
    activity_ops.activity_publish(user=staff, activity_id=activity.pk)
    activity.refresh_from_db()
    assert activity.status == Status.PUBLISHED and activity.published_at
    assert AuditEvent.objects.filter(action="activity_publish", outcome="success").count() == 1
    with pytest.raises(ValidationError):
        activity_ops.activity_publish(user=staff, activity_id=activity.pk)


def test_cancelling_tells_everyone_signed_up_or_waiting(home, staff):
    activity = make_activity(home, places=1)
    first, second = confirmed_member(home), confirmed_member(home)
    sign_up(first, activity)
    sign_up(second, activity)
    activity_ops.activity_cancel(user=staff, activity_id=activity.pk)
    activity.refresh_from_db()
    assert activity.status == Status.CANCELLED
    told = set(Notification.objects.filter(kind="activity").values_list("user_id", flat=True))
    assert told == {first.user_id, second.user_id}
    with pytest.raises(ValidationError):
        activity_ops.activity_cancel(user=staff, activity_id=activity.pk)


def test_a_started_activity_cannot_be_cancelled(home, staff):
    start = timezone.now() - datetime.timedelta(minutes=10)
    activity = make_activity(home, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    with pytest.raises(ValidationError):
        activity_ops.activity_cancel(user=staff, activity_id=activity.pk)


# --- Sign-up and the waiting list --------------------------------------------------------------------------------

FULL_OR_NOT_OPEN = "This activity is not open for sign-up."
NOT_REPORTED = "You can sign up for the activities of the community you have reported to."


def test_members_take_places_then_join_the_waiting_list_in_turn(home):
    activity = make_activity(home, places=2)
    signups = [sign_up(confirmed_member(home), activity) for _ in range(4)]
    assert [signup.status for signup in signups] == [S.SIGNED_UP, S.SIGNED_UP, S.WAITING, S.WAITING]
    assert [signup.position for signup in signups[2:]] == [1, 2]
    activity.refresh_from_db()
    assert (activity.signed_up_count, activity.last_position) == (2, 2)


def test_a_member_of_another_community_or_without_a_confirmed_report_cannot_sign_up(home):
    activity = make_activity(home)
    for member in (confirmed_member(factories.CommunityFactory()), factories.MemberFactory()):
        with pytest.raises(ValidationError) as excinfo:
            sign_up(member, activity)
        refused_with(excinfo, NOT_REPORTED)
    assert not SignUp.objects.exists()


def test_signing_up_twice_is_refused(home):
    activity = make_activity(home)
    member = confirmed_member(home)
    sign_up(member, activity)
    with pytest.raises(ValidationError) as excinfo:
        sign_up(member, activity)
    refused_with(excinfo, "You have already signed up for this activity.")


def test_no_sign_up_on_a_draft_a_started_or_a_past_deadline_activity(home):
    member = confirmed_member(home)
    start = timezone.now() - datetime.timedelta(minutes=5)
    for activity in (
        make_activity(home, status=Status.DRAFT),
        make_activity(home, starts_at=start, ends_at=start + datetime.timedelta(hours=1)),
    ):
        with pytest.raises(ValidationError) as excinfo:
            sign_up(member, activity)
        refused_with(excinfo, FULL_OR_NOT_OPEN)
    late = make_activity(home, signup_deadline=timezone.now() - datetime.timedelta(hours=1))
    with pytest.raises(ValidationError) as excinfo:
        sign_up(member, late)
    refused_with(excinfo, "The sign-up deadline has passed.")


def test_cancelling_before_the_cut_off_moves_the_first_waiting_member_up_and_tells_them(home):
    activity = make_activity(home, places=1)
    holder, first, second = (confirmed_member(home) for _ in range(3))
    sign_up(holder, activity)
    sign_up(first, activity)
    sign_up(second, activity)
    cancelled = activity_ops.signup_cancel(member=holder, activity_id=activity.pk)
    assert cancelled.status == S.CANCELLED
    statuses = dict(SignUp.objects.filter(activity=activity).values_list("member_id", "status"))
    assert statuses == {holder.pk: S.CANCELLED, first.pk: S.SIGNED_UP, second.pk: S.WAITING}
    assert SignUp.objects.get(member=first).moved_up_at is not None
    activity.refresh_from_db()
    assert activity.signed_up_count == 1
    assert list(Notification.objects.filter(kind="activity").values_list("user_id", flat=True)) == [first.user_id]


def test_cancelling_after_the_cut_off_is_recorded_as_late(home):
    activity = make_activity(home, places=1, cancel_cutoff=timezone.now() - datetime.timedelta(hours=1))
    member = confirmed_member(home)
    sign_up(member, activity)
    assert activity_ops.signup_cancel(member=member, activity_id=activity.pk).status == S.LATE_CANCELLED
    activity.refresh_from_db()
    assert activity.signed_up_count == 0
    # The place is free again: the member may even take it back.
    assert sign_up(member, activity).status == S.SIGNED_UP


def test_leaving_the_waiting_list_frees_no_place(home):
    activity = make_activity(home, places=1)
    holder, waiting = confirmed_member(home), confirmed_member(home)
    sign_up(holder, activity)
    sign_up(waiting, activity)
    assert activity_ops.signup_cancel(member=waiting, activity_id=activity.pk).status == S.CANCELLED
    activity.refresh_from_db()
    assert activity.signed_up_count == 1
    assert SignUp.objects.get(member=holder).status == S.SIGNED_UP


def test_a_sign_up_cannot_be_cancelled_after_the_start_and_none_is_not_found(home):
    start = timezone.now() - datetime.timedelta(minutes=5)
    activity = make_activity(home, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    member = confirmed_member(home)
    SignUp.objects.create(activity=activity, member=member)
    with pytest.raises(ValidationError):
        activity_ops.signup_cancel(member=member, activity_id=activity.pk)
    with pytest.raises(SignUp.DoesNotExist):
        activity_ops.signup_cancel(member=confirmed_member(home), activity_id=activity.pk)


# --- Check-in ----------------------------------------------------------------------------------------------------

START = datetime.datetime(2026, 12, 5, 1, 0, tzinfo=datetime.UTC)  # 09:00 in Shanghai
EXPIRED = (
    "This code has expired: it is more than a minute old. Scan the code on the organiser's phone now; a forwarded "
    "picture of the code does not count."
)
WRONG_CODE = "This is not the code of this activity. Check the digits and try again."


@pytest.fixture
def running(home):
    """An activity 09:00–12:00 with two members holding places (signed up the day before)."""
    with time_machine.travel(START - datetime.timedelta(days=1), tick=False):
        activity = make_activity(home, places=3, starts_at=START, ends_at=START + datetime.timedelta(hours=3))
        members = [confirmed_member(home) for _ in range(2)]
        for member in members:
            sign_up(member, activity)
    return activity, members


def scan(member, activity, kind="entry", code=None):
    code = code or codes.current_code(activity_id=activity.pk, kind=kind)
    return activity_ops.checkin_by_code(member=member, activity_id=activity.pk, kind=kind, code=code)


def test_a_member_checks_in_with_the_current_code_and_the_activity_shows_running(running):
    activity, (member, _other) = running
    with time_machine.travel(START + datetime.timedelta(minutes=2), tick=False):
        checkin, created = scan(member, activity)
    assert created and checkin.method == CheckIn.Method.CODE and checkin.kind == "entry"
    activity.refresh_from_db()
    assert activity.status == Status.RUNNING


def test_repeating_the_same_scan_is_recorded_once(running):
    activity, (member, _other) = running
    with time_machine.travel(START, tick=False) as clock:
        first, created = scan(member, activity)
        clock.shift(datetime.timedelta(seconds=20))
        again, created_again = scan(member, activity)
        clock.shift(datetime.timedelta(seconds=35))  # a new window, a new code, still the same scan
        third, created_third = scan(member, activity)
    assert created and not created_again and not created_third
    assert first.pk == again.pk == third.pk
    assert CheckIn.objects.count() == 1


def test_a_forwarded_code_older_than_a_minute_is_refused_with_a_clear_message(running):
    activity, (member, _other) = running
    with time_machine.travel(START, tick=False) as clock:
        old = codes.current_code(activity_id=activity.pk, kind="entry")
        clock.shift(datetime.timedelta(seconds=61))
        with pytest.raises(ValidationError) as excinfo:
            scan(member, activity, code=old)
    assert excinfo.value.message_dict["code"] == [gettext(EXPIRED)]
    assert not CheckIn.objects.exists()


def test_a_wrong_code_is_refused_and_too_many_stop_the_member(running):
    activity, (member, _other) = running
    with time_machine.travel(START, tick=False):
        good = codes.current_code(activity_id=activity.pk, kind="entry")
        wrong = f"{(int(good) + 1) % 1000000:06d}"
        for _ in range(activity_ops.WRONG_CODE_LIMIT):
            with pytest.raises(ValidationError) as excinfo:
                scan(member, activity, code=wrong)
            assert excinfo.value.message_dict["code"] == [gettext(WRONG_CODE)]
        with pytest.raises(ValidationError) as excinfo:
            scan(member, activity, code=good)
    refused_with(excinfo, "Too many wrong codes. Ask the organiser to check you in.")
    assert not CheckIn.objects.exists()


def test_no_check_in_outside_the_window_nor_without_a_place_nor_out_before_in(running, home):
    activity, (member, _other) = running
    with time_machine.travel(START - datetime.timedelta(hours=1), tick=False), pytest.raises(ValidationError):
        scan(member, activity)
    with time_machine.travel(START + datetime.timedelta(hours=3, minutes=1), tick=False), \
            pytest.raises(ValidationError):
        scan(member, activity)  # check-in ends at the end
    with time_machine.travel(START, tick=False):
        with pytest.raises(ValidationError) as excinfo:
            scan(confirmed_member(home), activity)
        refused_with(excinfo, "Only members with a place on this activity can check in.")
        with pytest.raises(ValidationError) as excinfo:
            scan(member, activity, kind="exit")
        refused_with(excinfo, "Check in first; a check-out needs a check-in before it.")
    assert not CheckIn.objects.exists()


def test_the_organiser_checks_in_by_hand_with_a_reason_audited(running, staff, home):
    activity, (member, _other) = running
    with time_machine.travel(START, tick=False):
        with pytest.raises(ValidationError):
            activity_ops.checkin_manual(user=staff, activity_id=activity.pk, member_id=member.pk, kind="entry",
                                        reason=" ")
        with pytest.raises(PermissionDenied):
            activity_ops.checkin_manual(user=make_staff("community", community=factories.CommunityFactory()),
                                        activity_id=activity.pk, member_id=member.pk, kind="entry", reason="手机没电")
        scan_, created = activity_ops.checkin_manual(
            user=staff, activity_id=activity.pk, member_id=member.pk, kind="entry", reason="手机没电"
        )
    assert created and scan_.method == CheckIn.Method.MANUAL and scan_.recorded_by == staff
    assert scan_.reason == "手机没电"
    events = AuditEvent.objects.filter(action="activity_checkin_manual")
    assert sorted(events.values_list("outcome", flat=True)) == ["failure", "refused", "success"]


# --- Closing: no-shows and hours ---------------------------------------------------------------------------------


def at(minutes):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


def test_hours_rule():
    three = datetime.timedelta(hours=3)
    t0 = START
    assert activity_ops.credited_seconds(scheduled=three, first_entry=t0, last_exit=t0 + three * 2) == 3 * 3600
    assert activity_ops.credited_seconds(scheduled=three, first_entry=t0, last_exit=None) == 0
    assert activity_ops.credited_seconds(scheduled=three, first_entry=t0, last_exit=t0) == 0
    assert activity_ops.hours_for(present_seconds=3 * 3600, scheduled=three) == Decimal("3.0")
    assert activity_ops.hours_for(present_seconds=int(1.8 * 3600), scheduled=three) == Decimal("1.5")  # 60%
    assert activity_ops.hours_for(present_seconds=int(1.8 * 3600) - 1, scheduled=three) == Decimal("0")
    assert activity_ops.hours_for(present_seconds=0, scheduled=three) == Decimal("0")


def test_the_minimum_presence_is_a_setting(settings):
    settings.ACTIVITY_MIN_PRESENCE = "0.9"
    three = datetime.timedelta(hours=3)
    assert activity_ops.hours_for(present_seconds=int(2.5 * 3600), scheduled=three) == Decimal("0")
    settings.ACTIVITY_MIN_PRESENCE = "0.5"
    assert activity_ops.hours_for(present_seconds=int(1.5 * 3600), scheduled=three) == Decimal("1.5")


def test_closing_marks_no_shows_and_credits_verified_hours_by_the_rule(running, staff, home):
    activity, (stayer, leaver) = running
    absent = confirmed_member(home)
    with time_machine.travel(START - datetime.timedelta(days=1), tick=False):
        sign_up(absent, activity)
    with at(-10):
        scan(stayer, activity)
        scan(leaver, activity)
    with at(60):
        scan(leaver, activity, "exit")  # 70 minutes of 180: under 60%
    with at(200):
        scan(stayer, activity, "exit")  # 210 minutes: capped at the scheduled 180
        figures = activity_ops.activity_close(user=staff, activity_id=activity.pk)
    assert figures == {"attended": 2, "no_show": 1, "credited": 1, "hours": "3.0"}
    activity.refresh_from_db()
    assert activity.status == Status.ENDED and activity.closed_at
    signups = {signup.member_id: signup for signup in SignUp.objects.filter(activity=activity)}
    assert signups[absent.pk].status == S.NO_SHOW and signups[absent.pk].record is None
    assert signups[leaver.pk].status == S.ATTENDED and signups[leaver.pk].record is None
    assert signups[leaver.pk].present_seconds == 70 * 60
    record = signups[stayer.pk].record
    assert (record.status, record.hours, record.member_id, record.community_id) == (
        ServiceRecord.Status.VERIFIED, Decimal("3.0"), stayer.pk, home.pk,
    )
    assert record.points == record_points(hours=Decimal("3.0"), outcome=record.outcome)
    assert record.verified_by == staff and record.served_on == datetime.date(2026, 12, 5)
    assert AuditEvent.objects.filter(action="activity_close", outcome="success").count() == 1
    with at(201), pytest.raises(ValidationError):
        activity_ops.activity_close(user=staff, activity_id=activity.pk)
    with at(202), pytest.raises(ValidationError):
        scan(stayer, activity, "exit")  # closed: no scan after


def test_credited_hours_never_take_a_members_day_past_12_hours(running, staff):
    activity, (member, _other) = running
    factories.ServiceRecordFactory(member=member, community=activity.community, served_on=datetime.date(2026, 12, 5),
                                   hours=Decimal("10.0"))
    with at(0):
        scan(member, activity)
    with at(180):
        scan(member, activity, "exit")
        activity_ops.activity_close(user=staff, activity_id=activity.pk)
    assert SignUp.objects.get(member=member).record.hours == Decimal("2.0")


def test_an_activity_can_be_closed_only_after_its_start_by_its_staff(running, staff):
    activity, _members = running
    with at(-5), pytest.raises(ValidationError):
        activity_ops.activity_close(user=staff, activity_id=activity.pk)
    other = make_staff("community", community=factories.CommunityFactory())
    with at(5), pytest.raises(PermissionDenied):
        activity_ops.activity_close(user=other, activity_id=activity.pk)
    activity.refresh_from_db()
    assert activity.status == Status.PUBLISHED


def test_the_organiser_scans_the_members_own_code_within_a_minute(running, staff, home):
    activity, (member, _other) = running
    with time_machine.travel(START, tick=False) as clock:
        token = codes.member_token(activity_id=activity.pk, member_id=member.pk)
        with pytest.raises(PermissionDenied):
            activity_ops.checkin_by_organiser_scan(
                user=make_staff("community", community=factories.CommunityFactory()), activity_id=activity.pk,
                token=token, kind="entry",
            )
        other_activity = make_activity(home, starts_at=START, ends_at=START + datetime.timedelta(hours=1))
        with pytest.raises(ValidationError):  # a code of another activity
            activity_ops.checkin_by_organiser_scan(user=staff, activity_id=other_activity.pk, token=token,
                                                   kind="entry")
        scan_, created = activity_ops.checkin_by_organiser_scan(user=staff, activity_id=activity.pk, token=token,
                                                                kind="entry")
        assert created and scan_.method == CheckIn.Method.ORGANISER_SCAN and scan_.recorded_by == staff
        clock.shift(datetime.timedelta(seconds=61))
        with pytest.raises(ValidationError) as excinfo:
            activity_ops.checkin_by_organiser_scan(user=staff, activity_id=activity.pk, token=token, kind="exit")
    assert "expired" in excinfo.value.messages[0] or "过期" in excinfo.value.messages[0]
    with pytest.raises(ValidationError):
        activity_ops.checkin_by_organiser_scan(user=staff, activity_id=activity.pk, token="forged", kind="entry")
    assert CheckIn.objects.count() == 1


def test_closing_settles_every_member_across_update_batches(running, staff, home, monkeypatch):
    monkeypatch.setattr(activity_ops, "SETTLE_BATCH", 2)
    activity, members = running
    with time_machine.travel(START - datetime.timedelta(days=1), tick=False):
        members += [confirmed_member(home)]
        sign_up(members[-1], activity)
    with at(0):
        for member in members[:2]:
            scan(member, activity)
    with at(150):
        for member in members[:2]:
            scan(member, activity, "exit")
        activity_ops.activity_close(user=staff, activity_id=activity.pk)
    settled = {signup.member_id: signup for signup in SignUp.objects.filter(activity=activity)}
    for member in members[:2]:
        assert settled[member.pk].status == S.ATTENDED and settled[member.pk].present_seconds == 150 * 60
        assert settled[member.pk].record.hours == Decimal("2.5")
    assert settled[members[2].pk].status == S.NO_SHOW and settled[members[2].pk].record is None
    assert settled[members[2].pk].present_seconds == 0


def test_closing_computes_the_credited_members_kept_summaries_again(running, staff, monkeypatch):
    monkeypatch.setattr(kept, "shared_cache", lambda: True)  # as with Redis: the summary is kept between pages
    activity, (stayer, _leaver) = running
    with at(-10):
        scan(stayer, activity)
    with at(200):
        scan(stayer, activity, "exit")
        assert member_service_summary(member=stayer).time_bank_hours == 0  # kept from here
        activity_ops.activity_close(user=staff, activity_id=activity.pk)  # bulk_create: no post_save
        assert member_service_summary(member=stayer).time_bank_hours == Decimal("3.0")
