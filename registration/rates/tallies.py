"""Reporting counts per community and per unit, kept in step with every change, and recounted from scratch.

The one definition of the figures behind every reporting rate, as of a moment D:
- on roster (应报到): roster entries added by D;
- registered: of those, people whose member record existed at D;
- reported (已报到): of those, people with a report confirmed by D and not ended by D
  (a report counts for the year it was confirmed in and stays counted while active);
- pending: of those not reported, people with a report submitted by D and neither decided nor ended by D;
- reported, not on a roster: members without a roster entry reported at D (not part of any rate).
A roster entry counts for its expected community (or "unassigned") and its unit; a member not on a
roster counts for the community of the report and their own unit. A street's and a district's figures are the
sums of their communities' (kept in their own rows, so that the place pages read 50 rows, not 10,000).

The tallies hold those figures as of the end of each year, the current year meaning now: a key (a
community or unit) has a row for each year in which its figures changed, and the row in effect for a
year is the key's latest row up to that year. Each row names the year of the key's next row
(`superseded_in`), set when that next row is created, so that the rows in effect for a year are read
by `in_effect(year)` without looking at other rows. Services wrap their writes in
`tallies_follow(...)`: the states of the people touched are read before and after, and the difference
is added to the current year's row. Past years' figures are never touched again.
"""

import datetime
from collections import Counter
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from communities.models import Community
from registration.models import Member, Report, RosterEntry

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

COMMUNITY, UNIT, STREET, DISTRICT = "community", "unit", "street", "district"
MODELS = {COMMUNITY: CommunityTally, UNIT: UnitTally, STREET: StreetTally, DISTRICT: DistrictTally}
KEY_FIELDS = {COMMUNITY: "community_id", UNIT: "unit_id", STREET: "street_id", DISTRICT: "district_id"}
# A street's and a district's figures are the sums of their communities': the place levels the rate pages read.
PLACES = {STREET: "street_id", DISTRICT: "district_id"}
CHUNK = 5000
COUNTED = (Report.Status.CONFIRMED, Report.Status.ENDED)


def as_of_for_year(year: int) -> datetime.datetime:
    """The moment a year's figures are taken at: its last instant, or now for the current year."""
    now = timezone.now()
    if year >= timezone.localdate().year:
        return now
    return timezone.make_aware(datetime.datetime(year + 1, 1, 1)) - datetime.timedelta(microseconds=1)


def in_effect(year: int, through: str = "") -> Q:
    """The tally rows in effect for `year`: each key's latest row up to that year. `through` prefixes the
    fields when the rows are reached from a community or unit ("tallies__")."""
    return Q(**{f"{through}year__lte": year}) & (
        Q(**{f"{through}superseded_in__isnull": True}) | Q(**{f"{through}superseded_in__gt": year})
    )


def in_effect_sql(alias: str, year: int) -> tuple[str, list]:
    """`in_effect(year)` as SQL text and parameters, for the few hot reads written in SQL (the city page's): the
    same condition on the rows of table alias `alias`."""
    return f"{alias}.year <= %s AND ({alias}.superseded_in IS NULL OR {alias}.superseded_in > %s)", [year, year]


def _reported_at(moment):
    return Q(status__in=COUNTED, decided_at__lte=moment) & (Q(ended_at__isnull=True) | Q(ended_at__gt=moment))


def _pending_at(moment):
    return (
        Q(submitted_at__lte=moment)
        & (Q(decided_at__isnull=True) | Q(decided_at__gt=moment))
        & (Q(ended_at__isnull=True) | Q(ended_at__gt=moment))
    )


def roster_entries_as_of(moment):
    """Roster entries added by `moment`, each annotated with is_registered, is_reported and is_pending
    as of that moment. The recount and the "who is behind this number" lists both read this."""
    reports = Report.objects.filter(member__roster_entry=OuterRef("pk"))
    return RosterEntry.objects.filter(created_at__lte=moment).annotate(
        is_registered=Exists(Member.objects.filter(roster_entry=OuterRef("pk"), created_at__lte=moment)),
        is_reported=Exists(reports.filter(_reported_at(moment))),
        is_pending=Exists(reports.filter(_pending_at(moment))),
    )


