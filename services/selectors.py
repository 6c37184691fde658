"""Reads for needs, claims and records. Everything a template loops over is prepared here."""

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, FilteredRelation, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communities.kept import KeptFigure
from communities.models import Community
from communities.platform import marks
from communities.prepared import prepared
from registration.models import Member, Report, Skill
from registration.selectors import member_for_user, reported_here_count

from .models import Claim, OutcomeCategory, PostType, ServiceNeed, ServiceRecord, verified_in_year
from .points import star_level
from .services import PLACE_HOLDING, member_service_community

# Where other apps mark the records of the staff's queue (communities.platform.marks).
RECORD_QUEUE = "service_record_queue"

# The columns a need card shows (and its state reads): the row's others (the reply, who created it and when) are
# never on a card, and building the SQL of columns, then reading them into models, was a good part of the board.
CARD_COLUMNS = (
    "title",
    "description",
    "post_type",
    "fulfilment",
    "places",
    "claimed_count",
    "location",
    "starts_at",
    "ends_at",
    "status",
    "community__name",
)


def member_and_home_for_user(*, user) -> tuple[Member | None, Community | None]:
    """The user's member row and the community they serve in (member_service_community), in one query when
    they have a confirmed report (the usual visitor of the teams, activities and time bank pages), else the member
    row alone. The needs board, which needs only the member's id, has board_visitor."""
    report = (
        Report.objects.filter(member__user=user, status=Report.Status.CONFIRMED)
        .select_related("member", "community")  # the pages show neither the unit nor the street's name
        .first()
    )
    if report is not None:
        return report.member, report.community
    return member_for_user(user=user), None


@prepared
def _confirmed_report_of_user(*, user_id: int):
    return (
        Report.objects.filter(member__user_id=user_id, status=Report.Status.CONFIRMED)
        .select_related("community")
        .only("member_id", "community__name", "community__street_id")
        .order_by("pk")[:1]
    )


def board_visitor(*, user) -> tuple[int | None, Community | None]:
    """The members' board's visitor: their member id (None: not a member) and the community they serve in
    (member_service_community; None before a report is confirmed), with the two columns of it the board reads,
    in one query for the usual visitor. member_and_home_for_user reads the whole member row, which the board
    never shows."""
    reports = _confirmed_report_of_user(user_id=user.pk)
    if reports:
        return reports[0].member_id, reports[0].community
    member = member_for_user(user=user)
    return (member.pk if member is not None else None), None


def need_board_list(
    *, member_id: int, home: Community | None, post_type: str = "", fulfilment: str = "", open_only=False, nearby=False
) -> list[ServiceNeed]:
    """The members' board: published needs of the member's community `home` (or its street; the caller has it
    from member_service_community) that have not ended, the needs that ask for the member's skills first
    (社区所需, 党员所长), then by start. Ended needs are left out (they cannot be acted on; the member's own
    claims on them are on 我的服务); full ones stay, marked full, unless `open_only`.

    A list, ordered here: the board of one community or street stays short whatever the city's size (a few dozen
    needs), and counting the member's skills per need in the database (a join, GROUP BY and a window for the
    total) cost more Python to build than reading every row of the board and sorting it."""
    if home is None:
        return []
    values = {"member_id": member_id, "place_id": home.street_id if nearby else home.pk, "now": timezone.now()}
    values.update({name: value for name, value in (("post_type", post_type), ("fulfilment", fulfilment)) if value})
    rows = _board_rows(nearby=nearby, open_only=open_only, by_post_type=bool(post_type), by_fulfilment=bool(fulfilment))
    cards = _as_cards(rows(**values), member_id)
    cards.sort(key=lambda need: -need.skill_matches)  # stable: by start within the same number of matches
    return cards


@functools.cache
def _board_rows(*, nearby: bool, open_only: bool, by_post_type: bool, by_fulfilment: bool):
    """The board's rows for one set of filters (each set is a query of its own shape), compiled once per process
    (communities.prepared): the members' most visited page."""

    @prepared
    def rows(*, member_id: int, place_id: int, now: datetime.datetime, post_type: str = "", fulfilment: str = ""):
        needs = ServiceNeed.objects.filter(status=ServiceNeed.Status.PUBLISHED).not_ended(now)
        needs = needs.filter(community__street_id=place_id) if nearby else needs.filter(community_id=place_id)
        if by_post_type:
            needs = needs.filter(post_type=post_type)
        if by_fulfilment:
            needs = needs.filter(fulfilment=fulfilment)
        if open_only:
            needs = needs.open_for_claims(now)
        return _card_rows(needs, member_id).order_by("starts_at", "pk")

    return rows


