"""Where a member's points and hours come from: a registry of sources, each giving its entries and totals of a year.

The certificate's figures are the sum of the registered sources' totals (figures.certificate_figures), and the
points history lists their entries, so a new way of earning hours shows on both by registering here, from its
app's ready(), never by editing this app:

    from services.certificates.sources import Entry, Totals, register_source

    register_source("timebank", _("Time bank"), entries=honour_entries, totals=honour_totals, order=30)

`entries(member_id, year)` returns the year's entries (Entry), `totals(member_id, year)` their sums (Totals) in one
query. A source counts only what has been verified: nothing a member could still lose.

Built in: service records (services.models.ServiceRecord) verified and served in the year, the rule of the
assessment and of the member's own page (`ServiceRecord.objects.verified_in_year`): each record labelled by what
it came from: a need claimed (认领), an activity attended (its hours credited from the check-ins), or service on
the member's own initiative.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from communities.platform.registry import Registry
from services.models import ServiceRecord

ZERO = Decimal("0")


@dataclass(frozen=True)
class Entry:
    on: datetime.date
    hours: Decimal
    points: Decimal
    source: str  # the source's key
    kind: str  # what the entry came from, as shown (活动, 认领需求 …)
    title: str  # the need's or activity's title, or what was done
    place: str  # the community


@dataclass(frozen=True)
class Totals:
    hours: Decimal = ZERO
    points: Decimal = ZERO
    count: int = 0


@dataclass(frozen=True)
class Source:
    key: str
    label: object  # a lazy translation
    entries: Callable[[int, int], list[Entry]]
    totals: Callable[[int, int], Totals]
    order: int = 100


_sources = Registry("source of points")


def register_source(key: str, label, *, entries, totals, order: int = 100) -> None:
    _sources.add(key, Source(key=key, label=label, entries=entries, totals=totals, order=order), order=order)


def registered_sources() -> list[Source]:
    return _sources.items()


# --- Built in: verified service records ------------------------------------------------------------------------------

RECORDS = "records"
KIND_ACTIVITY = _("Activity")
KIND_NEED = _("Need claimed")
KIND_OWN = _("Own initiative")


def _activity_relation() -> str | None:
    """The reverse relation an activity's sign-up keeps to the record it credited, when the activities app is
    installed (read through the ORM: this app imports no other sub-domain)."""
    try:
        ServiceRecord._meta.get_field("activity_signup")
    except FieldDoesNotExist:
        return None
    return "activity_signup__activity"


def _record_rows(member_id: int, year: int):
    related = ["community", "claim__need"]
    activity = _activity_relation()
    if activity:
        related.append(activity)
    return (
        ServiceRecord.objects.verified_in_year(year)
        .filter(member_id=member_id)
        .select_related(*related)
        .order_by("served_on", "pk")
    )


def _record_kind(record) -> tuple[str, str]:
    signup = getattr(record, "activity_signup", None) if _activity_relation() else None
    if signup is not None:
        return str(KIND_ACTIVITY), signup.activity.title
    if record.claim_id:
        return str(KIND_NEED), record.claim.need.title
    return str(KIND_OWN), record.description[:60]


def record_entries(member_id: int, year: int) -> list[Entry]:
    entries = []
    for record in _record_rows(member_id, year):
        kind, title = _record_kind(record)
        entries.append(
            Entry(
                on=record.served_on,
                hours=record.hours,
                points=record.points,
                source=RECORDS,
                kind=kind,
                title=title,
                place=record.community.name,
            )
        )
    return entries


def record_totals(member_id: int, year: int) -> Totals:
    sums = (
        ServiceRecord.objects.verified_in_year(year)
        .filter(member_id=member_id)
        .aggregate(hours=Sum("hours"), points=Sum("points"), count=Count("pk"))
    )
    return Totals(hours=sums["hours"] or ZERO, points=sums["points"] or ZERO, count=sums["count"])


register_source(RECORDS, _("Service records"), entries=record_entries, totals=record_totals, order=10)
