"""Celery tasks of the time bank (autodiscovered): crediting verified service, one record on its verification and
every record left by the chunked job (communities.platform.jobs)."""

from celery import shared_task
from celery.schedules import crontab

from communities.platform import jobs
from communities.platform.jobs import REMINDER_TASK_OPTIONS

from . import crediting


@jobs.job
@shared_task(**REMINDER_TASK_OPTIONS)
def credit_record_task(record_id: int) -> int:
    """Credit one verified record (enqueued when it is verified); nothing if already credited."""
    return crediting.credit_record(record_id=record_id)


# Every ten minutes: the records no verification enqueued (an activity's closing writes its records in bulk) and
# any whose task was lost.
@jobs.job(schedule=crontab(minute="*/10"))
@shared_task(**REMINDER_TASK_OPTIONS)
def credit_verified_records_task() -> int:
    """Credit every verified record not yet credited, in ranges of record ids, one transaction each (a run cut by
    the time limit keeps the ranges it committed; the next run takes up the rest)."""
    return crediting.credit_all()
