"""The certificate's figures, from their one definition: the registered sources' totals of the year
(sources.py; built in: ServiceRecord.objects.verified_in_year), stars by services.points.star_level.

Never stored: the certificate carries the figures it was printed with in its signed token (tokens.py), and the
verification page computes them again here and says whether they still agree."""

from dataclasses import dataclass
from decimal import Decimal

from services.points import star_level

from .sources import ZERO, registered_sources

TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Figures:
    year: int
    hours: Decimal
    points: Decimal
    entries: int
    stars: int

    def as_printed(self) -> tuple:
        """What the token carries and the verification compares."""
        return (str(self.hours), str(self.points), self.entries)


def certificate_figures(*, member_id: int, year: int) -> Figures:
    """A member's year: hours, points and entries summed over every registered source, and the stars they reach.
    One query per source."""
    hours, points, entries = ZERO, ZERO, 0
    for source in registered_sources():
        totals = source.totals(member_id, year)
        hours, points, entries = hours + totals.hours, points + totals.points, entries + totals.count
    # One decimal, as records hold them, whatever the database's SUM gives back (SQLite drops a trailing zero).
    hours, points = hours.quantize(TENTH), points.quantize(TENTH)
    return Figures(year=year, hours=hours, points=points, entries=entries, stars=star_level(points))


def history(*, member_id: int, year: int) -> list[dict]:
    """The year's entries of every source, grouped by source (in the registry's order), each with its totals."""
    groups = []
    for source in registered_sources():
        entries = source.entries(member_id, year)
        groups.append(
            {
                "key": source.key,
                "label": source.label,
                "entries": entries,
                "hours": sum((entry.hours for entry in entries), ZERO),
                "points": sum((entry.points for entry in entries), ZERO),
            }
        )
    return groups

