"""Writes of the time bank and the 爱心超市: one transaction per business operation, every movement of credits
through `ledger.post` / `ledger.reverse`.

Lock order, wherever several rows are locked: the operation's own row (goods, redemption, request, fund payment,
transfer being reversed), then the ledger accounts in ascending id (inside `ledger.post`). Stock is counted in
Goods.stock under the goods row's lock, backed by the check constraint `goods_stock_not_negative`.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit
from communities.models import Community, Unit
from communities.notifications import notify
from communities.platform import policies
from registration.models import Member, Report
from services.models import PostType

from . import ledger
from .audit_actions import Action
from .models import (
    Account,
    FamilyMember,
    FundPayment,
    Goods,
    Redemption,
    ServiceRequest,
    StockMove,
    Transfer,
    tenths_text,
)

# A redemption entered at the counter waits this long for the member's confirmation.
REDEMPTION_CONFIRM_MINUTES = 10
MAX_FAMILY = 10
MAX_QUANTITY = 100


def _require_books(user, community: Community):
    if not policies.allowed("timebank.keep_books", user, community):
        raise PermissionDenied


def _positive(tenths: int) -> int:
    if tenths is None or tenths <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    return tenths


# --- Family --------------------------------------------------------------------------------------------------------


def family_add(*, member: Member, name: str, relation: str) -> FamilyMember:
    """Add a family member the member looks after (at most MAX_FAMILY). Raises ValidationError."""
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        if FamilyMember.objects.filter(member=member).count() >= MAX_FAMILY:
            raise ValidationError(_("At most %(count)d family members.") % {"count": MAX_FAMILY})
        if FamilyMember.objects.filter(member=member, name=name).exists():
            raise ValidationError({"name": _("This family member is already on your list.")})
        family = FamilyMember.objects.create(member=member, name=name, relation=relation)
        ledger.family_account(family.pk)
    return family


def gift_to_family(*, member: Member, family_id: int, tenths: int) -> Transfer:
    """Give credits to a family member of the member's own list. Raises ValidationError (not enough credits),
    FamilyMember.DoesNotExist (not theirs)."""
    _positive(tenths)
    family = FamilyMember.objects.get(pk=family_id, member=member)
    # A gift is in the books of the giver's community (where staff can reverse a mistake), if the giver has one.
    community_id = (Report.objects.filter(member=member, status=Report.Status.CONFIRMED)
                    .values_list("community_id", flat=True).first())
    with transaction.atomic():
        source = ledger.member_account(member.pk)
        target = ledger.family_account(family.pk)
        return ledger.post(
            kind=Transfer.Kind.GIFT, from_account=source, to_account=target, tenths=tenths,
            source_type=Transfer.Source.GIFT, source_id=family.pk, community_id=community_id,
            reason=f"{family.name}（{family.relation}）", user=member.user,
        )


# --- Spending on a service ----------------------------------------------------------------------------------------


def service_request_create(
    *, member: Member, community: Community, title: str, description: str, tenths: int, family_id: int | None = None
) -> ServiceRequest:
    """Ask the community for a service for the member or a family member, paid now from the beneficiary's account
    (the member's, or the family member's) to the community's bank. Raises ValidationError."""
    _positive(tenths)
    family = FamilyMember.objects.get(pk=family_id, member=member) if family_id else None
    with transaction.atomic():
        request = ServiceRequest.objects.create(
            member=member, family=family, community=community, title=title, description=description, tenths=tenths
        )
        payer = ledger.family_account(family.pk) if family else ledger.member_account(member.pk)
        bank = ledger.community_account(community.pk, Account.Kind.BANK)
        ledger.post(
            kind=Transfer.Kind.SPEND, from_account=payer, to_account=bank, tenths=tenths,
            source_type=Transfer.Source.REQUEST, source_id=request.pk, community_id=community.pk, reason=title,
            user=member.user,
        )
    return request


def _request_locked(request_id: int) -> ServiceRequest:
    request = ServiceRequest.objects.select_for_update(of=("self",)).select_related(
        "community", "member__user", "family").get(pk=request_id)
    if request.status != ServiceRequest.Status.OPEN:
        raise ValidationError(_("This request has already been dealt with."))
    return request


def _refund(request: ServiceRequest, *, user, reason: str):
    paid = Transfer.objects.get(kind=Transfer.Kind.SPEND, source_type=Transfer.Source.REQUEST, source_id=request.pk)
    ledger.reverse(transfer_id=paid.pk, user=user, reason=reason)


def service_request_withdraw(*, member: Member, request_id: int) -> ServiceRequest:
    """The member withdraws an open request: the credits come back by a reversal. Raises ValidationError."""
    with transaction.atomic():
        request = _request_locked(request_id)
        if request.member_id != member.pk:
            raise PermissionDenied
        _refund(request, user=member.user, reason=_("withdrawn by the member"))
        request.status = ServiceRequest.Status.WITHDRAWN
        request.save(update_fields=["status"])
    return request


