"""The activities in the demo city: consistent with the rules the services keep."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from registration.demo_city import MEMBER_LOGIN
from registration.models import Report
from services.activities.models import Activity, SignUp

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", members=300, reset=True, stdout=io.StringIO())


def test_demo_activities_keep_their_counts_turns_and_members(demo):
    activities = Activity.objects.annotate(
        placed=Count("signups", filter=Q(signups__status="signed_up")),
        waiting=Count("signups", filter=Q(signups__status="waiting")),
    )
    assert activities.filter(status="published").exists() and activities.filter(status="draft").exists()
    assert activities.filter(series__isnull=False).exists()
    for activity in activities:
        assert activity.placed == activity.signed_up_count <= activity.places
        assert activity.waiting == activity.last_position
        assert activity.waiting == 0 or activity.placed == activity.places
    confirmed_here = set(Report.objects.filter(status="confirmed").values_list("member_id", "community_id"))
    pairs = set(SignUp.objects.values_list("member_id", "activity__community_id"))
    assert pairs <= confirmed_here
    assert SignUp.objects.filter(member__user__username=MEMBER_LOGIN, status="signed_up").exists()
