"""Sending messages: the in-app inbox, email and SMS, each stored with its delivery status.

Callers never send directly: they store notifications inside their transaction and delivery of email
and SMS is queued after commit, so nothing is sent for work that rolled back. An inbox notification is
delivered by being stored (status sent at once); only email and SMS go to a delivery task, which is
given notification ids, never the message.

Reminders go out once per kind, period and recipient: `remind_many` stores the reminders of a whole
chunk with multi-row INSERTs of their ReminderSent keys and of their notifications (a thousand rows a
statement), never a statement per person.
docs/REMINDERS.md describes the design.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from .iterables import batched
from .kept import KeptFigure
from .models import Notification, ReminderSent
from .sms import SmsError, sms_backend

Channel = Notification.Channel
Status = Notification.Status

# ReminderSent keys per INSERT statement (four parameters each: well under PostgreSQL's 65,535).
KEY_BATCH_SIZE = 1000
# Notification rows per INSERT statement (twelve parameters each).
NOTIFICATION_BATCH_SIZE = 1000
# Notification ids per delivery task: one select, one update and this many gateway calls per task.
DELIVERY_BATCH_SIZE = 500
# Messages the outbox queues again in one run at most (a hundred tasks); the next run takes the rest.
OUTBOX_MAX_PER_RUN = 50_000


@dataclass(frozen=True)
class Message:
    """What one person is told: the channels it can take follow from who the person is (see `_rows`).

    `user_id` for the inbox and email (email only when `has_email`: the address is read again when it is
    sent), `phone` for SMS (people without an account, such as roster members not yet registered)."""

    title: str
    body: str = ""
    link: str = ""
    user_id: int | None = None
    has_email: bool = False
    phone: str = ""
    channels: tuple = (Channel.INBOX,)


@dataclass(frozen=True)
class Reminder:
    """A message under its reminder key: the period ("2026", "2026-W47", "claim:12") and the recipient
    ("user:7", "roster:31"); the kind is the batch's."""

    period: str
    recipient: str
    message: Message


def _rows(kind: str, message: Message) -> list[Notification]:
    """The notifications of one message, one per channel it can take: SMS needs a phone, the inbox and
    email a user, email also an address. Inbox rows are delivered by being stored."""
    rows = []
    for channel in message.channels:
        if channel == Channel.SMS and not message.phone:
            continue
        if channel in (Channel.INBOX, Channel.EMAIL) and message.user_id is None:
            continue
        if channel == Channel.EMAIL and not message.has_email:
            continue
        rows.append(
            Notification(
                user_id=message.user_id,
                phone=message.phone if channel == Channel.SMS else "",
                channel=channel,
                kind=kind,
                title=message.title,
                body=message.body,
                link=message.link,
                status=Status.SENT if channel == Channel.INBOX else Status.PENDING,
            )
        )
    return rows


def _queue_delivery(notifications) -> None:
    """One delivery task per DELIVERY_BATCH_SIZE email/SMS notifications, after commit, carrying ids only."""
    from .tasks import deliver_notifications_task  # tasks import this module

    ids = [notification.pk for notification in notifications if notification.channel != Channel.INBOX]
    for batch in batched(ids, DELIVERY_BATCH_SIZE):
        deliver_notifications_task.delay_on_commit(batch)


def notify(
    *, kind: str, title: str, body: str = "", link: str = "", user=None, phone: str = "", channels=(Channel.INBOX,)
):
    """Store one notification per channel for a user (inbox, email) or a phone (SMS); queue delivery."""
    message = Message(
        title=title,
        body=body,
        link=link,
        user_id=user.pk if user is not None else None,
        has_email=bool(getattr(user, "email", "")),
        phone=phone,
        channels=tuple(channels),
    )
    created = _rows(kind, message)
    for row in created:
        if user is not None:
            row.user = user
        row.save(force_insert=True)
    _queue_delivery(created)
    return created


# --- Reminders: once per kind, period and recipient --------------------------------------------------------------


