"""Races on PostgreSQL (SQLite serialises writers): a team taking the last places against a member, and two
leaders assigning the same member at once."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from services import services as service_ops
from services.activities import services as activity_ops
from services.activities.models import SignUp
from services.models import Claim
from services.teams import services as team_ops
from services.teams.models import Membership, TeamClaim, TeamSignUp
from tests import factories
from tests.activities.helpers import confirmed_member, make_activity
from tests.concurrency import race
from tests.conftest import make_staff

from .helpers import make_team, team_members


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")


def _claiming(team, need, members):
    return lambda: team_ops.team_claim(user=team.leader.user, team_id=team.pk, need_id=need.pk,
                                       member_ids=[member.pk for member in members], commitment="上门服务")


@pytest.mark.django_db(transaction=True)
def test_a_team_and_a_member_racing_for_the_last_places_never_overbook(postgresql):
    community = factories.CommunityFactory()
    team = make_team(community, size=2)
    need = factories.ServiceNeedFactory(community=community, places=2)
    loner = confirmed_member(community)
    for _ in range(5):  # the order differs from run to run; every outcome must hold
        results, errors = race(
            _claiming(team, need, team_members(team)),
            lambda: service_ops.claim_create(member=loner, need_id=need.pk, commitment="我来"),
        )
        assert len(results) + len(errors) == 2
        assert all(isinstance(error, ValidationError) for error in errors)
        need.refresh_from_db()
        claims = Claim.objects.filter(need=need)
        assert need.claimed_count == claims.count() <= need.places
        # All or none: the team holds both places, or none and the member one.
        assert TeamClaim.objects.filter(team=team).count() in (0, 2)
        assert claims.count() == (2 if TeamClaim.objects.exists() else 1)
        TeamClaim.objects.all().delete()
        Claim.objects.filter(need=need).delete()
        type(need).objects.filter(pk=need.pk).update(claimed_count=0)


@pytest.mark.django_db(transaction=True)
def test_two_leaders_assigning_the_same_member_to_a_need_give_one_claim(postgresql):
    community = factories.CommunityFactory()
    staff = make_staff("community", community=community)
    first, second = make_team(community, staff=staff, size=1), make_team(community, staff=staff, size=1)
    shared = confirmed_member(community)
    for team in (first, second):
        Membership.objects.create(team=team, member=shared, status=Membership.Status.ACCEPTED)
    need = factories.ServiceNeedFactory(community=community, places=5)
    results, errors = race(_claiming(first, need, [shared]), _claiming(second, need, [shared]))
    assert (len(results), len(errors)) == (1, 1)
    assert isinstance(errors[0], ValidationError)
    assert Claim.objects.filter(need=need, member=shared).count() == 1
    assert TeamClaim.objects.count() == 1
    need.refresh_from_db()
    assert need.claimed_count == 1


@pytest.mark.django_db(transaction=True)
def test_two_leaders_signing_the_same_member_up_give_one_sign_up(postgresql):
    community = factories.CommunityFactory()
    staff = make_staff("community", community=community)
    first, second = make_team(community, staff=staff, size=1), make_team(community, staff=staff, size=1)
    shared = confirmed_member(community)
    for team in (first, second):
        Membership.objects.create(team=team, member=shared, status=Membership.Status.ACCEPTED)
    activity = make_activity(community, places=5)
    results, errors = race(*(
        (lambda team=team: team_ops.team_sign_up(user=team.leader.user, team_id=team.pk, activity_id=activity.pk,
                                                 member_ids=[shared.pk]))
        for team in (first, second)
    ))
    assert (len(results), len(errors)) == (1, 1)
    assert SignUp.objects.filter(activity=activity, member=shared).count() == 1
    assert TeamSignUp.objects.count() == 1
    activity.refresh_from_db()
    assert activity.signed_up_count == 1


@pytest.mark.django_db(transaction=True)
def test_a_team_and_members_racing_for_an_activitys_last_places(postgresql):
    community = factories.CommunityFactory()
    team = make_team(community, size=3)
    activity = make_activity(community, places=4)
    others = [confirmed_member(community) for _ in range(3)]
    results, errors = race(
        lambda: team_ops.team_sign_up(user=team.leader.user, team_id=team.pk, activity_id=activity.pk,
                                      member_ids=[member.pk for member in team_members(team)]),
        *((lambda member=member: activity_ops.signup_create(member=member, activity_id=activity.pk))
          for member in others),
    )
    activity.refresh_from_db()
    placed = SignUp.objects.filter(activity=activity, status=SignUp.Status.SIGNED_UP).count()
    assert activity.signed_up_count == placed <= 4
    team_rows = TeamSignUp.objects.filter(team=team).count()
    assert team_rows in (0, 3)
    # The team either holds three places and one member the fourth, or none and the members all three.
    assert placed == (4 if team_rows else 3)
    assert len(errors) == (0 if team_rows else 1)
