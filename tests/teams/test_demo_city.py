"""The teams in the demo city: consistent with the rules the services keep."""

import io

import pytest
from django.core.management import call_command

from registration.demo_city import MEMBER_LOGIN
from registration.models import Report
from services.teams.models import Membership, Team, TeamSignUp

pytestmark = pytest.mark.django_db


def test_demo_teams_have_their_leaders_as_members_from_their_community():
    call_command("seed_demo", members=300, reset=True, stdout=io.StringIO())
    assert Team.objects.filter(is_open=True).exists() and Team.objects.filter(is_open=False).exists()
    confirmed_here = set(Report.objects.filter(status="confirmed").values_list("member_id", "community_id"))
    for team in Team.objects.all():
        assert Membership.objects.filter(team=team, member=team.leader, status="accepted").exists()
        assert (team.leader_id, team.community_id) in confirmed_here
    pairs = set(Membership.objects.values_list("member_id", "team__community_id"))
    assert pairs <= confirmed_here
    assert Membership.objects.filter(status="applied").exists()
    assert Team.objects.filter(leader__user__username=MEMBER_LOGIN).exists()
    team_signups = TeamSignUp.objects.select_related("signup", "team")
    assert team_signups.exists()
    for row in team_signups:
        assert row.signup.activity.community_id == row.team.community_id
        assert Membership.objects.filter(team=row.team, member_id=row.signup.member_id, status="accepted").exists()
