from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from communities.models import StaffAssignment

from . import selectors

Role = StaffAssignment.Role
PAGE_SIZE = 50


@login_required
def home(request):
    """Send each role to its place; a user with no role is told so rather than shown an empty page."""
    target = selectors.home_url_for_user(request.user)
    if target is None:
        return render(request, "registration/no_role.html", status=403)
    return redirect(target)


@login_required
def member_home(request):
    member = selectors.member_for_user(user=request.user)
    if member is None:
        raise PermissionDenied
    reports = selectors.report_history(member=member)
    return render(request, "registration/member_home.html", {"member": member, "reports": reports})


def _require_role(user, *roles):
    scope = StaffAssignment.objects.scope_for(user)
    if not (user.is_superuser or scope.roles.intersection(roles)):
        raise PermissionDenied


@login_required
def community_home(request):
    """Community and street staff: the communities in their scope with pending and confirmed reports."""
    _require_role(request.user, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ORG_DEPARTMENT)
    page = Paginator(selectors.community_overview_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "registration/community_home.html", {"page": page})


@login_required
def unit_home(request):
    """Unit liaisons: their unit's roster and how many on it have reported."""
    _require_role(request.user, Role.UNIT_LIAISON, Role.ORG_DEPARTMENT)
    page = Paginator(selectors.unit_overview_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "registration/unit_home.html", {"page": page})
