"""Who may see, request and decide full exports (communities.platform.policies)."""

import rules

from communities.platform.policies import (
    define,
    is_active,
    is_community_staff,
    is_org_department,
    is_street_staff,
    is_superuser,
    scope_of,
)


def covers_community(user, community) -> bool:
    """The user's scope covers the community: its own community staff, the staff of its street, the organisation
    department of its district or of the city, a superuser. The same rule as Community.objects.visible_to."""
    if community is None or not is_active(user):
        return False
    scope = scope_of(user)
    return bool(
        scope.sees_everything
        or community.pk in scope.community_ids
        or community.street_id in scope.street_ids
        or community.district_id in scope.district_ids
    )


@rules.predicate
def may_decide(user, export_request) -> bool:
    """A second person: never the requester; someone whose scope covers the request's place."""
    if export_request is None or export_request.requester_id == getattr(user, "pk", None):
        return False
    return covers_community(user, export_request.community)


# The page of requests: whoever may request (community staff) or decide (community, street, district staff).
define("export_approvals.open_requests", is_superuser | is_community_staff | is_street_staff | is_org_department)
# Approving or refusing a request: a second person in scope.
define("export_approvals.decide_request", may_decide)
