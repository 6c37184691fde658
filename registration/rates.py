"""Reads for the organisation department's reporting-rate pages, from the tallies (registration.tallies).

Every figure here is a sum of tally rows, so a page costs a fixed number of queries whatever the
number of members; `manage.py recount_rates` proves the tallies against the reports themselves.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery, Sum
from django.shortcuts import get_object_or_404

from communities.models import Community, District, StaffAssignment, Street, Unit

from .models import CommunityTally, TallyCounts, UnitTally
from .tallies import as_of_for_year, roster_entries_as_of

SUMS = {field: Sum(field) for field in TallyCounts.COUNT_FIELDS}


def rate_threshold() -> Decimal:
    return Decimal(str(settings.REPORTING_RATE_THRESHOLD))


@dataclass(frozen=True)
class RateRow:
    """One row of a rate table: a district, street, community or unit."""

    pk: int | None
    name: str
    code: str
    roster: int
    registered: int
    reported: int
    pending: int
    off_roster_reported: int

    @property
    def not_registered(self) -> int:
        return self.roster - self.registered

    @property
    def registered_not_reported(self) -> int:
        return self.registered - self.reported - self.pending

    @property
    def rate(self) -> Decimal | None:
        """Reported / on roster, in percent, cut (not rounded) to one decimal so that a row under the line
        never shows the line's own figure (1,799 of 2,000 is 89.9 %, not 90.0 %). None when nobody is on it."""
        if not self.roster:
            return None
        return (Decimal(100 * self.reported) / self.roster).quantize(Decimal("0.1"), rounding=ROUND_DOWN)

    @property
    def below_line(self) -> bool:
        """Under the line: not to be rated an advanced party organisation this year. Compared unrounded."""
        return bool(self.roster) and Decimal(100 * self.reported) < rate_threshold() * self.roster


def _effective(model, key_field: str, year: int):
    """Each key's latest tally row up to `year`: the figures in effect for that year."""
    latest_year = (
        model.objects.filter(**{key_field: OuterRef(key_field)}, year__lte=year).order_by("-year").values("year")[:1]
    )
    return model.objects.filter(year__lte=year, year=Subquery(latest_year))


def _counts(row: dict) -> dict:
    return {field: row.get(field) or 0 for field in TallyCounts.COUNT_FIELDS}


def _rows(places, sums_by_pk: dict) -> list[RateRow]:
    return [
        RateRow(pk=place.pk, name=place.name, code=place.code, **_counts(sums_by_pk.get(place.pk, {})))
        for place in places
    ]


def place_rate_rows(*, user, year: int, district: District | None = None, street: Street | None = None):
    """Rows of the drill-down: districts (city), streets (of a district) or communities (of a street),
    restricted to the user's scope. Three queries."""
    communities = Community.objects.visible_to(user)
    tallies = _effective(CommunityTally, "community", year).filter(community__in=communities)
    if street is not None:
        sums = tallies.filter(community__street=street).values("community_id").annotate(**SUMS).order_by()
        places = communities.filter(street=street).order_by("code")
        return _rows(places, {row["community_id"]: row for row in sums})
    if district is not None:
        sums = tallies.filter(community__district=district).values("community__street_id").annotate(**SUMS).order_by()
        places = Street.objects.filter(district=district, communities__in=communities).distinct().order_by("code")
        return _rows(places, {row["community__street_id"]: row for row in sums})
    sums = tallies.values("community__district_id").annotate(**SUMS).order_by()
    places = District.objects.filter(communities__in=communities).distinct().order_by("code")
    return _rows(places, {row["community__district_id"]: row for row in sums})


def unassigned_rate_row(*, user, year: int) -> RateRow | None:
    """Roster entries whose unit named no community yet: shown to city-wide users only."""
    if not StaffAssignment.objects.scope_for(user).sees_everything:
        return None
    row = CommunityTally.objects.filter(community__isnull=True, year__lte=year).order_by("-year").first()
    if row is None or not row.roster:
        return None
    return RateRow(pk=None, name="", code="", **{field: getattr(row, field) for field in TallyCounts.COUNT_FIELDS})


def city_total(rows: list[RateRow], unassigned: RateRow | None = None) -> RateRow:
    """The sum of the rows on screen (and the unassigned row), as one more row."""
    everything = [*rows, *([unassigned] if unassigned else [])]
    return RateRow(
        pk=None,
        name="",
        code="",
        **{field: sum(getattr(row, field) for row in everything) for field in TallyCounts.COUNT_FIELDS},
    )


def unit_rate_rows(*, user, year: int) -> list[RateRow]:
    """One row per unit (party organisation) in the user's scope. Two queries."""
    units = Unit.objects.visible_to(user).order_by("code")
    sums = {
        row["unit_id"]: row
        for row in _effective(UnitTally, "unit", year)
        .filter(unit__in=units)
        .values("unit_id", *TallyCounts.COUNT_FIELDS)
    }
    return _rows(units, sums)


def unit_pairings(*, unit_ids) -> dict:
    """{unit_id: [community names]} of the pairings (结对共建) of these units, one query."""
    pairings = {}
    rows = Community.objects.filter(pairings__unit_id__in=unit_ids).values_list("pairings__unit_id", "name")
    for unit_id, name in rows.order_by("name"):
        pairings.setdefault(unit_id, []).append(name)
    return pairings


BREAKDOWN = {
    "reported": Q(is_reported=True),
    "pending": Q(is_reported=False, is_pending=True),
    "registered": Q(is_registered=True, is_reported=False, is_pending=False),
    "not_registered": Q(is_registered=False),
}


def community_breakdown(*, user, community_id: int, year: int, status: str = ""):
    """The roster entries behind a community's figures for `year`, optionally of one status:
    who is not registered, pending, registered only or reported. 404 outside the user's scope."""
    community = get_object_or_404(Community.objects.visible_to(user), pk=community_id)
    entries = (
        roster_entries_as_of(as_of_for_year(year))
        .filter(community=community)
        .select_related("unit")
        .order_by("unit__code", "name", "pk")
    )
    if status in BREAKDOWN:
        entries = entries.filter(BREAKDOWN[status])
    return community, entries


def sort_rows(rows: list[RateRow], order: str) -> list[RateRow]:
    """Sort by any column: name, roster, reported, pending, not_registered or rate; "-" first for descending."""
    field = order.lstrip("-")
    if field not in {"name", "code", "roster", "reported", "pending", "not_registered", "rate", "off_roster_reported"}:
        return rows
    missing_last = Decimal("-1") if order.startswith("-") else Decimal("1000")

    def key(row):
        value = getattr(row, field)
        return missing_last if value is None else value

    return sorted(rows, key=key, reverse=order.startswith("-"))


def all_community_rate_rows(*, user, year: int) -> list[tuple[Community, RateRow]]:
    """Every community in the user's scope with its figures, in code order: the full export. Two queries."""
    communities = Community.objects.visible_to(user).select_related("street", "district").order_by("code")
    tallies = _effective(CommunityTally, "community", year).filter(community__in=Community.objects.visible_to(user))
    sums = {row["community_id"]: row for row in tallies.values("community_id", *TallyCounts.COUNT_FIELDS)}
    return [
        (
            community,
            RateRow(pk=community.pk, name=community.name, code=community.code, **_counts(sums.get(community.pk, {}))),
        )
        for community in communities
    ]
