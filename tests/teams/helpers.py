"""Shared builders for the teams' tests."""

from services.teams import services as team_ops
from services.teams.models import Membership
from tests import factories
from tests.activities.helpers import confirmed_member
from tests.conftest import make_staff


def make_team(community, *, size=3, staff=None, is_open=False, name=None):
    """A team of `size` accepted members (the leader first), set up by the community's staff."""
    staff = staff or make_staff("community", community=community)
    leader = confirmed_member(community)
    team = team_ops.team_create(
        user=staff, community=community, name=name or f"医疗服务队{leader.pk}", speciality=factories.SkillFactory(),
        leader=leader, description="义诊、健康讲座", is_open=is_open,
    )
    for _ in range(size - 1):
        Membership.objects.create(team=team, member=confirmed_member(community), status=Membership.Status.ACCEPTED)
    return team


def team_members(team):
    return [membership.member for membership in
            team.memberships.filter(status=Membership.Status.ACCEPTED).select_related("member__user").order_by("pk")]
