"""What a paired unit gave its community through the time bank, as delivery sources of the pairing ledger
(issue 23, docs/PAIRING.md). Registered from this app's `ready()`: the pairing app reads them without importing
the time bank. Each answers for a whole page of pairings in one grouped query.
"""

from decimal import Decimal

from django.db.models import F, Sum
from django.utils.translation import gettext_lazy as _

from services.pairing.sources import register_source

from .models import StockMove, Transfer

TENTH = Decimal("0.1")


def _places(pairings) -> tuple[set[int], set[int]]:
    return {pairing.unit_id for pairing in pairings}, {pairing.community_id for pairing in pairings}


def _by_pairing(pairings, rows) -> dict[int, int]:
    """Rows of (unit, community, value) mapped onto the pairings they belong to."""
    by_place = {(row["unit_id"], row["community_id"]): row["value"] for row in rows}
    return {
        pairing.pk: by_place[(pairing.unit_id, pairing.community_id)]
        for pairing in pairings
        if (pairing.unit_id, pairing.community_id) in by_place
    }


def credits_deposited(pairings, year: int) -> dict[int, Decimal]:
    """Credits the unit's organisation account received as deposits through the paired community in the year
    (`organisation_deposit`, whether or not passed on to the fund). A reversed deposit was a mistake: not counted."""
    units, communities = _places(pairings)
    rows = (
        Transfer.objects.filter(
            kind=Transfer.Kind.DEPOSIT,
            reversed_by__isnull=True,
            created_at__year=year,
            community_id__in=communities,
            to_account__organisation_id__in=units,
        )
        .order_by()
        .values("community_id", unit_id=F("to_account__organisation_id"))
        .annotate(value=Sum("tenths"))
    )
    # Tenths on the ledger, credits on the page (one decimal, as hours are shown).
    return {pk: (Decimal(tenths) / 10).quantize(TENTH) for pk, tenths in _by_pairing(pairings, rows).items()}


def goods_donated(pairings, year: int) -> dict[int, int]:
    """Items the unit donated to the paired community's 爱心超市 in the year (donations naming it as the donor
    organisation; a donation with only a free-text donor is nobody's pairing)."""
    units, communities = _places(pairings)
    rows = (
        StockMove.objects.filter(
            kind=StockMove.Kind.DONATION,
            created_at__year=year,
            donor_unit_id__in=units,
            goods__community_id__in=communities,
        )
        .order_by()
        .values(unit_id=F("donor_unit_id"), community_id=F("goods__community_id"))
        .annotate(value=Sum("quantity"))
    )
    return _by_pairing(pairings, rows)


# The units are msgids of their own ("… (unit)"), as the pairing app's built-in sources do.
register_source("deposits", _("Credits deposited"), unit=_("credits (unit)"), figures=credits_deposited, order=40)
register_source("goods", _("Goods donated to the 爱心超市"), unit=_("items (unit)"), figures=goods_donated, order=50)
