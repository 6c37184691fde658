"""Delivery sources: what a unit's members delivered in its paired community, read where it lives.

A source is a function that takes the pairings of one page and a year and returns {pairing id: value}, in one
query whatever the number of pairings (a page's query count stays fixed). This app registers the hours, needs and
activities of the service side below; another app adds its own from its `AppConfig.ready()` without this app
importing it — the time bank's deposits and donated goods, for instance (services/timebank/pairing_sources.py):

    from services.pairing.sources import register_source
    register_source("deposits", _("Credits deposited"), unit=_("credits (unit)"), figures=credits_deposited, order=40)

where `credits_deposited(pairings, year)` sums the unit's deposits in the community in that year.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from communities.platform.registry import Registry
from services.activities.models import SignUp
from services.models import ServiceRecord

TENTH = Decimal("0.1")


@dataclass(frozen=True)
class DeliverySource:
    key: str
    label: object  # a lazy translation
    unit: object  # what the value counts ("hours", "needs" …), a lazy translation
    figures: Callable  # (pairings: list[Pairing], year: int) -> {pairing id: number}
    order: int = 100


_sources = Registry("delivery source")


def register_source(key: str, label, *, unit, figures: Callable, order: int = 100) -> None:
    _sources.add(key, DeliverySource(key=key, label=label, unit=unit, figures=figures, order=order), order=order)


def sources() -> list[DeliverySource]:
    return _sources.items()


def figures_for(pairings, year: int) -> dict[int, list[tuple[DeliverySource, object]]]:
    """{pairing id: [(source, value), …]} for every registered source, one query per source."""
    found = {pairing.pk: [] for pairing in pairings}
    for source in sources():
        values = source.figures(pairings, year) if pairings else {}
        for pairing in pairings:
            found[pairing.pk].append((source, values.get(pairing.pk, 0)))
    return found


def _by_pairing(pairings, rows, value_key: str) -> dict[int, object]:
    """Rows grouped by (unit, community) mapped onto the pairings they belong to."""
    by_place = {(row["member__unit_id"], row["community_id"]): row[value_key] for row in rows}
    return {
        pairing.pk: by_place[(pairing.unit_id, pairing.community_id)]
        for pairing in pairings
        if (pairing.unit_id, pairing.community_id) in by_place
    }


def _records(pairings, year: int):
    """The unit's members' verified service in the paired community in `year` (services' one definition)."""
    return (
        ServiceRecord.objects.verified_in_year(year)
        .filter(
            member__unit_id__in={pairing.unit_id for pairing in pairings},
            community_id__in={pairing.community_id for pairing in pairings},
        )
        .order_by()
        .values("member__unit_id", "community_id")
    )


def verified_hours(pairings, year: int) -> dict[int, Decimal]:
    """Hours of service verified for the unit's members in the paired community (activities' hours included:
    closing an activity credits them as service records)."""
    summed = _by_pairing(pairings, _records(pairings, year).annotate(value=Sum("hours")), "value")
    # One decimal, as hours are kept, whatever the database's sum type (SQLite may give back an integer).
    return {pk: Decimal(value).quantize(TENTH) for pk, value in summed.items()}


def needs_served(pairings, year: int) -> dict[int, int]:
    """The community's needs on which the unit's members have verified service in the year."""
    rows = _records(pairings, year).annotate(value=Count("claim__need", distinct=True))
    return _by_pairing(pairings, rows, "value")


def activities_attended(pairings, year: int) -> dict[int, int]:
    """The community's activities the unit's members attended (checked in), dated in the year."""
    rows = (
        SignUp.objects.filter(
            Q(status=SignUp.Status.ATTENDED)
            & Q(activity__starts_at__year=year)
            & Q(member__unit_id__in={pairing.unit_id for pairing in pairings})
            & Q(activity__community_id__in={pairing.community_id for pairing in pairings})
        )
        .order_by()
        .values("member__unit_id", community_id=F("activity__community_id"))
        .annotate(value=Count("activity", distinct=True))
    )
    return _by_pairing(pairings, rows, "value")


# The units are msgids of their own ("… (unit)"): the word after a figure, apart from the same word as a heading.
register_source("hours", _("Members' verified hours"), unit=_("hours (unit)"),
                figures=verified_hours, order=10)
register_source("needs", _("Needs served"), unit=_("needs (unit)"), figures=needs_served, order=20)
register_source("activities", _("Activities attended"), unit=_("activities (unit)"),
                figures=activities_attended, order=30)
