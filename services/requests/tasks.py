"""Reminder tasks of the residents' requests (services.requests.reminders does the work), registered as reminder
rules: the daily sweep (communities.tasks.reminders_sweep_task) runs them."""

from celery import shared_task
from celery.schedules import crontab

from communities.platform import jobs
from communities.platform.jobs import REMINDER_TASK_OPTIONS

from . import reminders, signals

__all__ = ["escalate_overdue_requests_task", "rebuild_building_heads_task", "remind_overdue_requests_task"]


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_overdue_requests_task(now: str | None = None) -> int:
    """Handlers of overdue open requests, once per request per day."""
    return reminders.remind_overdue_handlers(now=now)


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def escalate_overdue_requests_task(now: str | None = None) -> int:
    """Community staff about requests past their limit, once per request."""
    return reminders.escalate_overdue(now=now)


@jobs.job(schedule=crontab(minute="*/10"))
@shared_task(autoretry_for=jobs.TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def rebuild_building_heads_task() -> int:
    """The cached set of building heads behind the members' tab (services.requests.signals), every ten minutes."""
    return signals.rebuild()