def service_request_decide(*, user, request_id: int, accept: bool) -> ServiceRequest:
    """Staff accept a request (it becomes a draft need of the community, matched like any need) or decline it (the
    credits come back by a reversal). Raises PermissionDenied, ValidationError."""
    from services.services import need_create  # the service side's write layer, one way: timebank → services

    with transaction.atomic():
        request = _request_locked(request_id)
        _require_books(user, request.community)
        if accept:
            beneficiary = request.family.name if request.family else request.member.name
            need = need_create(
                user=user, community=request.community, title=request.title[:100],
                description=_("%(text)s (for %(name)s, paid with time credits)")
                % {"text": request.description or request.title, "name": beneficiary},
                post_type=PostType.CARE, places=1, starts_at=timezone.now() + datetime.timedelta(days=1),
            )
            request.need = need
            request.status = ServiceRequest.Status.ACCEPTED
        else:
            _refund(request, user=user, reason=_("declined by the community"))
            request.status = ServiceRequest.Status.DECLINED
        request.decided_by = user
        request.save(update_fields=["need", "status", "decided_by"])
        notify(kind="timebank", title=_("Your request “%(title)s”: %(status)s")
               % {"title": request.title, "status": request.get_status_display()},
               link=reverse("timebank:home"), user=request.member.user)
    return request


# --- Organisations and the community fund --------------------------------------------------------------------------


def organisation_deposit(*, user, community: Community, unit: Unit, tenths: int, reason: str,
                         to_fund: bool = True) -> Transfer:
    """An enterprise or donor deposits credits (for service its people gave, or a donation) through the community:
    issued by the community's bank to the organisation's account and, with `to_fund`, passed on to the community
    fund. Raises PermissionDenied, ValidationError. Audited."""
    _positive(tenths)
    _require_books(user, community)
    with transaction.atomic():
        organisation = ledger.organisation_account(unit.pk)
        deposit = ledger.post(
            kind=Transfer.Kind.DEPOSIT, from_account=ledger.community_account(community.pk, Account.Kind.BANK),
            to_account=organisation, tenths=tenths, source_type=Transfer.Source.DONATION, source_id=unit.pk,
            community_id=community.pk, reason=reason, user=user,
        )
        if to_fund:
            ledger.post(
                kind=Transfer.Kind.DONATE, from_account=organisation,
                to_account=ledger.community_account(community.pk, Account.Kind.FUND), tenths=tenths,
                source_type=Transfer.Source.DONATION, source_id=deposit.pk, community_id=community.pk,
                reason=reason, user=user,
            )
        audit(action=Action.DEPOSIT, user=user, obj=deposit,
              detail={"community_id": community.pk, "unit_id": unit.pk, "credits": tenths_text(tenths)})
    return deposit


def fund_payment_ask(*, user, community: Community, beneficiary: str, purpose: str, tenths: int) -> FundPayment:
    """A staff member asks the community fund to pay for a resident in need; a second staff member decides.
    Raises PermissionDenied, ValidationError. Audited."""
    _positive(tenths)
    _require_books(user, community)
    with transaction.atomic():
        payment = FundPayment.objects.create(community=community, beneficiary=beneficiary, purpose=purpose,
                                             tenths=tenths, requested_by=user)
        audit(action=Action.FUND_PAYMENT_ASK, user=user, obj=payment, detail={"credits": tenths_text(tenths)})
    return payment


def fund_payment_decide(*, user, payment_id: int, approve: bool) -> FundPayment:
    """A second staff member approves (the fund pays, to the bank: the service or goods are provided) or rejects.
    Whoever asked cannot decide (the check constraint `fundpayment_second_person` backs it). Raises
    PermissionDenied, ValidationError (not enough in the fund). Audited."""
    with transaction.atomic():
        payment = FundPayment.objects.select_for_update(of=("self",)).select_related("community").get(pk=payment_id)
        _require_books(user, payment.community)
        if payment.requested_by_id == user.pk:
            raise ValidationError(_("A second staff member must decide: you asked for this payment."))
        if payment.status != FundPayment.Status.PENDING:
            raise ValidationError(_("This payment has already been decided."))
        if approve:
            ledger.post(
                kind=Transfer.Kind.FUND_PAYMENT,
                from_account=ledger.community_account(payment.community_id, Account.Kind.FUND),
                to_account=ledger.community_account(payment.community_id, Account.Kind.BANK),
                tenths=payment.tenths, source_type=Transfer.Source.FUND_PAYMENT, source_id=payment.pk,
                community_id=payment.community_id, reason=f"{payment.beneficiary}：{payment.purpose}", user=user,
            )
        payment.status = FundPayment.Status.APPROVED if approve else FundPayment.Status.REJECTED
        payment.decided_by = user
        payment.decided_at = timezone.now()
        payment.save(update_fields=["status", "decided_by", "decided_at"])
        audit(action=Action.FUND_PAYMENT_DECIDE, user=user, obj=payment, detail={"approved": approve})
    return payment