def off_roster_reports_as_of(moment):
    """The counted reports of members on no roster, as of `moment`."""
    return Report.objects.filter(_reported_at(moment), member__roster_entry__isnull=True)


# --- States of people, and the differences they make ----------------------------------------------------


def _add_entry(counts: Counter, community, unit_id, *, registered, reported, pending):
    """`community` is (community_id, street_id, district_id); all None for an entry assigned to no community."""
    community_id, street_id, district_id = community
    flags = {"roster": True, "registered": registered, "reported": reported, "pending": pending and not reported}
    for field, on in flags.items():
        if on:
            counts[(COMMUNITY, community_id, field)] += 1
            counts[(UNIT, unit_id, field)] += 1
            if community_id is not None:
                counts[(STREET, street_id, field)] += 1
                counts[(DISTRICT, district_id, field)] += 1


def _chunks(ids):
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def current_states(*, entry_ids=(), member_ids=()) -> Counter:
    """What these roster entries and members contribute to the tallies now."""
    counts = Counter()
    member_ids = set(member_ids)
    entry_ids = set(entry_ids)
    for chunk in _chunks(member_ids):
        entry_ids.update(
            Member.objects.filter(pk__in=chunk, roster_entry__isnull=False).values_list("roster_entry_id", flat=True)
        )
    reports = Report.objects.filter(member__roster_entry=OuterRef("pk"))
    for chunk in _chunks(entry_ids):
        rows = (
            RosterEntry.objects.filter(pk__in=chunk)
            .annotate(
                is_registered=Exists(Member.objects.filter(roster_entry=OuterRef("pk"))),
                is_reported=Exists(reports.filter(status=Report.Status.CONFIRMED)),
                is_pending=Exists(reports.filter(status=Report.Status.PENDING)),
            )
            .values_list(
                "community_id",
                "community__street_id",
                "community__district_id",
                "unit_id",
                "is_registered",
                "is_reported",
                "is_pending",
            )
        )
        for community_id, street_id, district_id, unit_id, registered, reported, pending in rows:
            _add_entry(
                counts,
                (community_id, street_id, district_id),
                unit_id,
                registered=registered,
                reported=reported,
                pending=pending,
            )
    confirmed_community = Report.objects.filter(member=OuterRef("pk"), status=Report.Status.CONFIRMED)
    for chunk in _chunks(member_ids):
        rows = (
            Member.objects.filter(pk__in=chunk, roster_entry__isnull=True)
            .annotate(
                community_id=Subquery(confirmed_community.values("community_id")[:1]),
                street_id=Subquery(confirmed_community.values("community__street_id")[:1]),
                district_id=Subquery(confirmed_community.values("community__district_id")[:1]),
            )
            .filter(community_id__isnull=False)
            .values_list("community_id", "street_id", "district_id", "unit_id")
        )
        for community_id, street_id, district_id, unit_id in rows:
            for key in ((COMMUNITY, community_id), (UNIT, unit_id), (STREET, street_id), (DISTRICT, district_id)):
                counts[(*key, "off_roster_reported")] += 1
    return counts


def _lock_people(*, entry_ids, member_ids):
    """Lock the members, then their roster entries and the other entries named, in id order: the same
    order in every service, so that the before-state read next cannot change under us."""
    entry_ids = set(entry_ids)
    for chunk in _chunks(member_ids):
        locked = Member.objects.select_for_update(of=("self",)).filter(pk__in=chunk).order_by("pk")
        entry_ids.update(entry for entry in locked.values_list("roster_entry_id", flat=True) if entry)
    for chunk in _chunks(entry_ids):
        list(RosterEntry.objects.select_for_update(of=("self",)).filter(pk__in=chunk).order_by("pk").values("pk"))


