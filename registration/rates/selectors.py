"""Reads for the reporting-rate pages, from the tallies (registration.rates.tallies).

Every figure here is a sum of tally rows, so a page costs a fixed number of queries whatever the
number of members; `manage.py recount_rates` proves the tallies against the reports themselves. A place or
unit is joined to its tally row in effect for the year (`tallies.in_effect`), at most one per key.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, FilteredRelation, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from communities.models import Community, District, Pairing, StaffAssignment, Street, Unit

from .models import (
    CommunityTally,
    DistrictTally,
    MonthlyCommunityTally,
    MonthlyDistrictTally,
    MonthlyStreetTally,
    StreetTally,
    TallyCounts,
    UnitTally,
)
from .tallies import as_of_for_year, in_effect, in_effect_sql, roster_entries_as_of

# The columns a rate table can be sorted by, in the order the pages show them.
# The figures of a row partition its roster: reported + pending + registered_not_reported + not_registered = roster
# (docs/RATES.md defines each label).
SORT_FIELDS = (
    "name",
    "code",
    "roster",
    "reported",
    "pending",
    "registered_not_reported",
    "not_registered",
    "rate",
    "off_roster_reported",
)


def rate_threshold() -> Decimal:
    return Decimal(str(settings.REPORTING_RATE_THRESHOLD))


@lru_cache(maxsize=8)
def _threshold_ratio(setting) -> tuple[int, int]:
    """The line as a fraction p / q of whole numbers, for the setting's value (read a row at a time)."""
    return Decimal(str(setting)).as_integer_ratio()


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
        """Registered, with no report confirmed and none waiting (a rejected or withdrawn one, or none yet)."""
        return self.registered - self.reported - self.pending

    # cached_property (it writes the instance's __dict__, which a frozen dataclass allows): a row's rate and mark
    # are read by its cells and by its bar of the chart, 2 Decimal divisions and comparisons a row each time.
    @cached_property
    def rate(self) -> Decimal | None:
        """Reported / on roster, in percent, cut (not rounded) to one decimal so that a row under the line
        never shows the line's own figure (1,799 of 2,000 is 89.9 %, not 90.0 %). None when nobody is on it."""
        if not self.roster:
            return None
        # In whole numbers: the tenths of a per cent, cut (floor division of counts), as a Decimal of one decimal
        # place: the value and text of the Decimal division quantized ROUND_DOWN, at a third of the cost.
        return Decimal(1000 * self.reported // self.roster).scaleb(-1)

    @cached_property
    def below_line(self) -> bool:
        """Under the line: not to be rated an advanced party organisation this year. Compared unrounded."""
        # 100 × reported < threshold × roster, the threshold as p / q: exact in whole numbers.
        p, q = _threshold_ratio(settings.REPORTING_RATE_THRESHOLD)
        return bool(self.roster) and 100 * q * self.reported < p * self.roster


def _with_tally(places, year: int):
    """Communities or units joined to their tally row in effect for `year` as "tally" (none when the key
    never counted): a plain join, with no look at the key's other rows."""
    return places.annotate(tally=FilteredRelation("tallies", condition=in_effect(year, "tallies__")))


def _counts(row: dict) -> dict:
    return {field: row.get(field) or 0 for field in TallyCounts.COUNT_FIELDS}


def rate_row(values: dict) -> RateRow:
    """A RateRow from a dict holding pk, name, code and the figures (None counting as 0)."""
    return RateRow(pk=values["pk"], name=values["name"], code=values["code"], **_counts(values))


# From a community: the key, code and name of the place a row of each level stands for.
_PLACE_FIELDS = {
    "district": ("district_id", "district__code", "district__name"),
    "street": ("street_id", "street__code", "street__name"),
    "community": ("pk", "code", "name"),
}


def _whole_place(scope, *, district: District | None = None, street: Street | None = None) -> bool:
    """Whether the user's scope holds every community of the place (the city when neither is given): then the
    place's own pre-summed rows (StreetTally, DistrictTally and their month ends) are its figures in scope."""
    if scope.sees_everything:
        return True
    if street is not None:
        return street.district_id in scope.district_ids or street.pk in scope.street_ids
    if district is not None:
        return district.pk in scope.district_ids
    # The city level lists whole districts only when the scope holds nothing smaller than a district.
    return bool(scope.district_ids) and not (scope.street_ids or scope.community_ids)


def place_rate_rows(*, user, year: int, district: District | None = None, street: Street | None = None):
    """Rows of the drill-down, in code order: districts (city), streets (of a district) or communities (of a
    street) that hold communities in the user's scope, each summing those communities. One query.

    Districts and streets wholly in scope are read from their own tally rows (kept equal to the sum of their
    communities' by registration.rates.tallies): 50 rows for the city, not 10,000 communities summed."""
    scope = StaffAssignment.objects.scope_for(user)
    if street is None and _whole_place(scope, district=district):
        return _whole_place_rows(scope=scope, year=year, district=district)
    communities = Community.objects.visible_to(user)
    if street is not None:
        communities, level = communities.filter(street=street), "community"
    elif district is not None:
        communities, level = communities.filter(district=district), "street"
    else:
        level = "district"
    pk, code, name = _PLACE_FIELDS[level]
    sums = (
        _with_tally(communities, year)
        .values(pk, code, name)
        .annotate(**{field: Sum(f"tally__{field}") for field in TallyCounts.COUNT_FIELDS})
        .order_by(code)
    )
    return [rate_row({**row, "pk": row[pk], "code": row[code], "name": row[name]}) for row in sums]


def _sql(model, field: str = "") -> str:
    """A model's table, or one of its columns, quoted for SQL."""
    return connection.ops.quote_name(model._meta.get_field(field).column if field else model._meta.db_table)


def _ids_in(column: str, ids) -> tuple[str, list]:
    ids = sorted(ids)
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def _whole_place_rows(*, scope, year: int, district: District | None) -> list[RateRow]:
    """The districts (city level) or the streets of `district` that hold communities, each with its own tally row
    in effect for `year` (none: zeros), in code order. Written in SQL: the city page's hot read, a plain join of
    50 rows whose ORM form (a FilteredRelation, an Exists) cost more to build than to run. One query."""
    if district is not None:
        place, tally, key = Street, StreetTally, "street_id"
        where, params = f"p.{_sql(Street, 'district')} = %s", [district.pk]
    else:
        place, tally, key = District, DistrictTally, "district_id"
        where, params = "1 = 1", []
        if not scope.sees_everything:
            where, params = _ids_in("p.id", scope.district_ids)
    effect, effect_params = in_effect_sql("t", year)
    figures = ", ".join(f"t.{_sql(tally, field)}" for field in TallyCounts.COUNT_FIELDS)
    sql = (
        # Identifiers from the models' metadata, every value a bound parameter.
        f"SELECT p.id, p.code, p.name, {figures} FROM {_sql(place)} p "  # noqa: S608  # nosec B608
        f"LEFT JOIN {_sql(tally)} t ON t.{key} = p.id AND {effect} "
        f"WHERE {where} AND EXISTS (SELECT 1 FROM {_sql(Community)} c WHERE c.{key} = p.id) ORDER BY p.code"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*effect_params, *params])
        rows = cursor.fetchall()
    # Positionally, a place without a tally row counting 0 (as rate_row does): no dict a row.
    return [RateRow(pk, name, code, *(figure or 0 for figure in figures)) for pk, code, name, *figures in rows]


