"""The proof that the ledger balances (`manage.py reconcile_ledger`): four properties, each a few set-based
queries over the whole ledger, each finding a plain sentence naming the rows.

1. Every transfer has exactly two legs that sum to zero, minus on its `from` account and plus on its `to`
   account, both of the transfer's value.
2. Every account's balance equals the sum of its legs, and none is under its floor.
3. Every verified service record (those of check-ins included: an activity's closing writes them) is credited
   exactly once, as honour hours and as credits, for its hours; nothing else is credited as a record.
4. The 爱心超市: every confirmed redemption was paid once for its price and took its quantity off the shelf once;
   a reversed one came back once; each article's stock equals its movements.
"""

import datetime

from django.db.models import Count, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone

from services.models import ServiceRecord

from .models import Account, Goods, Leg, Redemption, StockMove, Transfer

LIMIT = 20  # findings listed per check; the count says how many there are


def _ids(queryset) -> list:
    return list(queryset.values_list("pk", flat=True)[:LIMIT])


def check_transfers() -> list[str]:
    findings = []
    unbalanced = (
        Leg.objects.order_by().values("transfer_id").annotate(total=Sum("tenths"), legs=Count("id"))
        .filter(~Q(total=0) | ~Q(legs=2))
    )
    rows = list(unbalanced[:LIMIT])
    if rows:
        findings.append(f"transfers whose legs do not sum to zero or are not two: "
                        f"{[row['transfer_id'] for row in rows]}")
    legless = Transfer.objects.filter(~Exists(Leg.objects.filter(transfer=OuterRef("pk"))))
    if ids := _ids(legless):
        findings.append(f"transfers without legs: {ids}")
    wrong_side = Leg.objects.exclude(
        Q(account=F("transfer__from_account"), tenths=-F("transfer__tenths"))
        | Q(account=F("transfer__to_account"), tenths=F("transfer__tenths"))
    )
    if ids := list(wrong_side.values_list("transfer_id", flat=True)[:LIMIT]):
        findings.append(f"legs that are not the transfer's two sides: transfers {ids}")
    mixed = Leg.objects.exclude(account__value=F("transfer__value"))
    if ids := list(mixed.values_list("transfer_id", flat=True)[:LIMIT]):
        findings.append(f"legs on an account of another value than their transfer: transfers {ids}")
    reversals = Transfer.objects.filter(kind=Transfer.Kind.REVERSAL).exclude(
        from_account=F("reverses__to_account"), to_account=F("reverses__from_account"),
        tenths=F("reverses__tenths"),
    )
    if ids := _ids(reversals):
        findings.append(f"reversals that are not the opposite of their transfer: {ids}")
    return findings


def check_balances() -> list[str]:
    findings = []
    movements = Leg.objects.filter(account=OuterRef("pk")).order_by().values("account").annotate(
        total=Sum("tenths")).values("total")
    drift = Account.objects.annotate(
        moved=Coalesce(Subquery(movements, output_field=IntegerField()), Value(0))
    ).exclude(balance=F("moved"))
    rows = list(drift.values_list("pk", "balance", "moved")[:LIMIT])
    if rows:
        findings.append("accounts whose balance is not the sum of their movements (id, balance, movements): "
                        f"{rows}")
    under = Account.objects.filter(min_balance__isnull=False, balance__lt=F("min_balance"))
    if ids := _ids(under):
        findings.append(f"accounts under their floor: {ids}")
    return findings


