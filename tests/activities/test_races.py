"""Races on PostgreSQL (SQLite serialises writers): the last place, the waiting list, duplicate scans."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from services.activities import codes
from services.activities import services as activity_ops
from services.activities.models import Activity, CheckIn, SignUp
from tests import factories
from tests.concurrency import race

from .helpers import confirmed_member, make_activity

S = SignUp.Status


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")


def signing_up(member, activity):
    return lambda: activity_ops.signup_create(member=member, activity_id=activity.pk)


@pytest.mark.django_db(transaction=True)
def test_two_members_racing_for_the_last_place_get_one_place_and_one_turn_on_the_list(postgresql):
    community = factories.CommunityFactory()
    activity = make_activity(community, places=1)
    members = [confirmed_member(community) for _ in range(2)]
    signups, errors = race(*(signing_up(member, activity) for member in members))
    assert errors == []
    assert sorted(signup.status for signup in signups) == [S.SIGNED_UP, S.WAITING]
    assert [signup.position for signup in signups if signup.status == S.WAITING] == [1]
    activity.refresh_from_db()
    assert activity.signed_up_count == 1 == activity.places


@pytest.mark.django_db(transaction=True)
def test_eight_members_racing_for_three_places_fill_them_and_queue_in_distinct_turns(postgresql):
    community = factories.CommunityFactory()
    activity = make_activity(community, places=3)
    members = [confirmed_member(community) for _ in range(8)]
    signups, errors = race(*(signing_up(member, activity) for member in members))
    assert errors == []
    assert SignUp.objects.filter(activity=activity, status=S.SIGNED_UP).count() == 3
    positions = sorted(SignUp.objects.filter(activity=activity, status=S.WAITING).values_list("position", flat=True))
    assert positions == [1, 2, 3, 4, 5]
    activity.refresh_from_db()
    assert (activity.signed_up_count, activity.last_position) == (3, 5)


@pytest.mark.django_db(transaction=True)
def test_two_cancellations_at_once_move_up_the_two_first_waiting_members(postgresql):
    community = factories.CommunityFactory()
    activity = make_activity(community, places=2)
    members = [confirmed_member(community) for _ in range(5)]
    for member in members:
        activity_ops.signup_create(member=member, activity_id=activity.pk)
    holders, waiting = members[:2], members[2:]
    _results, errors = race(*(
        (lambda member=member: activity_ops.signup_cancel(member=member, activity_id=activity.pk))
        for member in holders
    ))
    assert errors == []
    statuses = dict(SignUp.objects.filter(activity=activity).exclude(status=S.CANCELLED)
                    .values_list("member_id", "status"))
    assert statuses == {waiting[0].pk: S.SIGNED_UP, waiting[1].pk: S.SIGNED_UP, waiting[2].pk: S.WAITING}
    activity.refresh_from_db()
    assert activity.signed_up_count == 2


def _running_activity_with(count):
    community = factories.CommunityFactory()
    start = timezone.now() - datetime.timedelta(minutes=5)
    activity = make_activity(community, places=count, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    members = [confirmed_member(community) for _ in range(count)]
    SignUp.objects.bulk_create(SignUp(activity=activity, member=member) for member in members)
    Activity.objects.filter(pk=activity.pk).update(signed_up_count=count)
    return activity, members


def scanning(member, activity):
    def scan():
        code = codes.current_code(activity_id=activity.pk, kind="entry")
        return activity_ops.checkin_by_code(member=member, activity_id=activity.pk, kind="entry", code=code)

    return scan


@pytest.mark.django_db(transaction=True)
def test_one_member_scanning_six_times_at_once_is_recorded_once(postgresql):
    activity, [member] = _running_activity_with(1)
    results, errors = race(*(scanning(member, activity) for _ in range(6)))
    assert errors == []
    assert sorted(created for _scan, created in results) == [False] * 5 + [True]
    assert len({scan.pk for scan, _created in results}) == 1
    assert CheckIn.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_crowd_checking_in_at_once_is_recorded_each_exactly_once(postgresql):
    activity, members = _running_activity_with(16)
    results, errors = race(*(scanning(member, activity) for member in members + members))
    assert errors == []
    assert sorted(CheckIn.objects.values_list("member_id", flat=True)) == sorted(member.pk for member in members)
    assert sum(created for _scan, created in results) == 16
    activity.refresh_from_db()
    assert activity.status == Activity.Status.RUNNING