def _month_sums(rows) -> dict[int, RateRow]:
    """{month: RateRow} of (month, *figures) tuples, several a month summed."""
    months = {}
    for month, *figures in rows:
        sums = months.setdefault(month, [0] * len(TallyCounts.COUNT_FIELDS))
        for index, number in enumerate(figures):
            sums[index] += number or 0
    return {
        month: RateRow(pk=None, name="", code="", **dict(zip(TallyCounts.COUNT_FIELDS, sums, strict=True)))
        for month, sums in sorted(months.items())
    }


def place_month_rows(
    *, user, year: int, district: District | None = None, street: Street | None = None, unassigned: bool = False
) -> dict[int, RateRow]:
    """{month: RateRow} of the month-end snapshots of `year` (registration.rates.tallies.snapshot_month_ends),
    summed over the communities of the place in the user's scope (and the unassigned entries, when the place's
    table shows them: city level, city-wide users), for the trend by month. A month without a snapshot is absent.
    One query.

    A place wholly in scope reads its own month rows (a street's or district's, written with the communities'
    as their sums): at most 12 rows, or 50 districts × 12 for the city, never 10,000 communities × 12."""
    scope = StaffAssignment.objects.scope_for(user)
    unassigned = unassigned and scope.sees_everything and district is None and street is None
    if _whole_place(scope, district=district, street=street):
        # In SQL, as the place rows (_whole_place_rows): at most 50 rows a month summed, one query.
        if street is not None:
            model, (where, params) = MonthlyStreetTally, ("street_id = %s", [street.pk])
        elif district is not None:
            model, (where, params) = MonthlyDistrictTally, ("district_id = %s", [district.pk])
        elif scope.sees_everything:
            model, (where, params) = MonthlyDistrictTally, ("1 = 1", [])
        else:
            model, (where, params) = MonthlyDistrictTally, _ids_in("district_id", scope.district_ids)
        columns = [_sql(model, field) for field in TallyCounts.COUNT_FIELDS]
        sums = ", ".join(f"SUM({column})" for column in columns)
        sql = f"SELECT month, {sums} FROM {_sql(model)} WHERE year = %s AND {where} GROUP BY month"  # noqa: S608  # nosec B608
        params = [year, *params]
        if unassigned:
            # The unassigned entries' own month rows, in the same query.
            sql += (
                f" UNION ALL SELECT month, {', '.join(columns)} FROM {_sql(MonthlyCommunityTally)}"  # noqa: S608  # nosec B608
                " WHERE year = %s AND community_id IS NULL"
            )
            params.append(year)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return _month_sums(cursor.fetchall())
    communities = Community.objects.visible_to(user)
    if street is not None:
        communities = communities.filter(street=street)
    elif district is not None:
        communities = communities.filter(district=district)
    where = Q(community__in=communities)
    if unassigned:
        where |= Q(community__isnull=True)
    sums = (
        MonthlyCommunityTally.objects.filter(where, year=year)
        .values("month")
        .annotate(**{field: Sum(field) for field in TallyCounts.COUNT_FIELDS})
        .order_by("month")
    )
    return {row["month"]: rate_row({**row, "pk": None, "name": "", "code": ""}) for row in sums}


