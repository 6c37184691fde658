"""Shared builders for the activities' tests."""

import datetime

from django.utils import timezone

from registration.models import Report
from services.activities import services as activity_ops
from services.activities.models import Activity
from services.models import PostType
from tests import factories


def confirmed_member(community):
    return factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member


def activity_values(**overrides) -> dict:
    starts_at = timezone.now() + datetime.timedelta(days=3)
    values = {
        "title": "社区环境清洁日",
        "description": "清理楼道和绿化带杂物",
        "post_type": PostType.SANITATION,
        "place": "幸福里小区南门",
        "starts_at": starts_at,
        "ends_at": starts_at + datetime.timedelta(hours=3),
        "places": 2,
        "signup_deadline": None,
        "cancel_cutoff": starts_at - datetime.timedelta(days=1),
        "contact": "王老师 13800000000",
    }
    values.update(overrides)
    return values


def make_activity(community, *, status=Activity.Status.PUBLISHED, **overrides) -> Activity:
    """An activity written directly (not through the services), in any status and at any time."""
    values = activity_values(**overrides)
    values["signup_deadline"] = values["signup_deadline"] or values["starts_at"]
    values["cancel_cutoff"] = min(values["cancel_cutoff"], values["starts_at"])
    return Activity.objects.create(community=community, status=status, **values)


def sign_up(member, activity):
    return activity_ops.signup_create(member=member, activity_id=activity.pk)