def check_records(*, grace: datetime.timedelta) -> list[str]:
    """Records verified within `grace` may still be waiting for the crediting job."""
    findings = []
    settled = timezone.now() - grace
    verified = ServiceRecord.objects.filter(status=ServiceRecord.Status.VERIFIED)
    for kind in (Transfer.Kind.EARN, Transfer.Kind.HONOUR):
        credits = Transfer.objects.filter(kind=kind, source_type=Transfer.Source.RECORD)
        missing = verified.filter(Q(verified_at__lte=settled) | Q(verified_at__isnull=True)).filter(
            ~Exists(credits.filter(source_id=OuterRef("pk"))))
        if ids := _ids(missing):
            findings.append(f"verified records not credited ({kind}): {ids}")
        stray = credits.filter(~Exists(verified.filter(pk=OuterRef("source_id"))))
        if ids := _ids(stray):
            findings.append(f"{kind} transfers of records that are not verified: {ids}")
        twice = credits.order_by().values("source_id").annotate(n=Count("id")).filter(n__gt=1)
        if ids := [row["source_id"] for row in twice[:LIMIT]]:
            findings.append(f"records credited more than once ({kind}): {ids}")
        if wrong_ids := _wrong_amounts(credits):
            findings.append(f"{kind} transfers whose amount is not the record's hours: {wrong_ids}")
        reversed_ = credits.filter(Exists(Transfer.objects.filter(reverses=OuterRef("pk"))))
        if ids := _ids(reversed_):
            findings.append(f"{kind} transfers of records reversed: {ids}")
    try:
        from services.activities.models import SignUp
    except ImportError:  # the activities app is not installed
        return findings
    checkins = SignUp.objects.filter(record__isnull=False, record__status=ServiceRecord.Status.VERIFIED).filter(
        Q(record__verified_at__lte=settled) | Q(record__verified_at__isnull=True)
    ).filter(~Exists(Transfer.objects.filter(kind=Transfer.Kind.EARN, source_type=Transfer.Source.RECORD,
                                             source_id=OuterRef("record_id"))))
    if ids := _ids(checkins):
        findings.append(f"activity sign-ups whose hours are not credited: {ids}")
    return findings


def _wrong_amounts(credits) -> list[int]:
    """Credits whose amount differs from their record's hours × 10, compared in the database."""
    expected = ExpressionWrapper(Round(F("hours") * 10), output_field=IntegerField())
    tenths = ServiceRecord.objects.filter(pk=OuterRef("source_id")).annotate(
        expected=Cast(expected, IntegerField())).values("expected")[:1]
    return list(credits.annotate(expected=Subquery(tenths, output_field=IntegerField()))
                .exclude(expected__isnull=True).exclude(tenths=F("expected"))
                .values_list("pk", flat=True)[:LIMIT])


def check_market() -> list[str]:
    findings = []
    paid = Transfer.objects.filter(kind=Transfer.Kind.REDEEM, source_type=Transfer.Source.REDEMPTION,
                                   source_id=OuterRef("pk"))
    out = StockMove.objects.filter(kind=StockMove.Kind.REDEMPTION, redemption=OuterRef("pk"),
                                   quantity=-F("redemption__quantity"))
    back = StockMove.objects.filter(kind=StockMove.Kind.RETURN, redemption=OuterRef("pk"),
                                    quantity=F("redemption__quantity"))
    handed = Redemption.objects.filter(status__in=[Redemption.Status.CONFIRMED, Redemption.Status.REVERSED])
    if ids := _ids(handed.filter(~Exists(paid.filter(tenths=OuterRef("tenths"))))):
        findings.append(f"redemptions handed out without their payment: {ids}")
    if ids := _ids(handed.filter(~Exists(out))):
        findings.append(f"redemptions handed out without their goods leaving the shelf: {ids}")
    if ids := _ids(Redemption.objects.filter(status=Redemption.Status.REVERSED).filter(
            ~Exists(back) | ~Exists(Transfer.objects.filter(
                kind=Transfer.Kind.REVERSAL, reverses__kind=Transfer.Kind.REDEEM,
                reverses__source_type=Transfer.Source.REDEMPTION, reverses__source_id=OuterRef("pk"))))):
        findings.append(f"reversed redemptions without goods or credits back: {ids}")
    open_ = Redemption.objects.exclude(status__in=[Redemption.Status.CONFIRMED, Redemption.Status.REVERSED])
    if ids := _ids(open_.filter(Exists(paid) | Exists(StockMove.objects.filter(redemption=OuterRef("pk"))))):
        findings.append(f"redemptions not handed out that moved credits or goods: {ids}")
    movements = StockMove.objects.filter(goods=OuterRef("pk")).order_by().values("goods").annotate(
        total=Sum("quantity")).values("total")
    drift = Goods.objects.annotate(
        moved=Coalesce(Subquery(movements, output_field=IntegerField()), Value(0))
    ).exclude(stock=F("moved"))
    if rows := list(drift.values_list("pk", "stock", "moved")[:LIMIT]):
        findings.append(f"goods whose stock is not the sum of its movements (id, stock, movements): {rows}")
    return findings


def reconcile(*, grace: datetime.timedelta = datetime.timedelta(0)) -> dict[str, list[str]]:
    """Every check's findings, by property (empty lists: the ledger reconciles)."""
    return {
        "transfers sum to zero": check_transfers(),
        "balances equal movements": check_balances(),
        "verified service credited once": check_records(grace=grace),
        "redemptions equal stock out": check_market(),
    }
