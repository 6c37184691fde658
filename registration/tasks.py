"""Celery tasks of the registration app: reminders 1 and 2 (registration.reminders does the work).

Tasks take plain values: `now` is an ISO string or None for the worker's clock, and a sweep hands its
resolved `now` to its chunks so that they all judge by the same day. Every task is idempotent (the
reminder keys), acknowledged late so that a killed worker's task runs again, and retried with backoff
on transient database errors only (communities.platform.jobs).
"""

from celery import shared_task
from celery.schedules import crontab

from communities.platform import jobs
from communities.platform.jobs import REMINDER_TASK_OPTIONS, TRANSIENT_ERRORS

from . import reminders


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_unregistered_roster_task(now: str | None = None) -> list[str]:
    """Rule 1 (SMS): enqueue one remind_unregistered_roster_chunk_task per range of ROSTER_CHUNK_SIZE
    roster primary keys. Returns the chunk task ids. Running it twice enqueues the chunks twice and
    sends nothing twice."""
    moment = reminders.resolve_now(now)
    return [
        remind_unregistered_roster_chunk_task.delay(start, end, moment.isoformat()).id
        for start, end in reminders.unregistered_roster_ranges(now=moment)
    ]


@jobs.job
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_unregistered_roster_chunk_task(start_pk: int, end_pk: int, now: str | None = None) -> int:
    """Rule 1 (SMS) for roster entries with start_pk <= pk < end_pk, in one transaction; SMS delivery is
    queued when it commits. Returns how many SMS were stored."""
    return reminders.remind_unregistered_roster_range(start_pk=start_pk, end_pk=end_pk, now=now)


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_unregistered_digest_task(now: str | None = None) -> int:
    """Rule 1 (digest): the weekly list of unregistered roster members to each unit liaison."""
    return reminders.remind_unregistered_to_liaisons(now=now)


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_pending_reports_task(now: str | None = None) -> int:
    """Rule 2: the daily digest of reports pending too long to each community's staff."""
    return reminders.remind_pending_reports(now=now)


@jobs.job
@shared_task(**REMINDER_TASK_OPTIONS)
def roster_import_task(job_id: str) -> bool:
    """A large roster upload, imported in the background (registration.roster_jobs). Retried on transient
    database errors like every task: the import is all or nothing, so a retry starts from a clean roster.
    Returns whether the job was found."""
    from .roster_jobs import roster_job_run

    return roster_job_run(job_id=job_id) is not None


# Every day at 03:45 (Asia/Shanghai), after the audit purge.
@jobs.job(schedule=crontab(hour=3, minute=45))
@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def retention_purge_task() -> dict[str, int]:
    """Delete roster entries and withdrawn members' data kept past their period (registration.retention).
    Idempotent: a second run finds nothing."""
    from .retention import retention_purge

    return retention_purge()


# Every day at 00:40 (Asia/Shanghai): on the 1st it stores the month just ended; on other days it finds every month
# stored and does nothing (one query), and it catches up on months missed while the beat was down.
@jobs.job(schedule=crontab(hour=0, minute=40))
@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def rates_month_end_task() -> list[str]:
    """The reporting figures of each community at the end of every past month of the year not yet stored
    (registration.rates.tallies.snapshot_month_ends), for the rates pages' trend by month. Idempotent."""
    from .rates.tallies import snapshot_month_ends

    return [f"{year}-{month:02d}" for year, month in snapshot_month_ends()]
