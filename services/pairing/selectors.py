"""The pairing ledger's reads: which pairings a user sees, and each pairing's year in figures."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from communities.models import Community, Pairing, StaffAssignment, Unit

from . import sources
from .models import Delivery, Pledge


def pairings_visible_to(user):
    """The pairings whose ledger this user may read: those of a unit or a community in the user's scope (the one
    scope rule of units and places: Unit/Community.objects.visible_to)."""
    if StaffAssignment.objects.scope_for(user).sees_everything:
        return Pairing.objects.all()
    return Pairing.objects.filter(
        Q(unit__in=Unit.objects.visible_to(user).values("pk"))
        | Q(community__in=Community.objects.visible_to(user).values("pk"))
    )


def _count(queryset) -> Subquery:
    return Coalesce(Subquery(queryset.order_by().values("pairing").annotate(n=Count("pk")).values("n")), 0)


def ledger_queryset(*, user, year: int):
    """The visible pairings with their pledge and delivery counts for `year`, by unit then community code."""
    pledges = Pledge.objects.filter(pairing=OuterRef("pk"), year=year)
    kept = pledges.filter(Exists(Delivery.objects.filter(pledge=OuterRef("pk"))))
    deliveries = (
        Delivery.objects.filter(pledge__pairing=OuterRef("pk"), pledge__year=year)
        .order_by()
        .values("pledge__pairing")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        pairings_visible_to(user)
        .select_related("unit", "community__street")
        .annotate(
            pledged=_count(pledges),
            pledges_delivered=_count(kept),
            deliveries=Coalesce(Subquery(deliveries), 0),
        )
        .order_by("unit__code", "community__code")
    )


@dataclass(frozen=True)
class LedgerRow:
    pairing: Pairing
    pledged: int
    pledges_delivered: int
    deliveries: int
    delivered_by_sources: list  # [(DeliverySource, value)]

    @property
    def open_pledges(self) -> int:
        return self.pledged - self.pledges_delivered


def ledger_rows(pairings, year: int) -> list[LedgerRow]:
    """One page of ledger_queryset as rows, with every delivery source's figure (one query per source)."""
    pairings = list(pairings)
    by_source = sources.figures_for(pairings, year)
    return [
        LedgerRow(
            pairing=pairing,
            pledged=pairing.pledged,
            pledges_delivered=pairing.pledges_delivered,
            deliveries=pairing.deliveries,
            delivered_by_sources=by_source[pairing.pk],
        )
        for pairing in pairings
    ]


def pledges_of(*, pairing, year: int):
    return (
        Pledge.objects.filter(pairing=pairing, year=year)
        .select_related("need")
        .prefetch_related("deliveries__need", "deliveries__activity")
        .order_by("pk")
    )