def remind_many(*, kind: str, reminders) -> int:
    """Store each reminder whose key (kind, period, recipient) is not taken yet, and only those: returns
    how many were stored.

    In one transaction (joined when the caller has one), so a key and its notifications commit together:
    the keys go in with INSERT ... ON CONFLICT DO NOTHING RETURNING (KEY_BATCH_SIZE a statement), which
    tells exactly which keys this call wrote; then the notifications of those reminders only, in
    multi-row INSERTs; email and SMS delivery is queued after commit by id list. A key written by a
    concurrent transaction makes the INSERT wait for it and then skip the key, so two overlapping sweeps
    or a retried chunk send nothing twice. Keys are written in a fixed order, so two overlapping batches
    wait for each other instead of deadlocking. Repeated keys within `reminders` count once (the first).

    Statements: a savepoint and its release, and per thousand reminders one INSERT of keys and one of
    notifications; never one per person."""
    unique = {}
    for reminder in reminders:
        unique.setdefault((reminder.period, reminder.recipient), reminder)
    if not unique:
        return 0
    keys = sorted(unique)
    bulk = _bulk_insert_returns_rows()
    with transaction.atomic():
        written = _insert_keys(kind, keys) if bulk else _insert_keys_one_by_one(kind, keys)
        fresh = [unique[key] for key in keys if key in written]
        rows = [row for reminder in fresh for row in _rows(kind, reminder.message)]
        if bulk:
            Notification.objects.bulk_create(rows, batch_size=NOTIFICATION_BATCH_SIZE)
            unread_changed(row.user_id for row in rows if row.channel == Channel.INBOX)  # no signal for these
        else:  # delivery needs the ids, which a multi-row INSERT does not give back here
            for row in rows:
                row.save(force_insert=True)
        _queue_delivery(rows)
    return len(fresh)


def reminded_keys(*, kind: str, keys) -> set[tuple[str, str]]:
    """The (period, recipient) keys among `keys` that already have their ReminderSent row: one query that
    probes the unique index (kind, period, recipient) for these keys only (on SQLite, one per 499 keys).

    A chunk leaves out the people already reminded this way rather than with NOT EXISTS in its select:
    during a sweep the keys table grows by hundreds of thousands of rows faster than PostgreSQL's
    statistics follow, and an anti-join planned for "no keys of this period" then compares every
    candidate with every key written so far (seconds per chunk, growing with each chunk)."""
    keys = sorted(set(keys))
    # Two parameters a key at most, and the kind: within SQLite's limit on the parameters of a statement.
    limit = connection.features.max_query_params
    size = (limit - 1) // 2 if limit else len(keys)
    found = set()
    for batch in batched(keys, max(size, 1)):
        found.update(
            ReminderSent.objects.filter(
                kind=kind,
                period__in={period for period, _ in batch},
                recipient__in={recipient for _, recipient in batch},
            ).values_list("period", "recipient")
        )
    return found.intersection(keys)


def not_yet_reminded(*, kind: str, items, key) -> list:
    """The items, in order, whose reminder key `key(item)` = (period, recipient) is not taken yet: one probe of
    the keys (reminded_keys) for the whole list, so a chunk builds messages only for the people still waiting."""
    items = list(items)
    done = reminded_keys(kind=kind, keys=[key(item) for item in items])
    return [item for item in items if key(item) not in done]


def _bulk_insert_returns_rows() -> bool:
    """Whether the database takes INSERT ... ON CONFLICT (...) DO NOTHING RETURNING and gives back the ids of
    a multi-row INSERT: PostgreSQL, and SQLite from 3.35. Elsewhere the one-by-one fallback is used."""
    return connection.vendor in ("postgresql", "sqlite") and connection.features.can_return_rows_from_bulk_insert


