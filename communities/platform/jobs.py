"""Reminder rules and jobs: what the daily sweep runs, what ``run_job`` lists, what beat schedules.

An app registers its Celery tasks from its ``tasks.py`` (imported by its ``AppConfig.ready()``):

    @jobs.reminder_rule            # the daily sweep enqueues it with the sweep's `now`
    @shared_task(**jobs.REMINDER_TASK_OPTIONS)
    def remind_pending_reports_task(now: str | None = None) -> int: ...

    @jobs.job(schedule=crontab(hour=3, minute=30))    # every day at 03:30: beat starts it
    @shared_task(...)
    def audit_purge_task() -> int: ...

A job without a schedule is only listed by ``run_job`` (chunk tasks, delivery, runs started from a page).
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError

# Errors that pass: the database restarting or a connection dropped under a worker. Every task retries these.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

# Shared by every reminder task: idempotent (the reminder keys), so acknowledged late (a killed worker's task runs
# again), given back to the queue when its pool process dies (reject_on_worker_lost: otherwise Celery acknowledges it
# as failed, "Worker exited prematurely") and retried with backoff on transient database errors.
REMINDER_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
    "soft_time_limit": 10 * 60,
    "time_limit": 12 * 60,
}


@dataclass(frozen=True)
class Job:
    task: object  # a Celery task (or shared_task's proxy: its name is read only when needed)
    schedule: object = None  # a celery.schedules.crontab, for beat
    is_reminder_rule: bool = False

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def short_name(self) -> str:
        """services.tasks.remind_unclaimed_needs_task → remind_unclaimed_needs."""
        return self.name.rsplit(".", 1)[-1].removesuffix("_task")


_jobs: list[Job] = []


def _add(job_: Job):
    if any(known.task is job_.task for known in _jobs):
        raise ImproperlyConfigured(f"{job_.task} is registered twice.")
    _jobs.append(job_)
    return job_.task


def job(task=None, *, schedule=None):
    """Register a task as a job (usable bare, @job, or with a beat schedule, @job(schedule=crontab(...)))."""
    if task is None:
        return lambda task: _add(Job(task=task, schedule=schedule))
    return _add(Job(task=task, schedule=schedule))


def reminder_rule(task):
    """Register a reminder rule: a task taking `now` (an ISO string) that the daily sweep enqueues."""
    return _add(Job(task=task, is_reminder_rule=True))


def registered() -> list[Job]:
    return list(_jobs)


def reminder_rules() -> list:
    """The reminder rules' tasks, in the order the apps registered them."""
    return [job_.task for job_ in _jobs if job_.is_reminder_rule]


def beat_schedule() -> dict:
    """The beat entries of the scheduled jobs, keyed by short name (reminders-sweep)."""
    return {
        job_.short_name.replace("_", "-"): {"task": job_.name, "schedule": job_.schedule}
        for job_ in _jobs
        if job_.schedule is not None
    }
