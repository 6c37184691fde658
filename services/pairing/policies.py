"""Who may see and write the pairing ledger (communities.platform.policies).

The ledger of a pairing is seen by whoever sees its unit or its community (the unit's liaison, the community's
staff, the street, the organisation department of the district or the city: selectors.pairings_visible_to). The
unit's liaison and the community's staff record what the unit pledged; only the community's staff record what was
delivered, since they are the ones who received it."""

import rules

from communities.models import StaffAssignment
from communities.platform.policies import (
    define,
    is_community_staff,
    is_org_department,
    is_street_staff,
    is_superuser,
    is_unit_liaison,
    manages_community,
    scope_of,
)


@rules.predicate
def sees_pairing(user, pairing) -> bool:
    from .selectors import pairings_visible_to

    return pairing is not None and pairings_visible_to(user).filter(pk=pairing.pk).exists()


@rules.predicate
def liaises_for_unit(user, pairing) -> bool:
    if pairing is None:
        return False
    scope = scope_of(user)
    return StaffAssignment.Role.UNIT_LIAISON in scope.roles and pairing.unit_id in scope.unit_ids


@rules.predicate
def manages_paired_community(user, pairing) -> bool:
    return pairing is not None and bool(manages_community(user, pairing.community))


# The ledger's list page: every role that sees some pairing.
define("pairing.open_ledger", is_superuser | is_unit_liaison | is_community_staff | is_street_staff
       | is_org_department)
define("pairing.view_pairing", is_superuser | sees_pairing)
define("pairing.record_pledge", liaises_for_unit | manages_paired_community)
define("pairing.record_delivery", manages_paired_community)
# The staff tab strip (overview, queue …) is for the staff of places, not for a unit's liaison.
define("pairing.show_staff_tabs", is_superuser | is_community_staff | is_street_staff | is_org_department)
