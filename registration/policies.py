"""Who may do what on the registration side (communities.platform.policies)."""

from communities.platform.policies import (
    define,
    is_only_community_staff,
    is_org_department,
    is_superuser,
    is_unit_liaison,
)

# A unit's roster and its members' results: the unit's liaison and the organisation department above it.
define("registration.open_unit_pages", is_superuser | is_unit_liaison | is_org_department)
define("registration.open_liaison_home", is_superuser | is_unit_liaison)
# Full ID numbers and addresses only for community staff (their own members), never for a wider scope.
define("registration.export_ledger_in_full", is_superuser | is_only_community_staff)