def _insert_keys(kind: str, keys) -> set[tuple[str, str]]:
    """INSERT the (period, recipient) keys of `kind`, skipping those that exist; the keys written (RETURNING
    reports only rows it inserted). PostgreSQL and SQLite 3.35+."""
    meta, quote = ReminderSent._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    kind_, period, recipient, created_at = (
        quote(meta.get_field(name).column) for name in ("kind", "period", "recipient", "created_at")
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    size = min(KEY_BATCH_SIZE, connection.ops.bulk_batch_size([kind_, period, recipient, created_at], keys))
    written = set()
    with connection.cursor() as cursor:
        for batch in batched(keys, max(size, 1)):
            rows = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
            # Table and column names come from model metadata, quoted; every value goes as a parameter.
            cursor.execute(
                f"INSERT INTO {table} ({kind_}, {period}, {recipient}, {created_at}) VALUES {rows} "  # noqa: S608  # nosec B608
                f"ON CONFLICT ({kind_}, {period}, {recipient}) DO NOTHING RETURNING {period}, {recipient}",
                [value for key in batch for value in (kind, *key, now)],
            )
            written.update(map(tuple, cursor.fetchall()))
    return written


def _insert_keys_one_by_one(kind: str, keys) -> set[tuple[str, str]]:
    """The portable form of _insert_keys: one savepoint and INSERT per key, a taken key rolled back."""
    written = set()
    for period, recipient in keys:
        try:
            with transaction.atomic():
                ReminderSent.objects.create(kind=kind, period=period, recipient=recipient)
        except IntegrityError:
            continue
        written.add((period, recipient))
    return written


# --- Delivery of email and SMS -------------------------------------------------------------------------------------


def idempotency_key(notification) -> str:
    """The key a gateway that accepts one is given with the message: the same on every attempt, so a message sent
    again after a crash (the one left in doubt) is dropped by the gateway instead of reaching the phone twice."""
    return f"notification-{notification.pk}"


def notifications_deliver(notification_ids, *, final_attempt: bool = True) -> list[int]:
    """Send each email and SMS notification among `notification_ids` that is still pending, and record
    the outcome: sent, or failed (a permanent refusal by the gateway, or any failure on the final
    attempt). Returns the ids that failed in a way a later attempt may cure: they stay pending.

    Each message is claimed (pending → sending, in its own short transaction) before it is handed to the gateway
    and its outcome written right after: a worker killed at any moment leaves at most the one message it was
    sending in doubt (status sending, which the outbox takes up again, with the same idempotency key), never a
    batch. A message another delivery claimed meanwhile is skipped, so the same ids delivered twice, even at
    once, send nothing twice. Queries: one select, then two UPDATEs a message. Inbox rows are left alone."""
    candidates = list(
        Notification.objects.filter(pk__in=list(notification_ids), status=Status.PENDING)
        .exclude(channel=Channel.INBOX)
        .select_related("user")
        .order_by("pk")
    )
    later = []
    sms, mail = None, None
    try:
        for notification in candidates:
            if not _claim(notification.pk):
                continue
            try:
                if notification.channel == Channel.SMS:
                    sms = sms or sms_backend()
                    _send_sms(sms, notification)
                elif notification.channel == Channel.EMAIL:
                    mail = mail or get_connection()
                    _send_email(mail, notification)
            except (SmsError, OSError) as error:
                transient = getattr(error, "transient", True)
                if transient and not final_attempt:
                    _release(notification.pk)
                    later.append(notification.pk)
                else:
                    _record(notification.pk, status=Status.FAILED, error=str(error)[:200])
                if isinstance(error, OSError) and mail is not None:
                    mail.close()  # the next email opens a fresh connection
                continue
            _record(notification.pk, status=Status.SENT, sent_at=timezone.now())
    finally:
        if mail is not None:
            mail.close()
    return later


def _claim(pk: int) -> bool:
    """Mark one pending message as being sent; False when another delivery took it first."""
    return bool(
        Notification.objects.filter(pk=pk, status=Status.PENDING).update(
            status=Status.SENDING, claimed_at=timezone.now()
        )
    )


def _release(pk: int) -> None:
    """A failure that may pass: the message is pending again, for the task's retry (or the outbox)."""
    Notification.objects.filter(pk=pk, status=Status.SENDING).update(status=Status.PENDING)


def _record(pk: int, **outcome) -> None:
    Notification.objects.filter(pk=pk, status=Status.SENDING).update(**outcome)


def _send_sms(sms, notification) -> None:
    params = {"title": notification.title, "link": notification.link}
    if getattr(sms, "accepts_idempotency_key", False):
        sms.send(notification.phone, notification.kind, params, idempotency_key=idempotency_key(notification))
    else:
        sms.send(notification.phone, notification.kind, params)


def _send_email(mail, notification) -> None:
    # A fixed Message-ID: a message sent again after a crash is recognised as the same one by mail clients.
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    EmailMessage(
        notification.title,
        notification.body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.user.email],
        connection=mail,
        headers={"Message-ID": f"<{idempotency_key(notification)}@{domain}>"},
    ).send()