def _card_rows(needs, member_id: int):
    """The needs with what a card shows of their community, and a join to the member's claim holding a place on
    each (at most one: claim_one_per_member_per_need), read by _as_cards."""
    mine = FilteredRelation("claims", condition=Q(claims__member_id=member_id, claims__status__in=PLACE_HOLDING))
    return (
        needs.select_related("community")
        .only(*CARD_COLUMNS)
        .annotate(my_claim=mine, my_claim_id=F("my_claim__id"))
    )


def _as_cards(needs: list[ServiceNeed], member_id: int) -> list[ServiceNeed]:
    """What a need card shows beyond the row, set on each need of `needs` (rows of _card_rows): `skill_list`
    (its skills by name), `skill_matches` (how many of them the member has) and `claimed_by_me` (the member
    holds a place). The skills in one query, each marked whether the member has it."""
    skills = {need.pk: [] for need in needs}
    for need in needs:
        need.skill_list = skills[need.pk]
        need.skill_matches = 0
        need.claimed_by_me = need.my_claim_id is not None
    if not needs:
        return needs
    by_pk = {need.pk: need for need in needs}
    with connection.cursor() as cursor:
        cursor.execute(_card_skills_sql(len(by_pk)), [member_id, *by_pk])
        for need_id, skill_id, name, member_has in cursor.fetchall():
            skills[need_id].append(Skill(pk=skill_id, name=name))
            by_pk[need_id].skill_matches += bool(member_has)
    return needs


@functools.cache
def _card_skills_sql(needs: int) -> str:
    """The skills of `needs` needs (need, skill, name, whether the member has it), by name. Written out once per
    number of needs: the same join through the ORM (an Exists over the member's skills) cost more Python to
    compile on every page than the rest of the board's skill work; tests/services/test_views.py checks it
    against the models' relations. Only table and column names of the models and placeholders go in."""
    quote = connection.ops.quote_name
    names = {
        "need_skills": quote(ServiceNeed.skills.through._meta.db_table),
        "member_skills": quote(Member.skills.through._meta.db_table),
        "skill": quote(Skill._meta.db_table),
        "placeholders": ", ".join(["%s"] * needs),
    }
    # The models' table names and placeholders only.
    return (  # noqa: S608  # nosec B608
        "SELECT ns.serviceneed_id, s.id, s.name, EXISTS (SELECT 1 FROM {member_skills} ms"
        " WHERE ms.member_id = %s AND ms.skill_id = s.id)"
        " FROM {need_skills} ns INNER JOIN {skill} s ON s.id = ns.skill_id"
        " WHERE ns.serviceneed_id IN ({placeholders}) ORDER BY s.name, s.id"
    ).format(**names)


def _needs_seen_by(member: Member):
    """Needs of the street of the member's community that have been published (still, or since closed or
    fulfilled): a link to one that has ended shows it as ended instead of a 404."""
    home = member_service_community(member)
    needs = ServiceNeed.objects.exclude(status=ServiceNeed.Status.DRAFT)
    return needs.filter(community__street_id=home.street_id) if home else needs.none()


def need_get_for_member(*, member: Member, need_id: int) -> ServiceNeed:
    """A need the member may see (_needs_seen_by), as its card shows it; 404 otherwise."""
    need = get_object_or_404(_card_rows(_needs_seen_by(member), member.pk), pk=need_id)
    return _as_cards([need], member.pk)[0]


def public_serving(*, community: Community):
    """Who serves here, as the public board shows it (issue 19, finding 9): members with a confirmed report who
    consented to be named there (registration.public_listing), as (name, unit name) values only, so no other
    personal field can reach the page however the template changes."""
    return (
        Report.objects.filter(
            community=community,
            status=Report.Status.CONFIRMED,
            member__public_listing_consented_at__isnull=False,
        )
        .order_by("member__unit__name", "member__name")
        .values_list("member__name", "member__unit__name")
    )


def public_board(*, community: Community, with_members: bool = True) -> dict:
    """The public board and its poster: published needs that have not ended, grouped by post type (full ones
    marked full on the page), and who serves here. Ended needs are left out: the poster hangs for weeks and
    the board is read by residents, who can do nothing with a past need.

    Who serves is read as plain values of name and unit name only, so no personal field can reach
    the page however the template changes. `fresh_seconds`: how long until the first need shown ends (None: none
    ends), so that the cached page (communities.public_pages) is drawn again the moment it does.
    """
    now = timezone.now()
    needs = (
        ServiceNeed.objects.filter(community=community, status=ServiceNeed.Status.PUBLISHED)
        .not_ended(now)
        .order_by("post_type", "starts_at", "pk")
    )
    groups = {}
    first_end = None
    for need in needs:
        groups.setdefault(need.post_type, []).append(need)
        if need.ends_at is not None and (first_end is None or need.ends_at < first_end):
            first_end = need.ends_at
    labels = dict(PostType.choices)
    return {
        "groups": [(labels[post_type], items) for post_type, items in groups.items()],
        "serving": list(public_serving(community=community)) if with_members else [],
        "fresh_seconds": None if first_end is None else (first_end - now).total_seconds(),
    }