# --- Reversal -------------------------------------------------------------------------------------------------------


def transfer_reverse(*, user, transfer_id: int, reason: str) -> Transfer:
    """Staff of the transfer's community undo a mistake with the opposite transfer (at most once). A redemption is
    reversed with its goods (redemption_reverse). Raises PermissionDenied, ValidationError. Audited."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it is reversed.")})
    with transaction.atomic():
        original = Transfer.objects.select_related("community").get(pk=transfer_id)
        _require_books(user, original.community)
        if original.kind == Transfer.Kind.REDEEM:
            raise ValidationError(_("Reverse a redemption from the counter, so that the goods go back on the shelf."))
        if original.kind == Transfer.Kind.SPEND:
            raise ValidationError(_("Decline the request instead: its credits come back."))
        if original.kind == Transfer.Kind.FUND_PAYMENT:
            raise ValidationError(_("An approved fund payment cannot be reversed here."))
        reversal = ledger.reverse(transfer_id=original.pk, user=user, reason=reason)
        audit(action=Action.TRANSFER_REVERSE, user=user, obj=original, detail={"reversal_id": reversal.pk})
    return reversal


# --- The 爱心超市 -----------------------------------------------------------------------------------------------------


def goods_create(*, user, community: Community, name: str, price_tenths: int) -> Goods:
    """Put a new article on sale (no stock until a donation). Raises PermissionDenied, ValidationError."""
    _require_books(user, community)
    if price_tenths <= 0:
        raise ValidationError({"price": _("The price must be more than zero.")})
    if Goods.objects.filter(community=community, name=name).exists():
        raise ValidationError({"name": _("This article is already on the list.")})
    with transaction.atomic():
        return Goods.objects.create(community=community, name=name, price=price_tenths)


def _goods_locked(goods_id: int, user=None) -> Goods:
    goods = Goods.objects.select_for_update(of=("self",)).select_related("community").get(pk=goods_id)
    if user is not None:
        _require_books(user, goods.community)
    return goods


def goods_donate(*, user, goods_id: int, quantity: int, donor: str, donor_unit: Unit | None = None) -> StockMove:
    """Donated goods onto the shelf: who gave, what, how many. Raises PermissionDenied, ValidationError. Audited."""
    if quantity <= 0 or quantity > 10_000:
        raise ValidationError({"quantity": _("Give a quantity between 1 and 10000.")})
    with transaction.atomic():
        goods = _goods_locked(goods_id, user)
        move = StockMove.objects.create(goods=goods, kind=StockMove.Kind.DONATION, quantity=quantity, donor=donor,
                                        donor_unit=donor_unit, created_by=user)
        Goods.objects.filter(pk=goods.pk).update(stock=F("stock") + quantity)
        audit(action=Action.GOODS_DONATION, user=user, obj=move, detail={"goods_id": goods.pk, "quantity": quantity})
    return move


def stock_count(*, user, goods_id: int, counted: int, note: str = "") -> StockMove | None:
    """A stock count on the shelf: a difference with the books is written as a count movement (with the note), so
    the books say what the shelf holds. Raises PermissionDenied, ValidationError. Audited."""
    if counted < 0:
        raise ValidationError({"counted": _("A count cannot be negative.")})
    with transaction.atomic():
        goods = _goods_locked(goods_id, user)
        difference = counted - goods.stock
        move = None
        if difference:
            move = StockMove.objects.create(goods=goods, kind=StockMove.Kind.COUNT, quantity=difference,
                                            note=note or _("stock count"), created_by=user)
            Goods.objects.filter(pk=goods.pk).update(stock=counted)
        audit(action=Action.STOCK_COUNT, user=user, obj=goods,
              detail={"counted": counted, "difference": difference})
    return move


def redemption_start(*, user, member: Member, goods_id: int, quantity: int) -> Redemption:
    """At the counter: staff have scanned the member's code and enter the goods; the member confirms on their phone.
    Nothing moves yet. Raises PermissionDenied, ValidationError (not on sale, not enough on the shelf)."""
    if quantity <= 0 or quantity > MAX_QUANTITY:
        raise ValidationError({"quantity": _("Give a quantity between 1 and %(max)d.") % {"max": MAX_QUANTITY}})
    with transaction.atomic():
        goods = _goods_locked(goods_id, user)
        if not goods.is_active:
            raise ValidationError(_("This article is not on sale."))
        if goods.stock < quantity:
            raise ValidationError(_("Only %(stock)d left on the shelf.") % {"stock": goods.stock})
        redemption = Redemption.objects.create(community=goods.community, member=member, goods=goods,
                                               quantity=quantity, tenths=goods.price * quantity, created_by=user)
        notify(kind="timebank", title=_("Confirm at the 爱心超市: %(goods)s × %(quantity)d for %(credits)s credits")
               % {"goods": goods.name, "quantity": quantity, "credits": tenths_text(redemption.tenths)},
               link=reverse("timebank:redemption-confirm", args=[redemption.pk]), user=member.user)
    return redemption


def redemption_confirm(*, member: Member, redemption_id: int) -> Redemption:
    """The member confirms on their phone: the credits go to the 爱心超市 and the goods leave the shelf, in one
    transaction. Lock order: the goods, the redemption, then the accounts. Raises ValidationError (expired, not
    enough on the shelf, not enough credits)."""
    with transaction.atomic():
        goods_id = Redemption.objects.filter(pk=redemption_id, member=member).values_list("goods_id", flat=True).get()
        goods = _goods_locked(goods_id)
        redemption = Redemption.objects.select_for_update(of=("self",)).get(pk=redemption_id)
        if redemption.status != Redemption.Status.PENDING:
            raise ValidationError(_("This redemption has already been dealt with."))
        if timezone.now() - redemption.created_at > datetime.timedelta(minutes=REDEMPTION_CONFIRM_MINUTES):
            raise ValidationError(_("This redemption has expired: ask the counter to enter it again."))
        if goods.stock < redemption.quantity:
            raise ValidationError(_("Only %(stock)d left on the shelf.") % {"stock": goods.stock})
        ledger.post(
            kind=Transfer.Kind.REDEEM, from_account=ledger.member_account(member.pk),
            to_account=ledger.community_account(goods.community_id, Account.Kind.MARKET), tenths=redemption.tenths,
            source_type=Transfer.Source.REDEMPTION, source_id=redemption.pk, community_id=goods.community_id,
            reason=f"{goods.name} × {redemption.quantity}", user=member.user,
        )
        StockMove.objects.create(goods=goods, kind=StockMove.Kind.REDEMPTION, quantity=-redemption.quantity,
                                 redemption=redemption, created_by=redemption.created_by)
        Goods.objects.filter(pk=goods.pk).update(stock=F("stock") - redemption.quantity)
        redemption.status = Redemption.Status.CONFIRMED
        redemption.confirmed_at = timezone.now()
        redemption.save(update_fields=["status", "confirmed_at"])
    return redemption


def redemption_cancel(*, member: Member | None = None, user=None, redemption_id: int) -> Redemption:
    """The member (or the counter) cancels a redemption not yet confirmed. Raises ValidationError."""
    with transaction.atomic():
        redemption = Redemption.objects.select_for_update(of=("self",)).select_related("community").get(
            pk=redemption_id)
        if member is not None and redemption.member_id != member.pk:
            raise PermissionDenied
        if user is not None:
            _require_books(user, redemption.community)
        if redemption.status != Redemption.Status.PENDING:
            raise ValidationError(_("This redemption has already been dealt with."))
        redemption.status = Redemption.Status.CANCELLED
        redemption.save(update_fields=["status"])
    return redemption


def redemption_reverse(*, user, redemption_id: int, reason: str) -> Redemption:
    """A mistake at the counter: the goods come back onto the shelf and the credits back to the member, by a
    reversal transfer. Raises PermissionDenied, ValidationError. Audited."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it is reversed.")})
    with transaction.atomic():
        goods_id = Redemption.objects.filter(pk=redemption_id).values_list("goods_id", flat=True).get()
        goods = _goods_locked(goods_id, user)
        redemption = Redemption.objects.select_for_update(of=("self",)).get(pk=redemption_id)
        if redemption.status != Redemption.Status.CONFIRMED:
            raise ValidationError(_("Only a confirmed redemption can be reversed."))
        paid = Transfer.objects.get(kind=Transfer.Kind.REDEEM, source_type=Transfer.Source.REDEMPTION,
                                    source_id=redemption.pk)
        reversal = ledger.reverse(transfer_id=paid.pk, user=user, reason=reason)
        StockMove.objects.create(goods=goods, kind=StockMove.Kind.RETURN, quantity=redemption.quantity,
                                 redemption=redemption, note=reason[:200], created_by=user)
        Goods.objects.filter(pk=goods.pk).update(stock=F("stock") + redemption.quantity)
        redemption.status = Redemption.Status.REVERSED
        redemption.save(update_fields=["status"])
        audit(action=Action.TRANSFER_REVERSE, user=user, obj=paid, detail={"reversal_id": reversal.pk})
    return redemption
