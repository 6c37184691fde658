"""Reminder tasks of the services app (rules 3, 4 and 5; services.reminders does the work), registered as
reminder rules: the daily sweep (communities.tasks.reminders_sweep_task) runs them."""

from celery import shared_task

from communities.platform import jobs
from communities.platform.jobs import REMINDER_TASK_OPTIONS
from communities.reminders import resolve_now
from services import reminders

__all__ = [
    "remind_claims_without_record_task",
    "remind_shortfall_liaisons_task",
    "remind_shortfall_members_chunk_task",
    "remind_shortfall_members_task",
    "remind_unclaimed_needs_task",
]


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_claims_without_record_task(now: str | None = None) -> int:
    """Rule 3: members whose claim has no service record days after the need ended, once per claim."""
    return reminders.remind_claims_without_record(now=now)


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_unclaimed_needs_task(now: str | None = None) -> int:
    """Rule 4: community staff about needs with free places near their start, once per need."""
    return reminders.remind_unclaimed_needs(now=now)


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_shortfall_members_task(now: str | None = None) -> list[str]:
    """Rule 5 (members): within the year-end window, enqueue one remind_shortfall_members_chunk_task per
    range of MEMBER_CHUNK_SIZE member primary keys; outside it, nothing. Returns the chunk task ids."""
    moment = resolve_now(now)
    return [
        remind_shortfall_members_chunk_task.delay(start, end, moment.isoformat()).id
        for start, end in reminders.shortfall_member_ranges(now=moment)
    ]


@jobs.job
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_shortfall_members_chunk_task(start_pk: int, end_pk: int, now: str | None = None) -> int:
    """Rule 5 (members) for members with start_pk <= pk < end_pk, in one transaction."""
    return reminders.remind_shortfall_members_range(start_pk=start_pk, end_pk=end_pk, now=now)


@jobs.reminder_rule
@shared_task(**REMINDER_TASK_OPTIONS)
def remind_shortfall_liaisons_task(now: str | None = None) -> int:
    """Rule 5 (units): the yearly list of members short of the minimum to each unit liaison."""
    return reminders.remind_shortfall_to_liaisons(now=now)