@contextmanager
def tallies_follow(*, entry_ids=(), member_ids=(), new_entries=None):
    """Keep the tallies in step with the writes inside the block (run it inside the write's transaction).

    The people followed are locked first (members, then roster entries); a service that also locks a
    report or a need locks it before entering this block. `new_entries`, if given, is a list the block
    fills with the ids of roster entries it creates.
    """
    entry_ids, member_ids = list(entry_ids), list(member_ids)
    _lock_people(entry_ids=entry_ids, member_ids=member_ids)
    before = current_states(entry_ids=entry_ids, member_ids=member_ids)
    yield
    after = current_states(entry_ids=[*entry_ids, *(new_entries or [])], member_ids=member_ids)
    tally_apply(after=after, before=before)


def tally_apply(*, after: Counter, before: Counter, year: int | None = None):
    """Add (after − before) to the current year's rows, creating a row from the key's latest one."""
    year = year or timezone.localdate().year
    deltas = {}
    for kind, key, field in set(after) | set(before):
        change = after[(kind, key, field)] - before[(kind, key, field)]
        if change:
            deltas.setdefault((kind, key), {})[field] = change
    # A fixed order of rows, so that two transactions never lock the same rows in opposite orders.
    for (kind, key), fields in sorted(
        deltas.items(), key=lambda item: (item[0][0], item[0][1] is not None, item[0][1] or 0)
    ):
        _apply_one(MODELS[kind], kind, key, year, fields)


def _key_filter(kind, key):
    return {KEY_FIELDS[kind]: key}


def _neighbours(rows, year):
    """(the latest of these rows before `year`, the year of the first one after it), rows in year order."""
    earlier = [row for row in rows if row.year < year]
    later = next((row.year for row in rows if row.year > year), None)
    return (earlier[-1] if earlier else None), later


def _apply_one(model, kind, key, year, fields):
    increments = {field: F(field) + change for field, change in fields.items()}
    rows = model.objects.filter(**_key_filter(kind, key))
    if rows.filter(year=year).update(**increments):
        return
    # Lock the key's rows: a transaction creating this key's row of another year at the same moment (around
    # New Year) waits for this one to commit. What the lock returns after such a wait lacks the row the other
    # transaction created, which shows as a link that points past what was read: then read again.
    existing = list(rows.select_for_update().order_by("year"))
    latest, later = _neighbours(existing, year)
    if latest is not None and latest.superseded_in != later:
        latest, later = _neighbours(list(rows.order_by("year")), year)
    values = {field: getattr(latest, field) if latest else 0 for field in TallyCounts.COUNT_FIELDS}
    for field, change in fields.items():
        values[field] += change
    try:
        with transaction.atomic():
            model.objects.create(year=year, superseded_in=later, **_key_filter(kind, key), **values)
    except IntegrityError:
        # Another transaction created this year's row first (and linked it); add to it instead.
        rows.filter(year=year).update(**increments)
        return
    if latest is not None:
        # From this year on the new row is the one in effect.
        rows.filter(pk=latest.pk).update(superseded_in=year)


# --- The links between a key's rows -------------------------------------------------------------------------


def _next_year(model, key_field: str, *, unassigned: bool):
    later = model.objects.filter(year__gt=OuterRef("year"))
    if unassigned:
        later = later.filter(**{f"{key_field}__isnull": True})
    else:
        later = later.filter(**{key_field: OuterRef(key_field)})
    return Subquery(later.order_by("year").values("year")[:1])


def _mislinked(model, key_field: str, *, unassigned: bool):
    """The rows whose superseded_in is not the year of their key's next row (annotated next_year): of the rows
    with a key, or of those without one (roster entries not yet assigned to a community)."""
    return (
        model.objects.filter(**{f"{key_field}__isnull": unassigned})
        .annotate(next_year=_next_year(model, key_field, unassigned=unassigned))
        .filter(
            Q(superseded_in__isnull=True, next_year__isnull=False)
            | Q(superseded_in__isnull=False, next_year__isnull=True)
            | Q(superseded_in__lt=F("next_year"))
            | Q(superseded_in__gt=F("next_year"))
        )
    )


