import pytest
from django.urls import reverse

from communities.models import Notification
from communities.notifications import notify
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_header_shows_the_unread_count_and_the_inbox_lists_only_my_messages(client):
    me, other = factories.UserFactory(), factories.UserFactory()
    notify(kind="test", title="报到已确认", user=me)
    notify(kind="test", title="别人的消息", user=other)
    client.force_login(me)
    page = client.get(reverse("communities:inbox")).content.decode()
    assert "报到已确认" in page and "别人的消息" not in page
    assert 'inbox-unread">1<' in page
    client.post(reverse("communities:inbox-read"))
    assert "inbox-unread" not in client.get(reverse("communities:inbox")).content.decode()
    assert Notification.objects.get(user=other).read_at is None


def test_the_inbox_needs_a_login(client):
    assert client.get(reverse("communities:inbox")).status_code == 302


def test_sms_and_email_are_queued_and_delivered_after_commit(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = factories.UserFactory(email="member@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            kind="test",
            title="提醒",
            user=user,
            phone="13912345678",
            channels=(Notification.Channel.INBOX, Notification.Channel.EMAIL, Notification.Channel.SMS),
        )
    statuses = dict(Notification.objects.values_list("channel", "status"))
    assert statuses == {"inbox": "sent", "email": "sent", "sms": "sent"}

