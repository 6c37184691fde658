"""The beat schedule, `manage.py run_job`, the reminders sweep, and one reminder run end to end through a
real Celery worker and a real Redis broker."""

import datetime
import io
import os
import time
from zoneinfo import ZoneInfo

import pytest
from celery.result import AsyncResult
from celery.schedules import crontab
from django.core.management import CommandError, call_command

from communities.management.commands.run_job import project_tasks
from communities.models import Notification, ReminderSent, StaffAssignment
from communities.platform import jobs
from communities.tasks import reminders_sweep_task
from config.celery import app as celery_app
from registration import reminders as registration_reminders
from registration.models import Report
from services import reminders as service_reminders
from services.activities import reminders as activity_reminders
from services.activities.models import SignUp
from services.models import ServiceRecord
from tests import factories
from tests.activities.helpers import make_activity
from tests.services_required import require_or_skip

Role = StaffAssignment.Role
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 1 December 2026, a Tuesday: every rule has its window open (the shortfall's from today).
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
ALL_KINDS = {
    registration_reminders.UNREGISTERED_SMS,
    registration_reminders.UNREGISTERED_DIGEST,
    registration_reminders.PENDING_REPORTS,
    service_reminders.CLAIM_NO_RECORD,
    service_reminders.NEED_UNCLAIMED,
    service_reminders.SHORTFALL,
    service_reminders.SHORTFALL_LIST,
    activity_reminders.ACTIVITY_TOMORROW,
}


class RecordingSmsBackend:
    """Stands in for the SMS gateway (the worker runs in a thread of this process, so it uses it too)."""

    sent = []

    def send(self, phone, template, params):
        self.sent.append((phone, template))


def staff(role, **place):
    return factories.StaffAssignmentFactory(role=role, **{"community": None, **place}).user


def one_candidate_per_rule():
    """Data on which each of the six rules (eight reminders) has exactly one thing to say at NOW."""
    unit, community = factories.UnitFactory(), factories.CommunityFactory()
    staff(Role.UNIT_LIAISON, unit=unit)
    staff(Role.COMMUNITY_STAFF, community=community)
    factories.RosterEntryFactory(unit=unit, created_at=NOW - datetime.timedelta(days=30))
    factories.ReportFactory(community=community, submitted_at=NOW - datetime.timedelta(days=5))
    ended = NOW - datetime.timedelta(days=4)
    factories.ClaimFactory(
        need=factories.ServiceNeedFactory(
            community=community, starts_at=ended - datetime.timedelta(hours=2), ends_at=ended
        )
    )
    factories.ServiceNeedFactory(community=community, starts_at=NOW + datetime.timedelta(days=1))
    member = factories.MemberFactory(unit=unit)
    factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    factories.ServiceRecordFactory(
        member=member,
        community=community,
        served_on=datetime.date(2026, 5, 4),
        hours=2,
        status=ServiceRecord.Status.VERIFIED,
    )
    # The activities' rule: the member has a place on an activity starting tomorrow.
    tomorrow = NOW + datetime.timedelta(days=1)
    activity = make_activity(community, starts_at=tomorrow, ends_at=tomorrow + datetime.timedelta(hours=2))
    SignUp.objects.create(activity=activity, member=member)


# --- Beat -------------------------------------------------------------------------------------------------------


def test_every_beat_entry_names_a_registered_task():
    registered = {name for full_names in project_tasks().values() for name in full_names}

    assert jobs.beat_schedule()
    for entry in jobs.beat_schedule().values():
        assert entry["task"] in registered
        assert isinstance(entry["schedule"], crontab)


def test_the_reminders_sweep_runs_every_morning_at_nine():
    entry = jobs.beat_schedule()["reminders-sweep"]

    assert entry["task"] == reminders_sweep_task.name
    assert entry["schedule"].hour == {9} and entry["schedule"].minute == {0}
    assert entry["schedule"].day_of_week == set(range(7))


def test_reminder_tasks_are_acknowledged_late_retried_on_database_errors_and_time_limited():
    from django.db import OperationalError

    for full_names in project_tasks().values():
        for name in full_names:
            if ".remind" not in name:
                continue
            task = celery_app.tasks[name]
            assert task.acks_late is True, name
            assert OperationalError in task.autoretry_for, name
            assert task.retry_backoff and task.time_limit and task.soft_time_limit, name


# --- The sweep ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_runs_all_six_reminders_once():
    one_candidate_per_rule()

    enqueued = reminders_sweep_task.delay(NOW.isoformat()).get()
    reminders_sweep_task.delay(NOW.isoformat()).get()

    assert len(enqueued) == 12  # activities' rule, the requests' two and the council's two find no candidate here
    assert set(Notification.objects.values_list("kind", flat=True)) == ALL_KINDS
    assert Notification.objects.count() == len(ALL_KINDS)
    assert ReminderSent.objects.count() == len(ALL_KINDS)


# --- run_job ----------------------------------------------------------------------------------------------------


def run_job(*args) -> str:
    out = io.StringIO()
    call_command("run_job", *args, stdout=out)
    return out.getvalue()


def test_run_job_lists_the_project_jobs_by_short_name():
    listing = run_job()

    for name in (
        "reminders_sweep",
        "remind_pending_reports",
        "remind_unregistered_roster_chunk",
        "deliver_notifications",
    ):
        assert f"  {name} " in listing
    assert "--start-pk, --end-pk, --now" in listing
    assert "celery." not in listing


@pytest.mark.django_db
def test_run_job_runs_a_task_by_short_name():
    community = factories.CommunityFactory()
    user = staff(Role.COMMUNITY_STAFF, community=community)
    factories.ReportFactory(community=community, submitted_at=NOW - datetime.timedelta(days=5))

    output = run_job("remind_pending_reports", "--now", NOW.isoformat())

    assert output.strip().endswith("remind_pending_reports_task: 1")
    assert Notification.objects.filter(user=user, kind=registration_reminders.PENDING_REPORTS).count() == 1
    assert run_job("registration.tasks.remind_pending_reports_task", f"--now={NOW.isoformat()}").strip().endswith(": 0")


@pytest.mark.django_db
def test_run_job_turns_options_into_the_types_the_task_takes():
    entry = factories.RosterEntryFactory(created_at=NOW - datetime.timedelta(days=30))

    output = run_job(
        "remind_unregistered_roster_chunk",
        "--start-pk",
        str(entry.pk),
        "--end-pk",
        str(entry.pk + 1),
        "--now",
        "2026-12-01",
    )

    assert output.strip().endswith(": 1")


@pytest.mark.django_db
def test_run_job_runs_what_the_job_enqueues_in_process_too():
    """Even with a broker configured, the sweep's sub-tasks run here, to the end."""
    one_candidate_per_rule()
    celery_app.conf.task_always_eager = False
    try:
        run_job("reminders_sweep", "--now", NOW.isoformat())
        assert celery_app.conf.task_always_eager is False
    finally:
        celery_app.conf.task_always_eager = True

    assert set(Notification.objects.values_list("kind", flat=True)) == ALL_KINDS


def test_run_job_refuses_unknown_jobs_and_options():
    with pytest.raises(CommandError, match="No job named"):
        run_job("no_such_job")
    with pytest.raises(CommandError, match="does not take --year"):
        run_job("reminders_sweep", "--year", "2026")
    with pytest.raises(CommandError, match="not a"):
        run_job("remind_unregistered_roster_chunk", "--start-pk", "one", "--end-pk", "2")


# --- A real worker and Redis --------------------------------------------------------------------------------------


def _forget_cached_result_backend():
    # Eager runs earlier in the session cache a disabled result backend on the app for this thread;
    # the worker test must read results from Redis.
    celery_app._backend_cache = None
    vars(celery_app._local).pop("backend", None)


@pytest.fixture
def redis_worker(settings):
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        require_or_skip("CELERY_BROKER_URL does not name a Redis broker")
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping, used by the start-up check)
    from celery.contrib.testing.worker import start_worker

    RecordingSmsBackend.sent = []
    settings.SMS_BACKEND = f"{__name__}.RecordingSmsBackend"
    celery_app.conf.update(
        task_always_eager=False,
        broker_url=broker,
        result_backend=os.environ.get("CELERY_RESULT_BACKEND") or broker,
    )
    _forget_cached_result_backend()
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=True, loglevel="WARNING") as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager = True
        _forget_cached_result_backend()


def finish(task_id: str):
    """Wait for a task and, through the ids a sweep returns, for every task it enqueued."""
    value = AsyncResult(task_id, app=celery_app).get(timeout=30)
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        finish(child)
    return value


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.1)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_reminders_run_through_a_real_worker_once_and_not_again(redis_worker):
    one_candidate_per_rule()

    finish(reminders_sweep_task.delay(NOW.isoformat()).id)
    sms = Notification.objects.filter(channel=Notification.Channel.SMS)
    # SMS delivery is one more task, queued when the chunk committed.
    wait_for(lambda: sms.filter(status=Notification.Status.SENT).count() == 1)

    assert set(Notification.objects.values_list("kind", flat=True)) == ALL_KINDS
    assert len(RecordingSmsBackend.sent) == 1

    finish(reminders_sweep_task.delay(NOW.isoformat()).id)
    finish(reminders_sweep_task.delay((NOW + datetime.timedelta(hours=1)).isoformat()).id)

    assert Notification.objects.count() == len(ALL_KINDS)
    assert ReminderSent.objects.count() == len(ALL_KINDS)
    assert len(RecordingSmsBackend.sent) == 1
