"""Who may do what with activities (communities.platform.policies)."""

import rules

from communities.platform.policies import define, is_active, is_community_staff, is_superuser, manages_community


@rules.predicate
def manages_activity(user, activity) -> bool:
    """Acts for the activity's community (publishes, cancels, shows the code, checks in by hand, closes)."""
    return activity is not None and manages_community(user, activity.community)


# Activities are created by the staff of the community they are for; street and org-department staff read them.
define("activities.post_activity", is_community_staff | is_superuser)
define("activities.manage_activity", manages_activity)
# A member's pages: any signed-in account; the services decide with the member's confirmed report.
define("activities.take_part", is_active)
