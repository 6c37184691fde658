"""The bulk path of reminders (remind_many) and the delivery of email and SMS by id lists."""

import pytest
from django.core import mail
from django.db import transaction

from communities import notifications
from communities import tasks as communities_tasks
from communities.models import Notification, ReminderSent
from communities.notifications import Message, Reminder, notifications_deliver, remind_many
from communities.sms import SmsError
from communities.tasks import deliver_notifications_task
from tests import factories

pytestmark = pytest.mark.django_db

Channel, Status = Notification.Channel, Notification.Status
KIND = "test-reminder"
# The savepoint, the keys' INSERT ... RETURNING, the notifications' INSERT, the release.
STATEMENTS_PER_CALL = 4


class RecordingSmsBackend:
    """Stands in for the SMS gateway: records what would leave the process."""

    sent = []

    def send(self, phone, template, params):
        self.sent.append(phone)


class FlakySmsBackend:
    """Refuses the numbers in `down` (transiently) once each, and the numbers in `blocked` for good."""

    down, blocked, sent = set(), set(), []

    def send(self, phone, template, params):
        if phone in self.blocked:
            raise SmsError("number blocked by the gateway", transient=False)
        if phone in self.down:
            self.down.discard(phone)
            raise SmsError("gateway timeout")
        self.sent.append(phone)


@pytest.fixture
def recording_sms(settings):
    RecordingSmsBackend.sent = []
    settings.SMS_BACKEND = f"{__name__}.RecordingSmsBackend"
    return RecordingSmsBackend.sent


@pytest.fixture
def flaky_sms(settings):
    FlakySmsBackend.down, FlakySmsBackend.blocked, FlakySmsBackend.sent = set(), set(), []
    settings.SMS_BACKEND = f"{__name__}.FlakySmsBackend"
    return FlakySmsBackend


@pytest.fixture
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def inbox_reminders(users, period="2026"):
    return [
        Reminder(period=period, recipient=f"user:{user.pk}", message=Message(title=f"提醒 {user.pk}", user_id=user.pk))
        for user in users
    ]


def sms_reminders(count, *, first=0):
    return [
        Reminder(
            period="once",
            recipient=f"roster:{n}",
            message=Message(title="请报到", phone=f"139{n:08d}", channels=(Channel.SMS,)),
        )
        for n in range(first, first + count)
    ]


# --- Keys: once per kind, period and recipient ---------------------------------------------------------------


def test_remind_many_stores_the_new_keys_and_the_messages_of_exactly_those():
    users = factories.UserFactory.create_batch(4)
    ReminderSent.objects.create(kind=KIND, period="2026", recipient=f"user:{users[0].pk}")
    ReminderSent.objects.create(kind="other-kind", period="2026", recipient=f"user:{users[1].pk}")

    assert remind_many(kind=KIND, reminders=inbox_reminders(users)) == 3

    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(u.pk for u in users[1:])
    assert ReminderSent.objects.filter(kind=KIND).count() == 4
    notification = Notification.objects.get(user=users[1])
    assert (notification.kind, notification.channel, notification.status) == (KIND, Channel.INBOX, Status.SENT)
    assert notification.title == f"提醒 {users[1].pk}"


def test_a_chunk_run_again_stores_nothing_the_second_time():
    users = factories.UserFactory.create_batch(3)

    assert remind_many(kind=KIND, reminders=inbox_reminders(users)) == 3
    assert remind_many(kind=KIND, reminders=inbox_reminders(users)) == 0
    assert remind_many(kind=KIND, reminders=inbox_reminders(users, period="2027")) == 3

    assert Notification.objects.count() == 6
    assert ReminderSent.objects.count() == 6


def test_a_key_given_twice_in_one_call_reminds_once():
    user = factories.UserFactory()

    assert remind_many(kind=KIND, reminders=inbox_reminders([user]) * 2) == 1
    assert Notification.objects.count() == 1


def test_nothing_to_remind_costs_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert remind_many(kind=KIND, reminders=[]) == 0


@pytest.mark.parametrize("people", [5, 50])
def test_statements_of_a_chunk_do_not_grow_with_its_people(people, django_assert_max_num_queries):
    users = factories.UserFactory.create_batch(people)

    with django_assert_max_num_queries(STATEMENTS_PER_CALL):
        assert remind_many(kind=KIND, reminders=inbox_reminders(users)) == people
    assert Notification.objects.count() == people


