"""The reminder the day before: members with a place, once per member and activity."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from communities.models import Notification
from services.activities.models import Activity, SignUp
from services.activities.reminders import ACTIVITY_TOMORROW, remind_activities_tomorrow
from tests import factories

from .helpers import confirmed_member, make_activity

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_members_with_a_place_tomorrow_are_reminded_once():
    community = factories.CommunityFactory()
    tomorrow = NOW + datetime.timedelta(days=1)
    activity = make_activity(community, starts_at=tomorrow, ends_at=tomorrow + datetime.timedelta(hours=2))
    placed, waiting, cancelled = (confirmed_member(community) for _ in range(3))
    SignUp.objects.create(activity=activity, member=placed)
    SignUp.objects.create(activity=activity, member=waiting, status=SignUp.Status.WAITING, position=1)
    SignUp.objects.create(activity=activity, member=cancelled, status=SignUp.Status.CANCELLED)
    later = make_activity(community, starts_at=NOW + datetime.timedelta(days=2),
                          ends_at=NOW + datetime.timedelta(days=2, hours=1))
    SignUp.objects.create(activity=later, member=placed)
    off = make_activity(community, status=Activity.Status.CANCELLED, starts_at=tomorrow,
                        ends_at=tomorrow + datetime.timedelta(hours=1))
    SignUp.objects.create(activity=off, member=placed)

    assert remind_activities_tomorrow(now=NOW) == 1
    assert remind_activities_tomorrow(now=NOW) == 0
    notification = Notification.objects.get(kind=ACTIVITY_TOMORROW)
    assert notification.user_id == placed.user_id
    assert activity.title in notification.title
    assert notification.link == f"/activities/{activity.pk}/"
