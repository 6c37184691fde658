"""Issue 20, scale and speed: what a scan and a closing cost in queries does not grow with the crowd, and the
benchmark's year of activities (bench/activities.py) loads consistent rows and removes them all."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench import activities as bench_activities
from services.activities import codes
from services.activities import services as activity_ops
from services.activities.models import Activity, ActivitySeries, CheckIn, SignUp
from services.teams.models import Membership, Team
from tests import factories
from tests.conftest import make_staff

from .helpers import confirmed_member, make_activity, sign_up

pytestmark = pytest.mark.django_db
# One scan through the member's page: session, user, roles, member and home, the activity (the view's and the
# service's), then the sign-up locked, its scans, the insert, the first scan's conditional update (and the
# savepoint's two statements). A repeat writes nothing.
SCAN_QUERIES, REPEAT_QUERIES = 12, 10


def crowd(community, activity, size):
    """`size` members with a place on `activity`, each with a check-in and a check-out (written directly)."""
    members = [confirmed_member(community) for _ in range(size)]
    signups = SignUp.objects.bulk_create(
        [SignUp(activity=activity, member=member, status=SignUp.Status.SIGNED_UP) for member in members]
    )
    Activity.objects.filter(pk=activity.pk).update(signed_up_count=size, places=max(size + 5, activity.places))
    entry = activity.starts_at - datetime.timedelta(minutes=5)
    CheckIn.objects.bulk_create(
        [CheckIn(activity=activity, signup=signup, member_id=signup.member_id, kind=kind, method="code",
                 at=entry if kind == "entry" else entry + datetime.timedelta(hours=2, minutes=signup.pk % 30))
         for signup in signups for kind in ("entry", "exit")]
    )
    return members


@pytest.mark.parametrize("others", [1, 40])
def test_a_scan_costs_the_same_queries_however_many_have_checked_in(client, others, django_assert_max_num_queries):
    community = factories.CommunityFactory()
    start = timezone.now() + datetime.timedelta(minutes=10)
    activity = make_activity(community, starts_at=start, ends_at=start + datetime.timedelta(hours=3), places=2)
    crowd(community, activity, others)
    member = confirmed_member(community)
    Activity.objects.filter(pk=activity.pk).update(places=others + 5)
    sign_up(member, activity)
    client.force_login(member.user)
    url = reverse("activities:check-in", args=[activity.pk])
    code = codes.current_code(activity_id=activity.pk, kind="entry")
    with django_assert_max_num_queries(SCAN_QUERIES):
        assert client.post(url, {"kind": "entry", "code": code}).status_code == 302
    with django_assert_max_num_queries(REPEAT_QUERIES):
        assert client.post(url, {"kind": "entry", "code": code}).status_code == 302
    assert CheckIn.objects.filter(member=member, kind="entry").count() == 1


def closing_queries(size) -> int:
    community = factories.CommunityFactory()
    staff = make_staff("community", community=community)
    start = timezone.now() - datetime.timedelta(hours=3)
    activity = make_activity(community, starts_at=start, ends_at=start + datetime.timedelta(hours=2, minutes=30),
                             status=Activity.Status.RUNNING, places=size + 5)
    crowd(community, activity, size)
    with CaptureQueriesContext(connection) as queries:
        figures = activity_ops.activity_close(user=staff, activity_id=activity.pk)
    assert figures["attended"] == figures["credited"] == size
    return len(queries.captured_queries)


def test_closing_costs_the_same_statements_for_5_or_60_members():
    # Set-based: the sign-ups, the scans summed, the members locked, their day's records, one insert of the
    # records, one UPDATE per SETTLE_BATCH sign-ups, whatever the crowd.
    assert closing_queries(5) == closing_queries(60)


def test_the_burst_sends_every_member_once_and_every_tenth_again():
    plan = bench_activities.scan_plan(30)
    assert sorted(set(plan)) == list(range(30))
    assert len(plan) == 33 and plan[10] == 4  # after the tenth member, the fifth again: in flight together


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark's bulk SQL is PostgreSQL's")


def test_a_year_of_activities_loads_consistent_rows_and_is_removed_whole(postgresql):
    factories.SkillFactory(name="维修")
    communities = [factories.CommunityFactory() for _ in range(2)]
    for community in communities:
        for _ in range(20):  # three leaders and three teams of five more
            confirmed_member(community)
    written = bench_activities.load_year(weeks=6, ahead=2, signups=4)
    assert written["activities"] == 12 and written["teams"] == 6
    mine = Activity.objects.filter(description=bench_activities.BENCH_TEXT)
    assert ActivitySeries.objects.filter(activities__in=mine).distinct().count() == 2
    assert mine.filter(status="draft").count() == 2  # each community's last week
    assert mine.filter(status="published", starts_at__gt=timezone.now()).exists()
    assert not mine.filter(status__in=("published", "draft"), starts_at__lt=timezone.now()).exists()
    for activity in mine:
        holding = activity.signups.filter(status__in=("signed_up", "attended", "no_show")).count()
        assert activity.signed_up_count == holding <= activity.places
        assert not activity.signups.exclude(member__reports__community=activity.community).exists()
    attended = SignUp.objects.filter(activity__in=mine, status="attended")
    assert attended.exists()
    assert CheckIn.objects.filter(activity__in=mine).count() == 2 * attended.count() == written["checkins"]
    assert Membership.objects.filter(team__description=bench_activities.BENCH_TEXT).count() == 6 * 6
    removed = bench_activities.remove()
    assert removed["activities"] == 12 and removed["teams"] == 6
    assert not Activity.objects.exists() and not Team.objects.exists() and not ActivitySeries.objects.exists()
    assert not SignUp.objects.exists() and not CheckIn.objects.exists()
