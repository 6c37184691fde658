"""Who may do what in the council (communities.platform.policies).

The council's own roles are predicates over its tables: a council member (a CouncilMember row, per party), and the
contact of a property company (PropertyCompany.contact). Neither holds a staff assignment, so neither sees any
other page of the platform; a representative sees their council only, a company's contact only the resolutions
handed to the company (and, when also a member, the council they sit on)."""

import rules

from communities.models import Community
from communities.platform.policies import (
    define,
    is_active,
    is_community_staff,
    is_org_department,
    is_place_staff,
    is_street_staff,
    is_superuser,
    manages_community,
)

from .models import Council, CouncilMember, Party, PropertyCompany, Resolution


def memberships_of(user) -> dict:
    """{council id: party} of the user's active memberships (cached on the user for the request)."""
    cached = getattr(user, "_council_memberships_cache", None)
    if cached is not None:
        return cached
    if not is_active(user):
        found = {}
    else:
        found = dict(CouncilMember.objects.filter(user=user, is_active=True).values_list("council_id", "party"))
    user._council_memberships_cache = found
    return found


def companies_of(user) -> frozenset:
    """The property companies this user is the contact of (cached on the user for the request)."""
    cached = getattr(user, "_council_companies_cache", None)
    if cached is not None:
        return cached
    found = frozenset(PropertyCompany.objects.filter(contact=user).values_list("pk", flat=True)) if is_active(
        user) else frozenset()
    user._council_companies_cache = found
    return found


def _council_of(obj):
    if obj is None:
        return None
    if isinstance(obj, Council):
        return obj
    return obj.council


@rules.predicate
def is_council_member(user) -> bool:
    return bool(memberships_of(user))


@rules.predicate
def is_company_contact(user) -> bool:
    return bool(companies_of(user))


@rules.predicate
def sits_on(user, obj) -> bool:
    council = _council_of(obj)
    return council is not None and council.pk in memberships_of(user)


@rules.predicate
def represents_residents(user, obj) -> bool:
    council = _council_of(obj)
    return council is not None and memberships_of(user).get(council.pk) == Party.RESIDENTS


@rules.predicate
def manages_council(user, obj) -> bool:
    """Acts for the council: the staff of its community (they keep the council, announce and record meetings)."""
    council = _council_of(obj)
    return council is not None and manages_community(user, council.community)


@rules.predicate
def oversees_council(user, obj) -> bool:
    """Reads the council: the staff whose scope holds its community (community, street, organisation department)."""
    council = _council_of(obj)
    if council is None or not is_place_staff(user):
        return False
    return Community.objects.visible_to(user).filter(pk=council.community_id).exists()


@rules.predicate
def executes(user, resolution) -> bool:
    """The executor of the resolution: the person named, or the contact of the company it was handed to."""
    if not isinstance(resolution, Resolution) or not is_active(user):
        return False
    if resolution.executor_user_id is not None:
        return resolution.executor_user_id == user.pk
    return resolution.executor_company_id in companies_of(user)


# The council's pages: staff of places, council members, companies' contacts.
define("council.open_council_pages", is_superuser | is_place_staff | is_council_member | is_company_contact)
# For the staff tab: scope only (no query on staff pages whose query counts are pinned).
define("council.show_staff_tab", is_superuser | is_place_staff)
define("council.set_up_council", is_superuser | is_community_staff)
define("council.view_council", is_superuser | oversees_council | sits_on)
define("council.manage_council", is_superuser | manages_council)
# A topic comes from the community's staff or from any party (through one of its members).
define("council.raise_topic", is_superuser | manages_council | sits_on)
define("council.view_resolution", is_superuser | oversees_council | sits_on | executes)
define("council.report_progress", executes)
# Acceptance is the residents': their representatives accept the work or send it back.
define("council.review_resolution", represents_residents)
# The figures per community: the street and the organisation department (and the community's own staff).
define("council.open_figures", is_superuser | is_street_staff | is_org_department | is_community_staff)
define("council.is_council_person", is_council_member | is_company_contact)
