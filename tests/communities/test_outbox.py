"""Every email and SMS goes out once (issue 15): claimed one message at a time before the gateway call, given an
idempotency key, and queued again by the outbox when its delivery task was lost."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from communities import notifications
from communities.models import Notification
from communities.notifications import Message, Reminder, notifications_deliver, outbox_requeue, remind_many
from communities.platform import jobs
from communities.tasks import deliver_notifications_task, outbox_requeue_task
from registration.tasks import remind_pending_reports_task
from services.tasks.reminders import remind_shortfall_members_chunk_task
from tests import factories

pytestmark = pytest.mark.django_db

Channel, Status = Notification.Channel, Notification.Status


class KeyedGateway:
    """A gateway that accepts idempotency keys, recording each call; `crash_at` makes the n-th call (1-based) die
    after the gateway took the message, as a worker killed before it wrote the outcome."""

    accepts_idempotency_key = True
    calls, crash_at = [], None

    def send(self, phone, template, params, *, idempotency_key=""):
        self.calls.append((phone, idempotency_key))
        if len(self.calls) == self.crash_at:
            raise SystemExit("worker killed")


@pytest.fixture
def gateway(settings):
    KeyedGateway.calls, KeyedGateway.crash_at = [], None
    settings.SMS_BACKEND = f"{__name__}.KeyedGateway"
    return KeyedGateway


def stored_sms(count: int) -> list[int]:
    """`count` SMS stored pending, their delivery task lost (nothing queued)."""
    reminders = [
        Reminder(
            period="2026",
            recipient=f"roster:{n}",
            message=Message(title="t", phone=f"139{n:08d}", channels=(Channel.SMS,)),
        )
        for n in range(count)
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notifications, "_queue_delivery", lambda rows: None)
        remind_many(kind="test-outbox", reminders=reminders)
    return sorted(Notification.objects.values_list("pk", flat=True))


def test_each_sms_carries_its_own_key_to_a_gateway_that_accepts_keys(gateway):
    ids = stored_sms(3)

    notifications_deliver(ids)

    assert [key for _phone, key in gateway.calls] == [f"notification-{pk}" for pk in ids]


def test_a_worker_killed_mid_batch_leaves_one_message_in_doubt_and_the_outbox_sends_it_with_the_same_key(gateway):
    ids = stored_sms(5)
    gateway.crash_at = 3

    with pytest.raises(SystemExit):
        notifications_deliver(ids)

    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == [Status.SENT, Status.SENT, Status.SENDING, Status.PENDING, Status.PENDING]

    # The batch delivered again (the task given back to the queue): the two waiting ones go, the one in doubt does not.
    gateway.crash_at = None
    notifications_deliver(ids)
    assert [phone for phone, _key in gateway.calls].count("13900000002") == 1
    assert Notification.objects.filter(status=Status.SENT).count() == 4

    # Too early for the outbox: the message in doubt may still be in the gateway's hands.
    assert outbox_requeue()["in_doubt"] == 0

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        counts = outbox_requeue()  # eager tasks: delivered at once

    assert counts == {"in_doubt": 1, "given_up": 0, "queued": 1}
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    # Sent twice to the gateway, with one key: the gateway drops the second.
    assert [key for _phone, key in gateway.calls if _phone == "13900000002"] == [f"notification-{ids[2]}"] * 2
    assert len(gateway.calls) == 6


def test_the_outbox_queues_only_what_waited_long_enough_and_not_twice_in_a_row(gateway, monkeypatch):
    old = stored_sms(2)
    Notification.objects.filter(pk__in=old).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    young = Notification.objects.create(channel=Channel.SMS, phone="13800000000", kind="k", title="t")
    inbox = Notification.objects.create(channel=Channel.INBOX, kind="k", title="t", user=factories.UserFactory())
    Notification.objects.filter(pk=inbox.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    queued = []
    monkeypatch.setattr(deliver_notifications_task, "delay", lambda ids: queued.append(list(ids)))

    assert outbox_requeue() == {"in_doubt": 0, "given_up": 0, "queued": 2}
    assert queued == [old]
    # Taken in hand now: the next run (five minutes later) leaves them to the tasks just queued.
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        assert outbox_requeue()["queued"] == 0
    assert Notification.objects.get(pk=young.pk).status == Status.PENDING
    assert gateway.calls == []


def test_the_outbox_gives_up_on_messages_pending_for_days(gateway, settings):
    ids = stored_sms(1)
    Notification.objects.filter(pk__in=ids).update(created_at=timezone.now() - datetime.timedelta(hours=49))

    assert outbox_requeue_task.delay().get() == {"in_doubt": 0, "given_up": 1, "queued": 0}

    failed = Notification.objects.get()
    assert failed.status == Status.FAILED
    assert "48 hours" in failed.error
    assert gateway.calls == []


def test_a_message_another_delivery_claimed_is_not_sent_again(gateway):
    ids = stored_sms(2)
    Notification.objects.filter(pk=ids[0]).update(status=Status.SENDING, claimed_at=timezone.now())

    notifications_deliver(ids)

    assert [phone for phone, _key in gateway.calls] == ["13900000001"]


def test_an_email_has_a_message_id_made_of_its_key(django_capture_on_commit_callbacks):
    user = factories.UserFactory(email="member@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        [email] = notifications.notify(kind="k", title="Hello", user=user, channels=(Channel.EMAIL,))

    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<notification-{email.pk}@")
    assert Notification.objects.get(pk=email.pk).status == Status.SENT


def test_delivery_and_reminder_tasks_go_back_to_the_queue_when_their_worker_dies():
    for task in (deliver_notifications_task, remind_pending_reports_task, remind_shortfall_members_chunk_task):
        assert task.acks_late and task.reject_on_worker_lost, task.name


def test_beat_runs_the_outbox_every_five_minutes():
    entry = jobs.beat_schedule()["outbox-requeue"]
    assert entry["task"] == outbox_requeue_task.name
    assert entry["schedule"].minute == set(range(0, 60, 5))
