import logging

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from communities.platform import jobs
from communities.platform.jobs import TRANSIENT_ERRORS
from communities.sms import SmsError, sms_backend

from . import codes
from .models import PhoneCode

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def phone_code_deliver_task(self, code_id: int, sealed: str) -> bool:
    """Send one code by SMS (codes.code_send queues it). Reads its row in either case, so that a request for a phone
    without an account (`sealed` empty: nothing is sent) costs what a real one does. A code already used, replaced or
    expired is not sent; a gateway failure that may pass is retried within the code's life; the idempotency key is
    the code's row, so a retried task is one SMS to a gateway that takes keys."""
    row = PhoneCode.objects.filter(pk=code_id, used_at__isnull=True, expires_at__gt=timezone.now()).first()
    code = codes.unseal(sealed) if sealed else None
    if row is None or code is None:
        return False
    params = {"code": code, "minutes": str(settings.PHONE_CODE_TTL_MINUTES)}
    try:
        sms_backend().send(row.phone, codes.SMS_TEMPLATE, params, idempotency_key=f"phone-code-{row.pk}")
    except SmsError as error:
        # Run inside a request (no broker: the embedded set-up) a failure must not break the page: the person asks
        # for another code.
        if error.transient and not self.request.is_eager and self.request.retries < self.max_retries:
            raise self.retry(countdown=min(2**self.request.retries, 30)) from error
        logger.warning("SMS code %s not sent: %s", row.pk, error)
        return False
    return True


@jobs.job(schedule=crontab(hour=4, minute=10))
@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def phone_codes_purge_task() -> int:
    """Daily: delete the SMS codes expired for more than a day."""
    return codes.purge_expired()