def unassigned_rate_row(*, user, year: int) -> RateRow | None:
    """Roster entries whose unit named no community yet: shown to city-wide users only."""
    if not StaffAssignment.objects.scope_for(user).sees_everything:
        return None
    effect, params = in_effect_sql("t", year)
    columns = ", ".join(f"t.{_sql(CommunityTally, field)}" for field in TallyCounts.COUNT_FIELDS)
    table = _sql(CommunityTally)
    sql = f"SELECT {columns} FROM {table} t WHERE t.community_id IS NULL AND {effect}"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        # In SQL, as the city's other reads (_whole_place_rows): at most one row.
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None or not row[0]:
        return None
    return RateRow(pk=None, name="", code="", **dict(zip(TallyCounts.COUNT_FIELDS, row, strict=True)))


def city_total(rows: list[RateRow], unassigned: RateRow | None = None) -> RateRow:
    """The sum of the rows on screen (and the unassigned row), as one more row."""
    roster = registered = reported = pending = off_roster_reported = 0
    for row in [*rows, *([unassigned] if unassigned else [])]:
        roster += row.roster
        registered += row.registered
        reported += row.reported
        pending += row.pending
        off_roster_reported += row.off_roster_reported
    return RateRow(None, "", "", roster, registered, reported, pending, off_roster_reported)


def with_figures(places, year: int):
    """Communities or units, each annotated with its figures for `year` (roster, registered, reported, pending,
    off_roster_reported; 0 when the key never counted): what every screen showing a place's rate reads, so that
    each figure is computed here only. One join, no extra query."""
    return _with_tally(places, year).annotate(**_figures())


def figures_of(place) -> RateRow:
    """The RateRow of a community or unit read through `with_figures`."""
    return RateRow(
        pk=place.pk,
        name=place.name,
        code=place.code,
        **{field: getattr(place, field) for field in TallyCounts.COUNT_FIELDS},
    )


def unit_figures(*, unit: Unit, year: int) -> RateRow:
    """One unit's figures for `year` (the unit's own page). One query."""
    return figures_of(with_figures(Unit.objects.filter(pk=unit.pk), year).get())


def _figures():
    return {
        field: Coalesce(F(f"tally__{field}"), Value(0), output_field=IntegerField())
        for field in TallyCounts.COUNT_FIELDS
    }


def _below_line_sql(alias: str) -> tuple[str, list]:
    """RateRow.below_line in SQL on the figures of table alias `alias`, on whole numbers so that it is exact on
    every database: 100 × reported < threshold × roster, with the threshold as a fraction p / q."""
    p, q = _threshold_ratio(settings.REPORTING_RATE_THRESHOLD)
    return (
        f"{alias}.roster > 0 AND CAST({alias}.reported AS BIGINT) * %s < CAST({alias}.roster AS BIGINT) * %s",
        [100 * q, p],
    )


