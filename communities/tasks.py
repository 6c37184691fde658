from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError
from django.utils import timezone

from .audit import audit_purge
from .models import Notification
from .sms import SmsError, sms_backend


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, SmsError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def deliver_notification_task(self, notification_id: int):
    """Deliver one stored email or SMS notification and record the outcome. Idempotent: a notification
    already sent is left alone; a permanent gateway refusal is recorded as failed, not retried."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.status == Notification.Status.SENT:
        return
    try:
        if notification.channel == Notification.Channel.SMS:
            sms_backend().send(
                notification.phone, notification.kind, {"title": notification.title, "link": notification.link}
            )
        elif notification.channel == Notification.Channel.EMAIL:
            send_mail(notification.title, notification.body, settings.DEFAULT_FROM_EMAIL, [notification.user.email])
    except SmsError as error:
        if error.transient and self.request.retries < self.max_retries:
            raise
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED, error=str(error)[:200]
        )
        return
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.SENT, sent_at=timezone.now())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def audit_purge_task() -> int:
    """Delete the audit events older than AUDIT_RETENTION_DAYS (never younger than 180 days; a smaller setting
    is refused). Returns how many were deleted. Idempotent: a second run finds nothing to delete."""
    return audit_purge()
