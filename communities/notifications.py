"""Sending messages: the in-app inbox, email and SMS, each stored with its delivery status.

Callers never send directly: they store notifications inside their transaction and delivery of email
and SMS is queued after commit, so nothing is sent for work that rolled back.
"""

from django.db import IntegrityError, transaction

from .models import Notification, ReminderSent

Channel = Notification.Channel


def notify(
    *, kind: str, title: str, body: str = "", link: str = "", user=None, phone: str = "", channels=(Channel.INBOX,)
):
    """Store one notification per channel for a user (inbox, email) or a phone (SMS); queue delivery."""
    from .tasks import deliver_notification_task  # tasks import this module

    created = []
    for channel in channels:
        if channel == Channel.SMS and not phone:
            continue
        if channel in (Channel.INBOX, Channel.EMAIL) and user is None:
            continue
        if channel == Channel.EMAIL and not getattr(user, "email", ""):
            continue
        status = Notification.Status.SENT if channel == Channel.INBOX else Notification.Status.PENDING
        notification = Notification.objects.create(
            user=user,
            phone=phone if channel == Channel.SMS else "",
            channel=channel,
            kind=kind,
            title=title,
            body=body,
            link=link,
            status=status,
        )
        created.append(notification)
        if channel != Channel.INBOX:
            deliver_notification_task.delay_on_commit(notification.pk)
    return created


def remind_once(*, kind: str, period: str, recipient: str, send) -> bool:
    """Run `send()` (which stores notifications) only if this reminder was not sent yet for this
    recipient, kind and period; the key and the notifications commit together. Returns whether sent."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(kind=kind, period=period, recipient=recipient)
            send()
    except IntegrityError:
        return False
    return True


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True).count()