def _rate_tenths_sql(alias: str) -> str:
    """RateRow.rate × 10 in SQL: the same cut to one decimal, as whole-number division; NULL when nobody is on
    the roster."""
    return (
        f"CASE WHEN {alias}.roster = 0 THEN NULL "
        f"ELSE CAST({alias}.reported AS BIGINT) * 1000 / CAST({alias}.roster AS BIGINT) END"
    )


def _by_code_point_sql(column: str) -> str:
    # Python compares names by code point; so do PostgreSQL's "C" collation and SQLite's default.
    return f'{column} COLLATE "C"' if connection.vendor == "postgresql" else column


def _order_sql(alias: str, order: str) -> str:
    """`sort_rows`'s order in SQL on the rows of table alias `alias`: by the column, rows without a rate last
    either way, ties in code order."""
    field = order.lstrip("-")
    if field not in SORT_FIELDS:
        return f"{alias}.code"
    expression = {
        "name": _by_code_point_sql(f"{alias}.name"),
        "code": _by_code_point_sql(f"{alias}.code"),
        "not_registered": f"{alias}.roster - {alias}.registered",
        "registered_not_reported": f"{alias}.registered - {alias}.reported - {alias}.pending",
        "rate": _rate_tenths_sql(alias),
    }.get(field, f"{alias}.{field}")
    direction = "DESC" if order.startswith("-") else "ASC"
    # Only the rate can be NULL (nobody on the roster): those rows last, in both directions.
    return f"CASE WHEN {expression} IS NULL THEN 1 ELSE 0 END, {expression} {direction}, {alias}.code"


def _units_in_scope_sql(user) -> tuple[str, list] | None:
    """Unit.objects.visible_to(user) (the one scope rule for units) as a condition on table alias "u", or None
    when the user sees no unit."""
    if StaffAssignment.objects.scope_for(user).sees_everything:
        return "1 = 1", []
    try:
        sql, params = Unit.objects.visible_to(user).values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None
    return f"u.id IN ({sql})", list(params)


def _unit_rows_sql(*, user, year: int, below: bool) -> tuple[str, list] | None:
    """FROM and WHERE of the units in the user's scope as table alias "r", each with pk, name, code,
    party_organisation and its figures for `year` (0 when the unit never counted); only those under the line if
    `below`. None when the user sees no unit."""
    scope = _units_in_scope_sql(user)
    if scope is None:
        return None
    where, params = scope
    effect, effect_params = in_effect_sql("t", year)
    tally_unit = _sql(UnitTally, "unit")
    figures = ", ".join(f"COALESCE(t.{_sql(UnitTally, field)}, 0) AS {field}" for field in TallyCounts.COUNT_FIELDS)
    sql = (
        # Identifiers from the models' metadata, every value a bound parameter.
        "FROM (SELECT u.id AS pk, u.name AS name, u.code AS code, u.party_organisation AS party_organisation, "  # noqa: S608  # nosec B608
        f"{figures} FROM {_sql(Unit)} u LEFT JOIN {_sql(UnitTally)} t ON t.{tally_unit} = u.id AND {effect} "
        f"WHERE {where}) r"
    )
    params = [*effect_params, *params]
    if below:
        condition, condition_params = _below_line_sql("r")
        sql += f" WHERE {condition}"
        params += condition_params
    return sql, params


UNIT_COLUMNS = ("pk", "name", "code", "party_organisation", *TallyCounts.COUNT_FIELDS)


def unit_rate_lines(
    *, user, year: int, order: str = "", below: bool = False, offset: int = 0, limit: int | None = None
) -> list[tuple[RateRow, str]]:
    """(figures, party organisation) of the units (party organisations) in the user's scope; only those under
    the line if `below`; sorted as `sort_rows` sorts (code order when `order` names no column); `limit` rows
    from `offset`, or all. Written in SQL, as the city page's reads: a page of the unit tab built by the ORM
    (a FilteredRelation, the sort expressions) cost more Python than the database took to run it. One query."""
    rows_sql = _unit_rows_sql(user=user, year=year, below=below)
    if rows_sql is None:
        return []
    from_where, params = rows_sql
    columns = ", ".join(f"r.{column}" for column in UNIT_COLUMNS)
    sql = f"SELECT {columns} {from_where} ORDER BY {_order_sql('r', order)}"  # noqa: S608  # nosec B608
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (RateRow(pk, name, code, roster, registered, reported, pending, off_roster), party_organisation)
        for pk, name, code, party_organisation, roster, registered, reported, pending, off_roster in rows
    ]


