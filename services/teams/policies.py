"""Who may do what with teams (communities.platform.policies). The team leader is a role of this sub-domain: a
predicate over its own table (Team.leader), never a StaffAssignment."""

import rules

from communities.platform.policies import define, is_active, is_community_staff, is_superuser, manages_community
from services.activities.policies import ALSO_CREATES_IN, ALSO_ORGANISES

from .models import Team, TeamActivity


def team_ids_led_by(user) -> frozenset:
    """The teams this user leads (cached on the user for the request)."""
    cached = getattr(user, "_led_team_ids_cache", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        ids = frozenset()
    else:
        ids = frozenset(Team.objects.filter(leader__user=user).values_list("pk", flat=True))
    user._led_team_ids_cache = ids
    return ids


@rules.predicate
def is_team_leader(user) -> bool:
    return bool(team_ids_led_by(user))


@rules.predicate
def leads_team(user, team) -> bool:
    return team is not None and team.pk in team_ids_led_by(user)


@rules.predicate
def manages_team_community(user, team) -> bool:
    return team is not None and manages_community(user, team.community)


@rules.predicate
def leads_a_team_in(user, community) -> bool:
    return community is not None and Team.objects.filter(pk__in=team_ids_led_by(user), community=community).exists()


@rules.predicate
def leads_activity_team(user, activity) -> bool:
    """The leader of the team that organises this activity (TeamActivity)."""
    led = team_ids_led_by(user)
    return bool(led) and TeamActivity.objects.filter(activity=activity, team_id__in=led).exists()


# Teams are set up by the staff of their community (who name the leader); the leader runs the team: accepts
# members, assigns them to needs and activities, creates the team's activities; staff may do the same.
define("teams.post_team", is_community_staff | is_superuser)
define("teams.edit_team", manages_team_community)
define("teams.manage_team", leads_team | manages_team_community)
define("teams.take_part", is_active)
# A team's leader organises the team's activities and creates activities in the team's community
# (services.activities reads these two names).
define(ALSO_ORGANISES, leads_activity_team)
define(ALSO_CREATES_IN, leads_a_team_in)
