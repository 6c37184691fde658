"""Reads for the members-and-reporting pages. Every staff read starts from the user's scope."""

import functools

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from communities.models import Community, StaffAssignment, Unit
from communities.pagination import with_total
from communities.prepared import prepared

from .identity import InvalidIdNumber, hash_id_number, parse_id_number
from .models import Member, Report
from .rates import selectors as rates
from .rates.tallies import roster_entries_as_of

Role = StaffAssignment.Role


# Two figures about the reports a community receives, whatever the members' rosters say (docs/RATES.md): they
# differ from the roster figures of the rates, which count the people a unit expects at a community.


def reports_reported_here():
    """Members reported here (在本社区报到的党员): each member's active (confirmed) report, counted where it is.
    A member has at most one (report_one_confirmed_per_member), so reports and members count alike."""
    return Report.objects.filter(status=Report.Status.CONFIRMED)


def reports_waiting_here():
    """Reports waiting here (待本社区确认): reports submitted to a community and not yet decided, what its queue
    holds; a change of community counts at the community it asks for."""
    return Report.objects.filter(status=Report.Status.PENDING)


def reported_here_count(*, communities) -> int:
    """Members reported at these communities, in one count."""
    return reports_reported_here().filter(community__in=communities).count()


def _count_per_community(reports):
    counted = reports.filter(community=OuterRef("pk")).order_by().values("community").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), Value(0), output_field=IntegerField())


def community_overview_list(*, user, with_figures: bool = True):
    """The communities in the user's scope, each with the reports it holds (reported_here, waiting_here) and, if
    `with_figures`, its roster figures of this year (the rates' tallies: `rates.figures_of(community)`). One
    query a page."""
    communities = Community.objects.visible_to(user)
    if with_figures:
        communities = rates.with_figures(communities, timezone.localdate().year)
    return (
        communities.select_related("street", "district")
        .annotate(
            reported_here=_count_per_community(reports_reported_here()),
            waiting_here=_count_per_community(reports_waiting_here()),
        )
        .order_by("code")
    )


def unit_overview_list(*, user):
    """The units in the user's scope with their roster figures of this year (`rates.figures_of(unit)`)."""
    return rates.with_figures(Unit.objects.visible_to(user), timezone.localdate().year).order_by("code")


@prepared
def _member_of_user(*, user_id: int):
    return Member.objects.select_related("unit").filter(user_id=user_id)


def member_for_user(*, user):
    """The member record of a logged-in member, with what their home page shows; None for another account. Every
    member page asks it first: compiled once per process (communities.prepared)."""
    if user.pk is None:
        return None
    rows = _member_of_user(user_id=user.pk)
    return rows[0] if rows else None


@prepared
def _reports_of_member(*, member_id: int):
    return (
        Report.objects.filter(member_id=member_id)
        .select_related("community__street", "community__district")
        .order_by("-submitted_at")
    )


def report_history(*, member) -> list[Report]:
    """The member's reports, newest first, with their places: compiled once per process (communities.prepared)."""
    reports = _reports_of_member(member_id=member.pk)
    for report in reports:
        report.member = member  # known already, as member.reports would set it
    return reports


def _report_rows():
    return Report.objects.select_related(
        "member__unit", "member__roster_entry", "community__street", "community__district", "decided_by"
    )


# The columns the queue's rows show (and the view's decision reads): the member row is wide (the ID number three
# ways, the home address, the consents), and building the SQL of columns the page never shows, then reading them
# into models, was a good part of the page's Python.
QUEUE_COLUMNS = (
    "kind",
    "letter_number",
    "submitted_at",
    "community__name",
    "member__name",
    "member__position",
    "member__phone",
    "member__roster_entry",
    "member__unit__name",
)


def _queue_rows(reports):
    return reports.select_related("member__unit", "community").only(*QUEUE_COLUMNS).order_by("submitted_at", "pk")