def tally_link_errors() -> list[tuple]:
    """[(kind, key, year, superseded_in, next row's year)] for every row not linked to its key's next row.
    Empty when every link is right, which makes exactly one row per key in effect for any year from the
    key's first row on."""
    errors = []
    for kind, model in MODELS.items():
        key_field = KEY_FIELDS[kind]
        for unassigned in (False, True):
            wrong = _mislinked(model, key_field, unassigned=unassigned).order_by(key_field, "year")
            errors.extend((kind, *row) for row in wrong.values_list(key_field, "year", "superseded_in", "next_year"))
    return errors


def tally_relink():
    """Set every row's superseded_in to the year of its key's next row (after rows were written in bulk,
    or to repair what `tally_link_errors` reports). Touches only the rows that are wrong."""
    for kind, model in MODELS.items():
        key_field = KEY_FIELDS[kind]
        for unassigned in (False, True):
            wrong = _mislinked(model, key_field, unassigned=unassigned)
            model.objects.filter(pk__in=wrong.values("pk")).update(
                superseded_in=_next_year(model, key_field, unassigned=unassigned)
            )


# --- From scratch -------------------------------------------------------------------------------------------


def tally_recount(year: int) -> dict:
    """The figures of `year` counted from the reports and roster themselves: {(kind, key): {field: n}}, the
    streets and districts summing their communities."""
    return with_places(recount_as_of(as_of_for_year(year)))


def with_places(counts: dict) -> dict:
    """`counts` ({(kind, key): {field: n}}) with a street's and a district's entry added for each community's:
    the sum of its communities' figures, the one definition of a place's figures."""
    result = dict(counts)
    community_ids = [key for kind, key in counts if kind == COMMUNITY and key is not None]
    places = {}
    for start in range(0, len(community_ids), CHUNK):
        rows = Community.objects.filter(pk__in=community_ids[start : start + CHUNK])
        places.update(
            (pk, (street_id, district_id))
            for pk, street_id, district_id in rows.values_list("pk", "street_id", "district_id")
        )
    for (kind, key), figures in counts.items():
        if kind != COMMUNITY or key is None:
            continue
        for place_kind, place_key in zip((STREET, DISTRICT), places[key], strict=True):
            sums = result.setdefault((place_kind, place_key), dict.fromkeys(TallyCounts.COUNT_FIELDS, 0))
            for field, number in figures.items():
                sums[field] += number
    return result


def recount_as_of(moment, kinds=(COMMUNITY, UNIT)) -> dict:
    """The figures as of `moment` counted from the reports and roster themselves: {(kind, key): {field: n}}."""
    result = {}
    aggregates = {
        "roster": Count("pk"),
        "registered": Count("pk", filter=Q(is_registered=True)),
        "reported": Count("pk", filter=Q(is_reported=True)),
        "pending": Count("pk", filter=Q(is_reported=False, is_pending=True)),
    }
    entries = roster_entries_as_of(moment)
    for kind, key_field in ((COMMUNITY, "community_id"), (UNIT, "unit_id")):
        if kind not in kinds:
            continue
        for row in entries.values(key_field).annotate(**aggregates).order_by():
            counts = result.setdefault((kind, row[key_field]), dict.fromkeys(TallyCounts.COUNT_FIELDS, 0))
            counts.update({field: row[field] for field in aggregates})
    off_roster = off_roster_reports_as_of(moment)
    for kind, key_field in ((COMMUNITY, "community_id"), (UNIT, "member__unit_id")):
        if kind not in kinds:
            continue
        for row in off_roster.values(key_field).annotate(n=Count("member", distinct=True)).order_by():
            counts = result.setdefault((kind, row[key_field]), dict.fromkeys(TallyCounts.COUNT_FIELDS, 0))
            counts["off_roster_reported"] = row["n"]
    return result


