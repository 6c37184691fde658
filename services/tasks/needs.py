"""Needs housekeeping: the daily jobs that close the needs whose end has passed and mark lapsed claims abandoned."""

from celery import shared_task
from celery.schedules import crontab

from communities.platform import jobs
from communities.platform.jobs import REMINDER_TASK_OPTIONS
from communities.reminders import resolve_now
from services import services

__all__ = ["abandon_lapsed_claims_task", "close_ended_needs_task"]


# Every day at 00:15 (Asia/Shanghai, CELERY_TIMEZONE): just after midnight, so yesterday's ended needs leave the
# staff lists before the working day. Pages do not wait for it: they show a need as ended the moment its end passes.
@jobs.job(schedule=crontab(hour=0, minute=15))
@shared_task(**REMINDER_TASK_OPTIONS)
def close_ended_needs_task(now: str | None = None) -> int:
    """Close every published need whose end has passed at `now` (default: the current time), in one
    set-based UPDATE, so that staff lists stay short. Returns how many were closed. Idempotent: a second run
    closes nothing more. Acknowledged late and retried on transient database errors, like the reminder tasks."""
    return services.needs_close_ended(now=resolve_now(now))


# Every day at 00:20, after the needs are closed: a claim lapses the day after its need's record window closed.
@jobs.job(schedule=crontab(hour=0, minute=20))
@shared_task(**REMINDER_TASK_OPTIONS)
def abandon_lapsed_claims_task(now: str | None = None) -> int:
    """Mark abandoned the claims in progress that can no longer get a record (services.claims_abandon_lapsed).
    Idempotent and retried like the reminder tasks. Returns how many were marked."""
    return services.claims_abandon_lapsed(now=resolve_now(now))