def pending_report_list(*, user, community: Community | None = None):
    """The report queue: the reports waiting at the communities in scope (or at one of them), oldest first. Joins
    only what the queue shows: PostgreSQL's planning of the seven-table join of `_report_rows` cost more than
    running it."""
    reports = reports_waiting_here()
    if community is not None:
        return _queue_rows(reports.filter(community=community))
    return _queue_rows(reports.filter(community__in=Community.objects.visible_to(user)))


# Pages of one community's queue compiled once per process (communities.prepared): a community's staff open it all
# day. The first pages only: every page is another SQL (its OFFSET), and a page number is whatever a URL says.
COMPILED_QUEUE_PAGES = 10


def queue_community_id(*, user, community: Community | None = None) -> int | None:
    """The one community whose reports the queue holds (chosen, or the user's whole scope), else None."""
    if community is not None:
        return community.pk
    if not pending_queue_stays_short(user=user):
        return None
    community_ids = StaffAssignment.objects.scope_for(user).community_ids
    return next(iter(community_ids)) if len(community_ids) == 1 else None


def one_community_queue_rows(community_id: int):
    """`page_rows` for communities.pagination.get_page: a page of this community's queue with its total, compiled
    once (None after the first COMPILED_QUEUE_PAGES: get_page reads those from the queryset)."""

    def page_rows(bottom: int, per_page: int) -> list[Report] | None:
        if bottom >= COMPILED_QUEUE_PAGES * per_page:
            return None
        return _queue_page(bottom, per_page)(community_id=community_id)

    return page_rows


@functools.cache
def _queue_page(bottom: int, per_page: int):
    @prepared
    def rows(*, community_id: int):
        return with_total(_queue_rows(reports_waiting_here().filter(community_id=community_id)))[
            bottom : bottom + per_page
        ]

    return rows


def pending_queue_stays_short(*, user, community: Community | None = None) -> bool:
    """Whether the queue holds the reports of communities only (one chosen, or a user whose whole scope is
    communities): such a queue stays short whatever the city's size, so its page may count its rows in the page's
    own query (communities.pagination.get_page), one query instead of two. A street's, a district's or the
    city's queue keeps Paginator's separate COUNT: the window counts every pending row before LIMIT (city-wide
    1.2 s instead of 0.15 s)."""
    if community is not None:
        return True
    scope = StaffAssignment.objects.scope_for(user)
    return bool(scope.community_ids) and not (scope.sees_everything or scope.street_ids or scope.district_ids)


def community_get_for_user(*, user, community_id) -> Community:
    """A community in the user's scope; 404 otherwise (also for an id that is not a number)."""
    try:
        community_id = int(community_id)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(Community.objects.visible_to(user), pk=community_id)


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
    reports = reports_reported_here()
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


def roster_list(*, unit, status: str = ""):
    """The unit's roster with each person's state now: reported, pending, registered only, not registered; the
    states the rates count (`rates.tallies.roster_entries_as_of`), so that each tab holds as many people as the
    unit's figure of that name says."""
    entries = roster_entries_as_of(timezone.now()).filter(unit=unit).select_related("community").order_by("name", "pk")
    return entries.filter(rates.BREAKDOWN[status]) if status in rates.BREAKDOWN else entries


def roster_summary(*, unit) -> rates.RateRow:
    """The unit's figures of this year, as the rate pages show them (the tallies). One query."""
    return rates.unit_figures(unit=unit, year=timezone.localdate().year)


def off_roster_members(*, unit):
    """Members who named this unit but are on no roster: the liaison should add them or tell them."""
    return (
        Member.objects.filter(unit=unit, roster_entry__isnull=True)
        .prefetch_related("reports__community")
        .order_by("name", "pk")
    )


def unit_get_for_user(*, user, unit_id: int) -> Unit:
    return get_object_or_404(Unit.objects.visible_to(user), pk=unit_id)


def roster_template_communities():
    """(district, street, community, code) of every community, for the roster template's list of codes: a
    unit's members report where they live, anywhere in the city."""
    return Community.objects.order_by("district__name", "street__name", "code").values_list(
        "district__name", "street__name", "name", "code"
    )