def tally_stored(year: int) -> dict:
    """The tallies in effect for `year`, read as the pages read them, in the recount's shape."""
    result = {}
    for kind, model in MODELS.items():
        key_field = KEY_FIELDS[kind]
        rows = model.objects.filter(in_effect(year)).values_list(key_field, *TallyCounts.COUNT_FIELDS)
        for key, *numbers in rows.iterator(chunk_size=CHUNK):
            counts = result.setdefault((kind, key), dict.fromkeys(TallyCounts.COUNT_FIELDS, 0))
            for field, number in zip(TallyCounts.COUNT_FIELDS, numbers, strict=True):
                counts[field] += number
    return {key: counts for key, counts in result.items() if any(counts.values())}


def tally_differences(year: int) -> list[tuple]:
    """[(kind, key, field, stored, recounted)] for every figure where the tallies and a recount differ."""
    stored, recounted = tally_stored(year), tally_recount(year)
    differences = []
    for kind, key in sorted(set(stored) | set(recounted), key=lambda item: (item[0], item[1] or 0)):
        for field in TallyCounts.COUNT_FIELDS:
            was = stored.get((kind, key), {}).get(field, 0)
            should = recounted.get((kind, key), {}).get(field, 0)
            if was != should:
                differences.append((kind, key, field, was, should))
    return differences


@transaction.atomic
def tally_rebuild(year: int):
    """Replace the rows of `year` with a recount (after a bulk load, or to repair a difference), and link
    every key's rows again.

    Keys that counted in an earlier year but have nothing now get a row of zeros, so that the
    earlier row does not stand in for this year."""
    counts = tally_recount(year)
    for key in tally_stored(year):
        counts.setdefault(key, dict.fromkeys(TallyCounts.COUNT_FIELDS, 0))
    for kind, model in MODELS.items():
        model.objects.filter(year=year).delete()
        key_field = KEY_FIELDS[kind]
        model.objects.bulk_create(
            [
                model(year=year, **{key_field: key}, **values)
                for (row_kind, key), values in counts.items()
                if row_kind == kind
            ],
            batch_size=2000,
        )
    tally_relink()


# --- Month ends (the trend by month) -------------------------------------------------------------------------


def month_end(year: int, month: int) -> datetime.datetime:
    """The last instant of a month, in the site's time zone."""
    following = datetime.datetime(year + (month == 12), month % 12 + 1, 1)
    return timezone.make_aware(following) - datetime.timedelta(microseconds=1)


@transaction.atomic
def snapshot_month_ends(*, now=None) -> list[tuple[int, int]]:
    """Store each community's figures as of the end of every past month of the current year that has no snapshot
    yet (a month's figures, once its end has passed, no longer change: the as-of definition reads only dates up
    to that instant). Returns the (year, month) pairs written. Idempotent: a stored month is never rewritten."""
    today = timezone.localdate(now) if now else timezone.localdate()
    stored = set(MonthlyCommunityTally.objects.filter(year=today.year).values_list("month", flat=True).distinct())
    written = []
    for month in range(1, today.month):
        if month in stored:
            continue
        store_month_end(
            year=today.year, month=month, counts=recount_as_of(month_end(today.year, month), kinds=(COMMUNITY,))
        )
        written.append((today.year, month))
    return written


def store_month_end(*, year: int, month: int, counts: dict):
    """Write a month end: each community's figures ({(COMMUNITY, key): {field: n}}, key None for the unassigned
    entries) and their sums by street and district, so that a trend reads its place's rows, not every
    community's."""
    counts = with_places(counts)
    rows = [
        MonthlyCommunityTally(community_id=key, year=year, month=month, **figures)
        for (kind, key), figures in counts.items()
        if kind == COMMUNITY
    ]
    if not rows:  # nothing to count yet: an empty month is marked by one row of zeros for the unassigned key
        rows = [MonthlyCommunityTally(community_id=None, year=year, month=month)]
    MonthlyCommunityTally.objects.bulk_create(rows, batch_size=CHUNK)
    for kind, model in ((STREET, MonthlyStreetTally), (DISTRICT, MonthlyDistrictTally)):
        model.objects.bulk_create(
            [
                model(**{PLACES[kind]: key}, year=year, month=month, **figures)
                for (row_kind, key), figures in counts.items()
                if row_kind == kind
            ],
            batch_size=CHUNK,
        )
