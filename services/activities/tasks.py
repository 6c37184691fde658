"""Celery tasks of the activities (autodiscovered): the reminder the day before, a reminder rule of the daily
sweep (communities.tasks.reminders_sweep_task)."""

from celery import shared_task

from communities.platform import jobs
from communities.platform.jobs import REMINDER_TASK_OPTIONS

from . import reminders


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_activities_tomorrow_task(now: str | None = None) -> int:
    """Members with a place on an activity starting tomorrow, once per member and activity."""
    return reminders.remind_activities_tomorrow(now=now)