def community_get_public(*, code: str) -> Community:
    """The community of a public page, by its public address (the poster's QR code) or by its code (older posters
    and the front door). Only the public address lists who serves there: `by_public_slug` says which was used."""
    places = Community.objects.select_related("street", "district")
    community = get_object_or_404(places, Q(public_slug=code) | Q(code=code))
    community.by_public_slug = community.public_slug == code
    return community


def staff_need_list(*, user, status: str = ""):
    """Needs of the communities in the user's scope, newest first, with claims in progress counted."""
    needs = ServiceNeed.objects.filter(community__in=Community.objects.visible_to(user))
    if status:
        needs = needs.filter(status=status)
    return (
        needs.select_related("community")
        .annotate(in_progress=Count("claims", filter=Q(claims__status=Claim.Status.ACTIVE)))
        .order_by("-created_at", "-pk")
    )


def staff_need_get(*, user, need_id: int) -> ServiceNeed:
    """A need of a community in the user's scope, with its claims (member and unit) ready; 404 otherwise."""
    claims = Claim.objects.select_related("member__unit").order_by("status", "created_at")
    return get_object_or_404(
        ServiceNeed.objects.filter(community__in=Community.objects.visible_to(user))
        .select_related("community")
        .prefetch_related("skills", Prefetch("claims", queryset=claims)),
        pk=need_id,
    )


def record_queue(*, user):
    """Records awaiting verification in the user's communities, oldest first (the longest waiting on top),
    with what record_warnings reads joined in."""
    records = (
        ServiceRecord.objects.filter(
            status=ServiceRecord.Status.SUBMITTED, community__in=Community.objects.visible_to(user)
        )
        .select_related("member__unit", "community", "claim__need")
        .order_by("created_at", "pk")
    )
    # Other apps' marks (the resident's confirmation: services.activities), as annotations of this one query.
    return marks.annotate(RECORD_QUEUE, records)


def record_warnings(record: ServiceRecord) -> list[str]:
    """What is unusual about a record, for staff to look twice: long hours (ServiceRecord.is_long) and a date
    outside its need's window (ServiceNeed.days_outside: the start's day to the end's; the record rule lets a
    date pass up to RECORD_DAYS_AFTER_NEED_END days after the end, and older records, or a need edited since,
    may lie further). Reads record.claim.need: select it with the record."""
    warnings = []
    if record.is_long:
        warnings.append(_("%(hours)s hours in one record") % {"hours": record.hours})
    need = record.claim.need if record.claim_id else None
    if need is not None:
        days = need.days_outside(record.served_on)
        if days and record.served_on < timezone.localdate(need.starts_at):
            warnings.append(
                ngettext("%(days)s day before the need starts", "%(days)s days before the need starts", days)
                % {"days": days}
            )
        elif days:
            warnings.append(
                ngettext("%(days)s day after the need ended", "%(days)s days after the need ended", days)
                % {"days": days}
            )
    return warnings


def record_get_for_staff(*, user, record_id: int) -> ServiceRecord:
    records = ServiceRecord.objects.filter(community__in=Community.objects.visible_to(user))
    return get_object_or_404(records.select_related("member__unit", "community", "claim__need"), pk=record_id)


@dataclass(frozen=True)
class ServiceSummary:
    """A member's time bank and this year's points and stars."""

    time_bank_hours: Decimal
    year: int
    year_hours: Decimal
    year_points: Decimal
    stars: int


# The member's home page shows it on every visit: kept per member in the shared cache (communities.kept), not used
# again after any change to the member's records (services.signals for rows saved one by one, `summary_changed`
# from multi-row writes).
SUMMARY = KeptFigure("service-summary", seconds=600)


def _service_totals(member_id: int, year: int) -> tuple[Decimal, Decimal, Decimal]:
    verified = Q(status=ServiceRecord.Status.VERIFIED)
    in_year = verified_in_year(year)
    totals = ServiceRecord.objects.filter(member_id=member_id).aggregate(
        bank=Sum("hours", filter=verified),
        year_hours=Sum("hours", filter=in_year),
        year_points=Sum("points", filter=in_year),
    )
    return tuple(totals[name] or Decimal("0") for name in ("bank", "year_hours", "year_points"))


