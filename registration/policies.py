"""Who may do what on the registration side (communities.platform.policies)."""

import rules

from communities.platform.policies import (
    define,
    is_active,
    is_community_staff,
    is_only_community_staff,
    is_org_department,
    is_street_staff,
    is_superuser,
    is_unit_liaison,
)

from .models import Member

# A unit's roster and its members' results: the unit's liaison and the organisation department above it.
define("registration.open_unit_pages", is_superuser | is_unit_liaison | is_org_department)
define("registration.open_liaison_home", is_superuser | is_unit_liaison)
# Full ID numbers and addresses only for community staff (their own members), never for a wider scope.
define("registration.export_ledger_in_full", is_superuser | is_only_community_staff)
# The staff home of places (the overview of the communities in scope): community and street staff.
define("registration.open_place_home", is_community_staff | is_street_staff)


@rules.predicate
def is_member(user) -> bool:
    """The account is a member's (one query; the home page asks it only of users with no staff role)."""
    return bool(is_active(user) and Member.objects.filter(user=user).exists())


define("registration.is_member", is_member)