def unit_rate_count(*, user, year: int, below: bool = False) -> int:
    """How many rows `unit_rate_lines` holds. Without the filter that reads the figures, the units in scope:
    a unit has at most one tally row in effect, so the join adds no row and only cost the count its time."""
    if below:
        rows_sql = _unit_rows_sql(user=user, year=year, below=True)
        if rows_sql is None:
            return 0
        from_where, params = rows_sql
        sql = f"SELECT COUNT(*) {from_where}"  # noqa: S608  # nosec B608
    else:
        scope = _units_in_scope_sql(user)
        if scope is None:
            return 0
        where, params = scope
        sql = f"SELECT COUNT(*) FROM {_sql(Unit)} u WHERE {where}"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def unit_rate_rows(*, user, year: int, order: str = "", below: bool = False) -> list[RateRow]:
    """Every row of `unit_rate_lines` as a RateRow. One query."""
    return [row for row, _party in unit_rate_lines(user=user, year=year, order=order, below=below)]


def unit_pairings(*, unit_ids) -> dict:
    """{unit_id: [community names, by name]} of the pairings (结对共建) of these units (a list of ids or a
    queryset of them), one query. In SQL: the ORM's IN list of a page's 100 ids cost a millisecond to build."""
    if isinstance(unit_ids, QuerySet):
        try:
            ids_sql, params = unit_ids.query.sql_with_params()
        except EmptyResultSet:
            return {}
        params = list(params)
    else:
        if not unit_ids:
            return {}
        ids_sql, params = ", ".join(["%s"] * len(unit_ids)), [int(pk) for pk in unit_ids]
    # The community's name by a subquery a pairing: an index lookup each, where PostgreSQL planned the join of a
    # page's 150 pairings as a hash join over all 10,000 communities (2-5 ms of the database a page, not 0.7).
    sql = (
        f"SELECT p.{_sql(Pairing, 'unit')}, (SELECT c.name FROM {_sql(Community)} c "  # noqa: S608  # nosec B608
        f"WHERE c.id = p.{_sql(Pairing, 'community')}) AS name FROM {_sql(Pairing)} p "
        f"WHERE p.{_sql(Pairing, 'unit')} IN ({ids_sql}) ORDER BY name"
    )
    pairings = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for unit_id, name in cursor.fetchall():
            pairings.setdefault(unit_id, []).append(name)
    return pairings


# A roster entry's state (annotated by tallies.roster_entries_as_of): the four states partition the roster, and
# every list of "who is behind this figure" filters by them (the community page here, the unit's roster page).
BREAKDOWN = {
    "reported": Q(is_reported=True),
    "pending": Q(is_reported=False, is_pending=True),
    "registered": Q(is_registered=True, is_reported=False, is_pending=False),
    "not_registered": Q(is_registered=False),
}


def community_breakdown(*, user, community_id: int, year: int):
    """The roster entries behind a community's figures for `year`, each with its state (BREAKDOWN filters them by
    state: who is not registered, pending, registered only or reported). 404 outside the user's scope."""
    community = get_object_or_404(Community.objects.visible_to(user), pk=community_id)
    entries = (
        roster_entries_as_of(as_of_for_year(year))
        .filter(community=community)
        .select_related("unit")
        .order_by("unit__code", "name", "pk")
    )
    return community, entries


def sort_rows(rows: list[RateRow], order: str) -> list[RateRow]:
    """Sort by any column of SORT_FIELDS; "-" first for descending; rows without a rate last either way."""
    field = order.lstrip("-")
    if field not in SORT_FIELDS:
        return rows
    missing_last = Decimal("-1") if order.startswith("-") else Decimal("1000")

    def key(row):
        value = getattr(row, field)
        return missing_last if value is None else value

    return sorted(rows, key=key, reverse=order.startswith("-"))


def all_community_rate_rows(*, user, year: int) -> list[tuple[Community, RateRow]]:
    """Every community in the user's scope with its figures, in code order: the full export. One query."""
    communities = (
        with_figures(Community.objects.visible_to(user), year).select_related("street", "district").order_by("code")
    )
    return [(community, figures_of(community)) for community in communities]
