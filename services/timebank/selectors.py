"""Reads of the time bank and the 爱心超市. Querysets, with what their pages loop over prepared up front."""

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Q, Sum
from django.utils import timezone

from communities.models import Community
from registration.models import Member

from .models import (
    Account,
    FamilyMember,
    FundPayment,
    Goods,
    Leg,
    Redemption,
    ServiceRequest,
    StockMove,
    Transfer,
    Value,
)


@dataclass(frozen=True)
class Balances:
    honour: int
    credit: int


def member_balances(*, member: Member) -> Balances:
    """The member's honour hours and spendable credits (tenths), in one query (no account yet: zero)."""
    rows = dict(Account.objects.filter(member=member).values_list("value", "balance"))
    return Balances(honour=rows.get(Value.HONOUR, 0), credit=rows.get(Value.CREDIT, 0))


def statement_for(member: Member, year: int):
    """The member's movements of `year` on both values, newest first: Legs with their transfer, the other side's
    account and its owner, ready for a page or another app (the member's points history). One query."""
    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    end = timezone.make_aware(datetime.datetime(year + 1, 1, 1))
    return (
        Leg.objects.filter(account__member=member, transfer__created_at__gte=start, transfer__created_at__lt=end)
        .select_related("account", "transfer", "transfer__community")
        .order_by("-transfer_id")
    )


def family_list(*, member: Member):
    """The member's family members, each with the balance of its account (tenths) as `balance`."""
    balances = Account.objects.filter(family=OuterRef("pk")).values("balance")[:1]
    return FamilyMember.objects.filter(member=member).annotate(balance=balances).order_by("pk")


def member_requests(*, member: Member):
    return ServiceRequest.objects.filter(member=member).select_related("family").order_by("-pk")


def member_pending_redemptions(*, member: Member):
    return Redemption.objects.filter(member=member, status=Redemption.Status.PENDING).select_related(
        "goods").order_by("-pk")


def goods_list(*, community: Community):
    return Goods.objects.filter(community=community).order_by("-is_active", "name")


def staff_communities(*, user):
    """The communities whose books the user keeps (community staff)."""
    return Community.objects.visible_to(user).order_by("name")


def community_requests(*, community: Community):
    return ServiceRequest.objects.filter(community=community).select_related("member", "family").order_by(
        "status", "-pk")


def community_fund_payments(*, community: Community):
    return FundPayment.objects.filter(community=community).select_related("requested_by", "decided_by").order_by(
        "-pk")


def community_transfers(*, community: Community):
    """The transfers of a community's books, newest first, with both accounts' owners (reversal page)."""
    return (
        Transfer.objects.filter(community=community)
        .select_related("from_account__member", "to_account__member", "to_account__family", "reversed_by")
        .order_by("-pk")
    )


def community_account_balances(*, community: Community) -> dict[str, int]:
    """The community's fund, 爱心超市 and bank balances (credits, tenths)."""
    rows = Account.objects.filter(community=community, value=Value.CREDIT).values_list("kind", "balance")
    return {kind: balance for kind, balance in rows}


@dataclass(frozen=True)
class GoodsMonth:
    goods: Goods
    opening: int
    donated: int
    redeemed: int
    returned: int
    counted: int
    closing: int
    credits: int  # tenths of the redemptions confirmed in the month


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime(year, month, 1))
    end = timezone.make_aware(datetime.datetime(year + month // 12, month % 12 + 1, 1))
    return start, end


def market_month(*, community: Community, year: int, month: int) -> list[GoodsMonth]:
    """The 爱心超市's monthly statement: per article, the opening stock, what came in and went out by kind, the
    closing stock and the credits of the redemptions confirmed in the month. Two queries whatever the number of
    articles."""
    start, end = month_bounds(year, month)
    goods = list(
        Goods.objects.filter(community=community).annotate(
            before=Sum("moves__quantity", filter=Q(moves__created_at__lt=start)),
            donated=Sum("moves__quantity", filter=Q(moves__created_at__gte=start, moves__created_at__lt=end,
                                                     moves__kind=StockMove.Kind.DONATION)),
            redeemed=Sum("moves__quantity", filter=Q(moves__created_at__gte=start, moves__created_at__lt=end,
                                                      moves__kind=StockMove.Kind.REDEMPTION)),
            returned=Sum("moves__quantity", filter=Q(moves__created_at__gte=start, moves__created_at__lt=end,
                                                      moves__kind=StockMove.Kind.RETURN)),
            counted=Sum("moves__quantity", filter=Q(moves__created_at__gte=start, moves__created_at__lt=end,
                                                     moves__kind=StockMove.Kind.COUNT)),
        ).order_by("name")
    )
    credits_by_goods = dict(
        Redemption.objects.filter(community=community, confirmed_at__gte=start, confirmed_at__lt=end)
        .order_by().values("goods_id").annotate(total=Sum("tenths")).values_list("goods_id", "total")
    )
    rows = []
    for item in goods:
        opening = item.before or 0
        donated, redeemed = item.donated or 0, -(item.redeemed or 0)
        returned, counted = item.returned or 0, item.counted or 0
        rows.append(GoodsMonth(goods=item, opening=opening, donated=donated, redeemed=redeemed, returned=returned,
                               counted=counted, closing=opening + donated - redeemed + returned + counted,
                               credits=credits_by_goods.get(item.pk, 0)))
    return rows
