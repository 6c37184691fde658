"""Reminder tasks of the council (services.council.reminders does the work), registered as reminder rules: the daily
sweep (communities.tasks.reminders_sweep_task) runs them."""

from celery import shared_task

from communities.platform import jobs
from communities.platform.jobs import REMINDER_TASK_OPTIONS

from . import reminders

__all__ = ["escalate_overdue_resolutions_task", "remind_resolution_executors_task"]


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_resolution_executors_task(now: str | None = None) -> int:
    """Executors of resolutions due soon or overdue, once per resolution per day."""
    return reminders.remind_executors(now=now)


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def escalate_overdue_resolutions_task(now: str | None = None) -> int:
    """The street's staff about each resolution past its due date, once per resolution."""
    return reminders.escalate_to_street(now=now)