# --- The outbox: every email and SMS goes out, even when its delivery task was lost -------------------------------


def outbox_requeue(*, now=None) -> dict[str, int]:
    """Queue again the email and SMS that no delivery has taken in hand for NOTIFICATION_OUTBOX_AFTER_MINUTES: their
    task was lost (Redis restarted without persistence, a task acknowledged by a worker that died) or is still
    waiting behind a long queue (delivering them twice is harmless: each message is claimed once).

    First, messages left `sending` that long (a worker killed between the gateway call and writing the outcome) are
    made pending again: they go out again with the same idempotency key, so a gateway that accepts keys sends them
    once, and one without sends that one message at most twice. Messages pending for NOTIFICATION_GIVE_UP_HOURS are
    recorded as failed instead. Returns the counts {"in_doubt", "given_up", "queued"}."""
    from .tasks import deliver_notifications_task  # tasks import this module

    now = now or timezone.now()
    cut = now - timedelta(minutes=settings.NOTIFICATION_OUTBOX_AFTER_MINUTES)
    outgoing = Notification.objects.exclude(channel=Channel.INBOX)
    in_doubt = outgoing.filter(status=Status.SENDING, claimed_at__lt=cut).update(status=Status.PENDING)
    given_up = outgoing.filter(
        status=Status.PENDING, created_at__lt=now - timedelta(hours=settings.NOTIFICATION_GIVE_UP_HOURS)
    ).update(status=Status.FAILED, error=f"not delivered within {settings.NOTIFICATION_GIVE_UP_HOURS} hours")
    ids = list(
        outgoing.filter(status=Status.PENDING)
        .filter(Q(claimed_at__lt=cut) | Q(claimed_at__isnull=True, created_at__lt=cut))
        .order_by("pk")
        .values_list("pk", flat=True)[:OUTBOX_MAX_PER_RUN]
    )
    # Claimed now, so the next run (OUTBOX_INTERVAL later) does not queue them again while these tasks wait.
    for batch in batched(ids, DELIVERY_BATCH_SIZE):
        Notification.objects.filter(pk__in=batch, status=Status.PENDING).update(claimed_at=now)
        deliver_notifications_task.delay(batch)
    return {"in_doubt": in_doubt, "given_up": given_up, "queued": len(ids)}


# --- The unread count of the page header ---------------------------------------------------------------------------
# Every logged-in page shows it, so it is kept in the shared cache per user (communities.kept). The changes to a
# user's inbox are the rows saved one by one (a signal), remind_many's multi-row INSERTs and marking read (both call
# `unread_changed`); a bulk delete of old rows is seen when the keys expire.
UNREAD_CACHE_SECONDS = 600
UNREAD = KeptFigure("inbox-unread", seconds=UNREAD_CACHE_SECONDS)


def _count_unread(user) -> int:
    return Notification.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True).count()


def unread_count(user) -> int:
    return UNREAD.get(user.pk, lambda: _count_unread(user))


def unread_changed(user_ids) -> None:
    """The inbox of these users changed: their kept unread counts are not used again."""
    UNREAD.changed(user_ids)


@receiver(post_save, sender=Notification, dispatch_uid="inbox_unread_saved")
def _inbox_row_saved(sender, instance, **kwargs):
    if instance.channel == Channel.INBOX and instance.user_id is not None:
        unread_changed([instance.user_id])