def test_keys_go_in_batches_of_key_batch_size(monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(notifications, "KEY_BATCH_SIZE", 2)
    users = factories.UserFactory.create_batch(5)
    ReminderSent.objects.create(kind=KIND, period="2026", recipient=f"user:{users[2].pk}")

    # Three INSERTs of keys (2 + 2 + 1) instead of one.
    with django_assert_max_num_queries(STATEMENTS_PER_CALL + 2):
        assert remind_many(kind=KIND, reminders=inbox_reminders(users)) == 4


def test_the_one_by_one_fallback_keeps_the_same_guarantee(monkeypatch):
    """Where the database cannot say which rows a multi-row INSERT wrote, keys go in one by one."""
    monkeypatch.setattr(notifications, "_bulk_insert_returns_rows", lambda: False)
    users = factories.UserFactory.create_batch(3)
    ReminderSent.objects.create(kind=KIND, period="2026", recipient=f"user:{users[0].pk}")

    assert remind_many(kind=KIND, reminders=inbox_reminders(users)) == 2
    assert remind_many(kind=KIND, reminders=inbox_reminders(users)) == 0
    assert Notification.objects.count() == 2


def test_keys_and_messages_roll_back_together():
    users = factories.UserFactory.create_batch(2)

    class Failure(Exception):
        pass

    with pytest.raises(Failure), transaction.atomic():
        remind_many(kind=KIND, reminders=inbox_reminders(users))
        raise Failure

    assert not ReminderSent.objects.exists()
    assert not Notification.objects.exists()
    assert remind_many(kind=KIND, reminders=inbox_reminders(users)) == 2


# --- Delivery: inbox by being stored, email and SMS by tasks carrying ids ------------------------------------------


def test_inbox_reminders_queue_no_delivery(monkeypatch, django_capture_on_commit_callbacks):
    users = factories.UserFactory.create_batch(3)
    queued = []
    monkeypatch.setattr(deliver_notifications_task, "delay", lambda *args, **kwargs: queued.append(args))

    # After commit only the header's kept unread counts are dropped (notifications.unread_changed), if any.
    with django_capture_on_commit_callbacks(execute=True):
        remind_many(kind=KIND, reminders=inbox_reminders(users))

    assert queued == []
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


def test_email_reminders_go_out_through_a_task_given_ids_only(
    monkeypatch, locmem_email, django_capture_on_commit_callbacks
):
    with_email = factories.UserFactory.create_batch(2, email="member@example.org")
    without_email = factories.UserFactory(email="")
    reminders = [
        Reminder(
            period="2026",
            recipient=f"user:{user.pk}",
            message=Message(
                title="年度考核结果",
                body="详见系统",
                user_id=user.pk,
                has_email=bool(user.email),
                channels=(Channel.INBOX, Channel.EMAIL),
            ),
        )
        for user in [*with_email, without_email]
    ]
    queued = []
    monkeypatch.setattr(deliver_notifications_task, "delay", lambda *args, **kwargs: queued.append((args, kwargs)))

    with django_capture_on_commit_callbacks(execute=True):
        assert remind_many(kind=KIND, reminders=reminders) == 3

    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert sorted(emails.values_list("user_id", flat=True)) == sorted(user.pk for user in with_email)
    assert Notification.objects.filter(channel=Channel.INBOX).count() == 3
    # One task, its message a list of the email rows' ids; nothing of the message itself.
    assert queued == [((sorted(emails.values_list("pk", flat=True)),), {})]
    assert mail.outbox == []

    monkeypatch.undo()
    deliver_notifications_task.delay(*queued[0][0])

    assert [message.to for message in mail.outbox] == [["member@example.org"], ["member@example.org"]]
    assert set(emails.values_list("status", flat=True)) == {Status.SENT}


def test_sms_delivery_is_queued_in_batches_of_ids(
    monkeypatch, recording_sms, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    monkeypatch.setattr(notifications, "DELIVERY_BATCH_SIZE", 2)

    with django_capture_on_commit_callbacks() as callbacks:
        assert remind_many(kind=KIND, reminders=sms_reminders(5)) == 5
    assert len(callbacks) == 3  # 2 + 2 + 1 ids

    for callback in callbacks:
        callback()
    assert sorted(recording_sms) == sorted(f"139{n:08d}" for n in range(5))
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.parametrize("count", [5, 50])
def test_delivery_costs_one_select_and_two_short_updates_a_message(
    count, recording_sms, django_assert_max_num_queries
):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notifications, "_queue_delivery", lambda rows: None)
        remind_many(kind=KIND, reminders=sms_reminders(count))
    ids = list(Notification.objects.values_list("pk", flat=True))

    # The pending rows, then per message its claim (sending) and its outcome: a crash leaves one message in doubt.
    with django_assert_max_num_queries(1 + 2 * count):
        assert notifications_deliver(ids) == []
    assert len(recording_sms) == count
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


def test_delivering_the_same_ids_again_sends_nothing_twice(recording_sms):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notifications, "_queue_delivery", lambda rows: None)
        remind_many(kind=KIND, reminders=sms_reminders(3))
    ids = list(Notification.objects.values_list("pk", flat=True))

    notifications_deliver(ids)
    notifications_deliver(ids)
    deliver_notifications_task.delay(ids)

    assert len(recording_sms) == 3