def member_service_summary(*, member: Member, year: int | None = None) -> ServiceSummary:
    """Hours in the time bank (all verified hours) and the year's points and stars, in one query (or none, kept)."""
    year = year or timezone.localdate().year
    bank, year_hours, year_points = SUMMARY.get(member.pk, lambda: _service_totals(member.pk, year), variant=year)
    return ServiceSummary(
        time_bank_hours=bank, year=year, year_hours=year_hours, year_points=year_points, stars=star_level(year_points)
    )


def summary_changed(member_ids) -> None:
    """These members' records changed: their kept summaries are computed again."""
    SUMMARY.changed(member_ids)


def member_record_list(*, member: Member):
    return member.service_records.select_related("community", "claim__need").order_by("-served_on", "-pk")


def member_claim_list(*, member: Member):
    return member.claims.select_related("need__community").order_by("-created_at", "-pk")


def dashboard_needs_posted(*, communities, start: datetime.date, end: datetime.date):
    """The needs the dashboard counts as posted in the period (its one definition: totals and charts read it)."""
    return ServiceNeed.objects.filter(
        community__in=communities, published_at__date__gte=start, published_at__date__lte=end
    )


def dashboard_records(*, communities, start: datetime.date, end: datetime.date):
    """The service records the dashboard counts: verified, served in the period (its one definition)."""
    return ServiceRecord.objects.filter(
        community__in=communities,
        status=ServiceRecord.Status.VERIFIED,
        served_on__gte=start,
        served_on__lte=end,
    )


# A period longer than this is charted by its last months only (the figures above the chart cover it whole).
DASHBOARD_MAX_MONTHS = 36
DASHBOARD_MAX_COMMUNITIES = 20


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months[-DASHBOARD_MAX_MONTHS:]


def community_dashboard_series(*, communities, start: datetime.date, end: datetime.date) -> dict:
    """The dashboard's figures by month and by community, grouped from the same querysets as its totals
    (dashboard_records, dashboard_needs_posted), so a chart can never disagree with a tile. Three queries.

    by_month: [(first day of month, hours, records, needs posted)] for every month of the period, zeros included;
    by_community: [(community name, hours, records)] for the communities with verified hours, most hours first
    (at most DASHBOARD_MAX_COMMUNITIES).
    """
    records = dashboard_records(communities=communities, start=start, end=end)
    monthly = {
        row["month"]: row
        for row in records.annotate(month=TruncMonth("served_on"))
        .values("month")
        .annotate(hours=Sum("hours"), records=Count("pk"))
        .order_by()
    }
    posted = {
        _as_date(row["month"]): row["posted"]
        for row in dashboard_needs_posted(communities=communities, start=start, end=end)
        .annotate(month=TruncMonth("published_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(posted=Count("pk"))
        .order_by()
    }
    monthly = {_as_date(month): row for month, row in monthly.items()}
    by_month = [
        (
            month,
            monthly.get(month, {}).get("hours") or Decimal("0"),
            monthly.get(month, {}).get("records") or 0,
            posted.get(month, 0),
        )
        for month in _months(start, end)
    ]
    by_community = [
        (row["community__name"], row["hours"] or Decimal("0"), row["records"])
        for row in records.values("community_id", "community__name")
        .annotate(hours=Sum("hours"), records=Count("pk"))
        .order_by("-hours", "community__name")[:DASHBOARD_MAX_COMMUNITIES]
    ]
    return {"by_month": by_month, "by_community": by_community}


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def community_dashboard(*, communities, start: datetime.date, end: datetime.date) -> dict:
    """The field reports' figures for a period (start and end dates included), a few aggregate queries.

    Members reported here: members whose active report is at one of the communities (registration's figure).
    Needs posted: published in the period; claimed:
    claims made in the period; fulfilled: needs marked fulfilled among those posted. Records, hours and
    outcomes: verified records served in the period.
    """
    posted = dashboard_needs_posted(communities=communities, start=start, end=end).aggregate(
        posted=Count("pk"),
        fulfilled=Count("pk", filter=Q(status=ServiceNeed.Status.FULFILLED)),
    )
    claimed = Claim.objects.filter(
        need__community__in=communities, created_at__date__gte=start, created_at__date__lte=end
    ).exclude(status=Claim.Status.CANCELLED)
    records = dashboard_records(communities=communities, start=start, end=end).aggregate(
        records=Count("pk"),
        hours=Sum("hours"),
        **{outcome: Count("pk", filter=Q(outcome=outcome)) for outcome in OutcomeCategory.values},
    )
    return {
        "members_reported": reported_here_count(communities=communities),
        "needs_posted": posted["posted"],
        "needs_fulfilled": posted["fulfilled"],
        "claims_made": claimed.count(),
        "records": records["records"],
        "hours": records["hours"] or Decimal("0"),
        "outcomes": [(label, records[value]) for value, label in OutcomeCategory.choices],
    }
