"""Reads for the members-and-reporting pages. Every staff read starts from the user's scope."""

from django.db.models import Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404

from communities.models import Community, StaffAssignment, Unit

from .identity import InvalidIdNumber, hash_id_number, parse_id_number
from .models import Member, Report, RosterEntry

Role = StaffAssignment.Role


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
    return Member.objects.select_related("unit").filter(user=user).first()


def report_history(*, member):
    return member.reports.select_related("community__street", "community__district").order_by("-submitted_at")


def _report_rows():
    return Report.objects.select_related(
        "member__unit", "member__roster_entry", "community__street", "community__district", "decided_by"
    )


def pending_report_list(*, user):
    """The report queue: pending reports of the communities in scope, oldest first. Joins only what the queue
    shows: PostgreSQL's planning of the seven-table join of `_report_rows` cost more than running it."""
    return (
        Report.objects.select_related("member__unit", "community")
        .filter(status=Report.Status.PENDING, community__in=Community.objects.visible_to(user))
        .order_by("submitted_at", "pk")
    )


def report_get_for_staff(*, user, report_id: int) -> Report:
    """A report of a community in the user's scope; 404 otherwise, so ids outside scope reveal nothing."""
    return get_object_or_404(_report_rows().filter(community__in=Community.objects.visible_to(user)), pk=report_id)


def report_get_for_letter(*, user, report_id: int) -> Report:
    """A report whose letter this user may read: their own, or one in their community or unit scope."""
    visible = Q(member__user=user) | Q(community__in=Community.objects.visible_to(user))
    visible |= Q(member__unit__in=Unit.objects.visible_to(user))
    return get_object_or_404(_report_rows().filter(visible), pk=report_id)


def _search(queryset, term: str):
    """Exact ID number (by keyed hash) or exact mobile number; otherwise part of the name."""
    term = term.strip()
    if not term:
        return queryset
    try:
        number, _birth_on, _gender = parse_id_number(term)
    except InvalidIdNumber:
        number = None
    if number:
        return queryset.filter(id_number_hash=hash_id_number(number))
    if term.isdigit() and len(term) == 11:
        return queryset.filter(phone=term)
    return queryset.filter(name__icontains=term)


def _confirmed_reports_in_scope(user):
    """Confirmed reports of the communities in the user's scope. City-wide scopes skip the community filter:
    `community IN (every community)` only made PostgreSQL join the million-member ledger against it."""
    reports = Report.objects.filter(status=Report.Status.CONFIRMED)
    if StaffAssignment.objects.scope_for(user).sees_everything:
        return reports
    return reports.filter(community__in=Community.objects.visible_to(user))


def ledger_list(*, user, search: str = ""):
    """在职党员信息台账: members with a confirmed report in a community in scope, with their skills, ordered by
    name, then pk. Unsearched, a city-wide page walks member_ledger_order_idx in that order and stops after 50
    rows. Searched, the matches are few and may lie anywhere in the index: the same order written as an
    expression keeps PostgreSQL from walking the whole index to find them (a rare name over the city: 1.3 s
    walking, 0.14 s scanning and sorting the matches)."""
    members = (
        Member.objects.filter(Exists(_confirmed_reports_in_scope(user).filter(member=OuterRef("pk"))))
        .select_related("unit")
        .prefetch_related("skills")
    )
    if not search.strip():
        return members.order_by("name", "pk")
    return _search(members, search).order_by(Concat("name", Value("")), "pk")


def ledger_count(*, user, search: str = "") -> int:
    """How many rows ledger_list has. Unsearched, it counts the confirmed reports in scope (a member has at
    most one: report_one_confirmed_per_member) from an index, without touching the members' rows."""
    if not search.strip():
        return _confirmed_reports_in_scope(user).count()
    return ledger_list(user=user, search=search).count()


def member_communities(*, members):
    """The confirmed community of each member in the list: {member_id: community}, one query."""
    reports = Report.objects.filter(member__in=members, status=Report.Status.CONFIRMED).select_related("community")
    return {report.member_id: report for report in reports}


class RosterStatus:
    REPORTED = "reported"
    PENDING = "pending"
    REGISTERED = "registered"
    NOT_REGISTERED = "not_registered"


def _roster_entries(*, unit):
    """The unit's roster entries, each annotated with its state (one EXISTS per state)."""
    member_reports = Report.objects.filter(member__roster_entry=OuterRef("pk"))
    return RosterEntry.objects.filter(unit=unit).annotate(
        is_registered=Exists(Member.objects.filter(roster_entry=OuterRef("pk"))),
        is_reported=Exists(member_reports.filter(status=Report.Status.CONFIRMED)),
        is_pending=Exists(member_reports.filter(status=Report.Status.PENDING)),
    )


ROSTER_STATUS_FILTERS = {
    RosterStatus.REPORTED: Q(is_reported=True),
    RosterStatus.PENDING: Q(is_reported=False, is_pending=True),
    RosterStatus.REGISTERED: Q(is_registered=True, is_reported=False, is_pending=False),
    RosterStatus.NOT_REGISTERED: Q(is_registered=False),
}


def roster_list(*, unit, status: str = ""):
    """The unit's roster with each person's state: reported, pending, registered only, not registered."""
    entries = _roster_entries(unit=unit).select_related("community").order_by("name", "pk")
    return entries.filter(ROSTER_STATUS_FILTERS[status]) if status in ROSTER_STATUS_FILTERS else entries


def roster_summary(*, unit) -> dict:
    """Counts behind the unit's rate, in one query; rate = reported / on roster."""
    counts = _roster_entries(unit=unit).aggregate(
        total=Count("pk"),
        reported=Count("pk", filter=ROSTER_STATUS_FILTERS[RosterStatus.REPORTED]),
        pending=Count("pk", filter=ROSTER_STATUS_FILTERS[RosterStatus.PENDING]),
        not_registered=Count("pk", filter=ROSTER_STATUS_FILTERS[RosterStatus.NOT_REGISTERED]),
    )
    counts["rate_percent"] = round(100 * counts["reported"] / counts["total"], 1) if counts["total"] else None
    return counts


def off_roster_members(*, unit):
    """Members who named this unit but are on no roster: the liaison should add them or tell them."""
    return (
        Member.objects.filter(unit=unit, roster_entry__isnull=True)
        .prefetch_related("reports__community")
        .order_by("name", "pk")
    )


def unit_get_for_user(*, user, unit_id: int) -> Unit:
    return get_object_or_404(Unit.objects.visible_to(user), pk=unit_id)
