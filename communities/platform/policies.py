"""Who may do what: named predicates (django-rules), one home for every permission rule.

The base app defines the predicates of its roles (``is_community_staff`` …) and of its places
(``manages_community``); each app defines the policies of its own actions in its ``policies.py``
(``define("services.post_need", is_community_staff)``), imported from its ``AppConfig.ready()``. Views call
``require("services.post_need", request.user)``; templates ``{% load rules %}{% test_rule "…" user obj as ok %}``.
A predicate reads the user's Scope (one query a request, cached on the user), never ``scope.roles`` by hand.
"""

import functools

import rules
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from rules.rulesets import default_rules

from communities.models import ADMINISTRATOR_ROLES, StaffAssignment

Role = StaffAssignment.Role


def scope_of(user):
    return StaffAssignment.objects.scope_for(user)


@rules.predicate
def is_active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


@rules.predicate
def is_superuser(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def holds(*roles) -> rules.Predicate:
    """A predicate: the active user holds at least one of these roles. One predicate per set of roles, built
    once: admin pages ask per request and per model (communities.admin_roles.holds_role)."""
    return _holds(frozenset(roles))


@functools.cache
def _holds(wanted: frozenset) -> rules.Predicate:
    def check(user) -> bool:
        return bool(getattr(user, "is_authenticated", False) and user.is_active and scope_of(user).roles & wanted)

    return rules.Predicate(check, name=f"holds({','.join(sorted(wanted))})")


is_community_staff = holds(Role.COMMUNITY_STAFF)
is_street_staff = holds(Role.STREET_STAFF)
is_unit_liaison = holds(Role.UNIT_LIAISON)
is_org_department = holds(Role.ORG_DEPARTMENT)
is_administrator = holds(*ADMINISTRATOR_ROLES)


@rules.predicate
def is_city_org_department(user) -> bool:
    """The organisation department of the whole city (an assignment with no district)."""
    return bool(is_org_department(user) and scope_of(user).sees_everything)


@rules.predicate
def is_only_community_staff(user) -> bool:
    """Community staff and nothing wider: the scope where full personal values may be shown."""
    return bool(is_active(user) and scope_of(user).roles == {Role.COMMUNITY_STAFF})


@rules.predicate
def manages_community(user, community) -> bool:
    """Acts for this community (confirms, verifies, posts): its own community staff, or a superuser. Street and
    organisation-department staff see the community but do not act for it."""
    if community is None or not is_active(user):
        return False
    if user.is_superuser:
        return True
    scope = scope_of(user)
    return community.pk in scope.community_ids and Role.COMMUNITY_STAFF in scope.roles


@rules.predicate
def oversees_district(user, district) -> bool:
    """The organisation department of this district (None: the whole city), or of the whole city."""
    if not is_org_department(user):
        return False
    scope = scope_of(user)
    return scope.sees_everything or (district is not None and district.pk in scope.district_ids)


# Staff who open the staff pages of places: the community, its street and the organisation department.
is_place_staff = is_community_staff | is_street_staff | is_org_department


def define(name: str, predicate) -> None:
    """Register the policy `name` ("<app label>.<verb>_<thing>"). Defining a name twice with another predicate is a
    mistake that would silently change a rule, so it fails at start."""
    if rules.rule_exists(name):
        if default_rules[name] is not predicate:
            raise ImproperlyConfigured(f"Policy {name!r} is defined twice.")
        return
    rules.add_rule(name, predicate)


def allowed(name: str, user, obj=None) -> bool:
    """Whether `user` may do `name` (on `obj`). An unknown name is a programming error, not a refusal."""
    if not rules.rule_exists(name):
        raise ImproperlyConfigured(f"No policy named {name!r}; define it in the app's policies.py.")
    return rules.test_rule(name, user, obj)


def require(name: str, user, obj=None) -> None:
    """Raise PermissionDenied unless `user` may do `name` (on `obj`)."""
    if not allowed(name, user, obj):
        raise PermissionDenied


def names() -> list[str]:
    return sorted(default_rules)


@rules.predicate
def is_admin_site_account(user) -> bool:
    """An account that may log in to the admin site at all (Django's is_staff flag)."""
    return bool(is_active(user) and user.is_staff)


# The base app's own policies.
define("communities.open_staff_pages", is_superuser | is_place_staff)
define("communities.manage_community", manages_community)
# Who works in the admin: the organisation department and superusers; administrators (三权分立) only there.
define("communities.work_in_admin", is_superuser | is_org_department | (is_admin_site_account & is_administrator))
