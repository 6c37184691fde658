from celery import shared_task
from celery.schedules import crontab

from .audit import audit_purge
from .health import worker_heartbeat_task  # noqa: F401  (registers the heartbeat job)
from .notifications import notifications_deliver, outbox_requeue
from .platform import jobs, watch
from .platform.jobs import REMINDER_TASK_OPTIONS, TRANSIENT_ERRORS
from .reminders import resolve_now

# Delivery is retried on database errors by Celery, and on gateway or mail-server errors that may pass
# (SmsError.transient, OSError) by the task itself, with only the ids that failed. Acknowledged late and given back to
# the queue when its pool process dies (the OOM killer, a SIGKILL): the batch runs again and sends only what is still
# pending; the one message that was being sent is left to the outbox (communities.notifications.outbox_requeue).
DELIVERY_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


def _retry_later(task, *args):
    """Retry the task with these arguments (the ids still pending), backing off like autoretry: 1, 2, 4 ...
    seconds, at most 600."""
    raise task.retry(args=args, kwargs={}, countdown=min(2**task.request.retries, 600))


@jobs.job
@shared_task(**DELIVERY_TASK_OPTIONS)
def deliver_notifications_task(self, notification_ids: list[int]):
    """Deliver the stored email and SMS notifications among these ids that are still pending, and record
    each outcome (communities.notifications.notifications_deliver). Idempotent: notifications already sent
    or failed are left alone. Those that failed in a way that may pass are retried, alone, with backoff;
    on the last attempt they are recorded as failed."""
    final = self.request.retries >= self.max_retries
    later = notifications_deliver(notification_ids, final_attempt=final)
    if later:
        _retry_later(self, later)


# Every five minutes: email and SMS whose delivery task was lost go out all the same.
@jobs.job(schedule=crontab(minute="*/5"))
@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def outbox_requeue_task() -> dict[str, int]:
    """Queue again the email and SMS still pending NOTIFICATION_OUTBOX_AFTER_MINUTES after they were stored or last
    taken in hand (communities.notifications.outbox_requeue). Idempotent: a message is claimed once whatever the
    number of tasks that carry its id."""
    return outbox_requeue()


# Every five minutes: a watched run (communities.platform.watch) without progress is queued again and reported.
@jobs.job(schedule=crontab(minute="*/5"))
@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def stuck_runs_task() -> list[str]:
    """The watched runs without progress for WATCHED_RUN_STUCK_MINUTES: each queued again (when its app says how)
    and the system administrators told, once per run and stall. Returns "<name>:<key>" of those found."""
    return watch.check_stuck_runs()


# Every day at 03:30 (Asia/Shanghai, CELERY_TIMEZONE).
@jobs.job(schedule=crontab(hour=3, minute=30))
@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def audit_purge_task() -> int:
    """Delete the audit events older than AUDIT_RETENTION_DAYS (never younger than 180 days; a smaller setting
    is refused). Returns how many were deleted. Idempotent: a second run finds nothing to delete."""
    return audit_purge()


# Every day at 09:00 (Asia/Shanghai): each reminder goes out once per person, kind and period, so the weekly liaison
# digest leaves on Monday's run and the year-end shortfall from 1 December.
@jobs.job(schedule=crontab(hour=9, minute=0))
@shared_task(**REMINDER_TASK_OPTIONS)
def reminders_sweep_task(now: str | None = None) -> dict[str, str]:
    """Every registered reminder rule (communities.platform.jobs.reminder_rule): enqueue each rule's task with one
    shared `now`, so that each is retried on its own and a failing rule does not hold back the others. Returns
    {task name: task id}. Safe to run as often as wanted: each reminder goes out once per person, kind and period."""
    moment = resolve_now(now).isoformat()
    return {task.name: task.delay(moment).id for task in jobs.reminder_rules()}
