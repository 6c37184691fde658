from celery import shared_task
from django.db import OperationalError

from .audit import audit_purge
from .notifications import notifications_deliver

# Delivery is retried on database errors by Celery, and on gateway or mail-server errors that may pass
# (SmsError.transient, OSError) by the task itself, with only the ids that failed.
DELIVERY_TASK_OPTIONS = {
    "bind": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


def _retry_later(task, *args):
    """Retry the task with these arguments (the ids still pending), backing off like autoretry: 1, 2, 4 ...
    seconds, at most 600."""
    raise task.retry(args=args, kwargs={}, countdown=min(2**task.request.retries, 600))


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


@shared_task(**DELIVERY_TASK_OPTIONS)
def deliver_notification_task(self, notification_id: int):
    """Deliver one stored email or SMS notification: deliver_notifications_task for one id. Kept for the
    messages queued by earlier releases, which name this task."""
    final = self.request.retries >= self.max_retries
    if notifications_deliver([notification_id], final_attempt=final):
        _retry_later(self, notification_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def audit_purge_task() -> int:
    """Delete the audit events older than AUDIT_RETENTION_DAYS (never younger than 180 days; a smaller setting
    is refused). Returns how many were deleted. Idempotent: a second run finds nothing to delete."""
    return audit_purge()
