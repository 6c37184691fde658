"""Reads for the members-and-reporting pages. Every staff read starts from the user's scope."""

from django.db.models import Count, Q
from django.urls import reverse

from communities.models import Community, StaffAssignment, Unit

from .models import Member, Report

Role = StaffAssignment.Role


def home_url_for_user(user) -> str | None:
    """Where the home page sends this user: the place of their widest role, or None if they have none."""
    scope = StaffAssignment.objects.scope_for(user)
    if user.is_superuser or Role.ORG_DEPARTMENT in scope.roles:
        return reverse("admin:index")
    if Role.STREET_STAFF in scope.roles or Role.COMMUNITY_STAFF in scope.roles:
        return reverse("registration:community-home")
    if Role.UNIT_LIAISON in scope.roles:
        return reverse("registration:unit-home")
    if Member.objects.filter(user=user).exists():
        return reverse("registration:member-home")
    return None


def community_overview_list(*, user):
    """The communities in the user's scope with their report counts, one query for the page."""
    return (
        Community.objects.visible_to(user)
        .select_related("street", "district")
        .annotate(
            pending_count=Count("reports", filter=Q(reports__status=Report.Status.PENDING)),
            confirmed_count=Count("reports", filter=Q(reports__status=Report.Status.CONFIRMED)),
        )
        .order_by("code")
    )


def unit_overview_list(*, user):
    """The units in the user's scope with roster size and how many on it have registered and reported."""
    return (
        Unit.objects.visible_to(user)
        .annotate(
            roster_count=Count("roster_entries", distinct=True),
            registered_count=Count("roster_entries__member", distinct=True),
            confirmed_count=Count(
                "roster_entries__member__reports",
                filter=Q(roster_entries__member__reports__status=Report.Status.CONFIRMED),
                distinct=True,
            ),
        )
        .order_by("code")
    )


def member_for_user(*, user):
    """The member record of a logged-in member, with what their home page shows."""
    return Member.objects.select_related("unit", "roster_entry").filter(user=user).first()


def report_history(*, member):
    return member.reports.select_related("community__street", "community__district").order_by("-submitted_at")
