"""Security alerts by email (issue 19, finding 10: MLPS 2.0 security audit, alerting on important events).

The security administrators (accounts holding that role, with an email address) and SECURITY_ALERT_EMAILS are told
by email of:
- a lockout (an account locked by failed logins: the audit trail's "lockout" event);
- a full export (personal data unmasked) and a bulk one (at least ALERT_BULK_EXPORT_ROWS rows);
- a server error (500): `communities.log_format.ServerErrorAlertHandler` on the "django.request" logger.
An alert names the event, the time, the role and the masked account as the audit trail keeps them, never a
request's data. One email per kind of event per ALERT_THROTTLE_SECONDS, so that an attack (a lockout a second) does
not flood the mailbox: the trail and the logs have every event. Sending failures are logged, never raised: an alert
never breaks the action it reports.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditEvent, StaffAssignment

logger = logging.getLogger(__name__)

LOCKOUT, EXPORT, EXPORT_FULL = "lockout", "export", "export_full"


def recipients() -> list[str]:
    from django.contrib.auth import get_user_model

    addresses = set(settings.SECURITY_ALERT_EMAILS)
    addresses.update(
        get_user_model()
        .objects.filter(
            is_active=True,
            staff_assignments__role=StaffAssignment.Role.SECURITY_ADMIN,
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(addresses)


def send_alert(*, kind: str, subject: str, body: str) -> bool:
    """Email the alert unless one of this kind went out within ALERT_THROTTLE_SECONDS. Returns whether it was sent."""
    if not cache.add(f"security-alert:{kind}", 1, settings.ALERT_THROTTLE_SECONDS):
        return False
    try:
        to = recipients()
        if not to:
            logger.warning("security alert %s with nobody to tell: set SECURITY_ALERT_EMAILS", kind)
            return False
        send_mail(f"[{_('Security alert')}] {subject}", body, None, to)
    except Exception:  # noqa: BLE001  (an alert never breaks what it reports)
        logger.exception("security alert %s could not be sent", kind)
        return False
    return True


def alert_kind(event: AuditEvent) -> str | None:
    if event.action == LOCKOUT:
        return "lockout"
    if event.action == EXPORT_FULL:
        return "export-full"
    rows = (event.detail or {}).get("rows") if isinstance(event.detail, dict) else None
    if event.action == EXPORT and isinstance(rows, int) and rows >= settings.ALERT_BULK_EXPORT_ROWS:
        return "export-bulk"
    return None


SUBJECTS = {
    "lockout": lambda: _("An account was locked after failed logins"),
    "export-full": lambda: _("Personal data was exported in full"),
    "export-bulk": lambda: _("A large export was made"),
}


@receiver(post_save, sender=AuditEvent)
def alert_on_audit_event(sender, instance, created, **kwargs):
    kind = alert_kind(instance) if created else None
    if kind is None:
        return
    when = timezone.localtime(instance.occurred_at)
    body = "\n".join(
        [
            str(SUBJECTS[kind]()),
            f"{_('time')}: {when:%Y-%m-%d %H:%M:%S}",
            f"{_('user')}: {instance.username or '-'} ({instance.role or '-'})",
            f"{_('address')}: {instance.ip or '-'}",
            f"{_('details')}: {instance.detail or {}}",
            _("The audit trail in the admin has every event."),
        ]
    )
    # After the commit: an export or lockout rolled back did not happen.
    transaction.on_commit(lambda: send_alert(kind=kind, subject=str(SUBJECTS[kind]()), body=body))