def test_a_passing_failure_leaves_only_that_sms_pending_and_a_refusal_marks_it_failed(flaky_sms):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notifications, "_queue_delivery", lambda rows: None)
        remind_many(kind=KIND, reminders=sms_reminders(3))
    by_phone = dict(Notification.objects.values_list("phone", "pk"))
    flaky_sms.down = {"13900000001"}
    flaky_sms.blocked = {"13900000002"}

    later = notifications_deliver(list(by_phone.values()), final_attempt=False)

    assert later == [by_phone["13900000001"]]
    statuses = dict(Notification.objects.values_list("phone", "status"))
    assert statuses == {"13900000000": Status.SENT, "13900000001": Status.PENDING, "13900000002": Status.FAILED}
    assert "blocked" in Notification.objects.get(phone="13900000002").error


def test_the_task_retries_only_the_ids_that_failed_in_passing(monkeypatch, flaky_sms):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notifications, "_queue_delivery", lambda rows: None)
        remind_many(kind=KIND, reminders=sms_reminders(3))
    ids = sorted(Notification.objects.values_list("pk", flat=True))
    flaky_sms.down = {"13900000001"}
    attempts = []

    def recorded(notification_ids, **kwargs):
        attempts.append(list(notification_ids))
        return notifications_deliver(notification_ids, **kwargs)

    monkeypatch.setattr(communities_tasks, "notifications_deliver", recorded)

    # In-process, without propagating the Retry: Celery runs the retry at once, with the arguments it names.
    deliver_notifications_task.apply(args=(ids,), throw=False)

    assert attempts == [ids, [Notification.objects.get(phone="13900000001").pk]]
    assert sorted(flaky_sms.sent) == ["13900000000", "13900000001", "13900000002"]  # each once
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


def test_reminded_keys_finds_exactly_the_pairs_already_written():
    for period, recipient in [("claim:1", "user:2"), ("claim:2", "user:1"), ("claim:3", "user:3")]:
        ReminderSent.objects.create(kind=KIND, period=period, recipient=recipient)
    ReminderSent.objects.create(kind="other-kind", period="claim:1", recipient="user:1")

    asked = [("claim:1", "user:1"), ("claim:2", "user:2"), ("claim:3", "user:3")]

    assert notifications.reminded_keys(kind=KIND, keys=asked) == {("claim:3", "user:3")}
    assert notifications.reminded_keys(kind=KIND, keys=[]) == set()


def test_reminded_keys_splits_long_lists_within_the_parameter_limit(monkeypatch, django_assert_num_queries):
    keys = [("2026", f"user:{n}") for n in range(10)]
    ReminderSent.objects.create(kind=KIND, period="2026", recipient="user:3")
    ReminderSent.objects.create(kind=KIND, period="2026", recipient="user:8")
    monkeypatch.setattr(notifications.connection.features, "max_query_params", 10)

    with django_assert_num_queries(3):  # four keys a query
        assert notifications.reminded_keys(kind=KIND, keys=keys) == {("2026", "user:3"), ("2026", "user:8")}
