"""Who may do what with activities (communities.platform.policies)."""

import rules

from communities.platform.policies import define, is_active, is_community_staff, is_superuser, manages_community
from services.requests.models import BuildingHead

# Organisers besides a community's staff are declared by other apps under these names, over their own tables
# (services.teams: a team's leader for the team's activities); a name nobody defined allows nobody.
ALSO_ORGANISES = "activities.also_organise_activity"
ALSO_CREATES_IN = "activities.also_create_activity_in"


@rules.predicate
def manages_activity(user, activity) -> bool:
    """Acts for the activity's community (publishes, cancels, shows the code, checks in by hand, closes)."""
    return activity is not None and manages_community(user, activity.community)


@rules.predicate
def organises_for_others(user, activity) -> bool:
    return activity is not None and rules.test_rule(ALSO_ORGANISES, user, activity)


@rules.predicate
def creates_in(user, community) -> bool:
    return community is not None and (
        manages_community(user, community) or rules.test_rule(ALSO_CREATES_IN, user, community)
    )


@rules.predicate
def heads_a_building_in(user, community) -> bool:
    """A building head (services.requests) of a building of this community: confirms service for its residents."""
    return bool(
        community is not None and is_active(user)
        and BuildingHead.objects.filter(member__user=user, building__grid__community=community).exists()
    )


# Activities are created by the staff of the community they are for (and, through services.teams, by a team's
# leader for the team); street and org-department staff read them.
define("activities.post_activity", is_community_staff | is_superuser)
define("activities.create_activity_in", creates_in)
define("activities.manage_activity", manages_activity | organises_for_others)
# A member's pages: any signed-in account; the services decide with the member's confirmed report.
define("activities.take_part", is_active)
define("activities.confirm_for_resident", heads_a_building_in)
