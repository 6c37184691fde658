"""Pages for community staff: the time bank's books of their community (fund, 爱心超市, bank), the counter (scan a
member's code, enter the goods), goods, donations and stock counts, the monthly statement (page and xlsx), service
requests, deposits, fund payments with a second approval, and reversals."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities.exports import xlsx_export
from communities.models import Community, Pairing, Unit
from communities.platform import policies
from communities.platform.web import apply_service_errors, paginate
from registration.models import Member

from . import selectors, services
from .forms import CounterForm, DepositForm, DonationForm, FundPaymentForm, GoodsForm, ReasonForm, StockCountForm
from .models import Account, FundPayment, Goods, Redemption, ServiceRequest, Transfer, tenths_text
from .views import member_from_token


def _community(user) -> Community:
    """The community whose books the staff member keeps: their own (the first, if they have several)."""
    policies.require("timebank.open_staff_pages", user)
    community = Community.objects.filter(pk__in=policies.scope_of(user).community_ids).order_by("code").first()
    if community is None or not policies.allowed("timebank.keep_books", user, community):
        raise PermissionDenied
    return community


@login_required
def overview(request):
    community = _community(request.user)
    balances = selectors.community_account_balances(community=community)
    context = {
        "community": community,
        "fund": tenths_text(balances.get(Account.Kind.FUND, 0)),
        "market": tenths_text(balances.get(Account.Kind.MARKET, 0)),
        "issued": tenths_text(-balances.get(Account.Kind.BANK, 0)),
        "open_requests": selectors.community_requests(community=community)
        .filter(status=ServiceRequest.Status.OPEN).count(),
        "pending_payments": selectors.community_fund_payments(community=community)
        .filter(status=FundPayment.Status.PENDING).count(),
    }
    return render(request, "timebank/staff_overview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def counter(request):
    """The 爱心超市 counter: the member's code scanned (token in the link), the goods entered; the member confirms
    on their phone."""
    community = _community(request.user)
    token = request.POST.get("token") or request.GET.get("token", "")
    member_id = member_from_token(token) if token else None
    member = Member.objects.filter(pk=member_id).select_related("unit").first() if member_id else None
    goods = list(selectors.goods_list(community=community).filter(is_active=True, stock__gt=0))
    form = CounterForm(request.POST or None, goods=goods) if member else None
    if request.method == "POST" and member and form.is_valid():
        try:
            services.redemption_start(user=request.user, member=member, goods_id=form.cleaned_data["goods"],
                                      quantity=form.cleaned_data["quantity"])
        except (ValidationError, Goods.DoesNotExist) as error:
            apply_service_errors(form, error if isinstance(error, ValidationError) else ValidationError(str(error)))
        else:
            messages.success(request, _("Sent to %(name)s's phone: waiting for the member to confirm.")
                             % {"name": member.name})
            return redirect("timebank:staff-counter")
    recent = (Redemption.objects.filter(community=community).select_related("member", "goods").order_by("-pk")[:20])
    context = {"community": community, "member": member, "form": form, "token": token,
               "expired": bool(token) and member is None, "recent": recent, "reason_form": ReasonForm()}
    return render(request, "timebank/staff_counter.html", context)


@login_required
@require_POST
def redemption_reverse(request, redemption_id: int):
    _community(request.user)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.redemption_reverse(user=request.user, redemption_id=redemption_id,
                                        reason=form.cleaned_data["reason"])
        except Redemption.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Reversed: the goods are back on the shelf and the credits with the member."))
    else:
        messages.error(request, _("Say why it is reversed."))
    return redirect("timebank:staff-counter")


@login_required
@require_http_methods(["GET", "POST"])
def goods(request):
    """Goods with price and stock; new articles, donations in and stock counts."""
    community = _community(request.user)
    goods_list = list(selectors.goods_list(community=community))
    action = request.POST.get("form", "")
    goods_form = GoodsForm(request.POST if action == "goods" else None, prefix="goods")
    units = _paired_units(community)
    donation_form = DonationForm(request.POST if action == "donation" else None, goods=goods_list, units=units,
                                 prefix="donation")
    count_form = StockCountForm(request.POST if action == "count" else None, goods=goods_list, prefix="count")
    if request.method == "POST":
        done = _goods_post(request, community, action, goods_form, donation_form, count_form, units)
        if done:
            return redirect("timebank:staff-goods")
    context = {"community": community, "goods": goods_list, "goods_form": goods_form,
               "donation_form": donation_form, "count_form": count_form}
    return render(request, "timebank/staff_goods.html", context)


def _paired_units(community):
    """The organisations offered for deposits and donations: the units paired with the community."""
    return Unit.objects.filter(pk__in=Pairing.objects.filter(community=community).values("unit_id")).order_by("name")


def _goods_post(request, community, action, goods_form, donation_form, count_form, units) -> bool:
    form = {"goods": goods_form, "donation": donation_form, "count": count_form}.get(action)
    if form is None or not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        if action == "goods":
            services.goods_create(user=request.user, community=community, name=data["name"],
                                  price_tenths=data["price"])
        elif action == "donation":
            donor_unit = get_object_or_404(units, pk=data["donor_unit"]) if data["donor_unit"] else None
            services.goods_donate(user=request.user, goods_id=data["goods"], quantity=data["quantity"],
                                  donor=data["donor"], donor_unit=donor_unit)
        else:
            services.stock_count(user=request.user, goods_id=data["goods"], counted=data["counted"],
                                 note=data["note"])
    except ValidationError as error:
        apply_service_errors(form, error)
        return False
    messages.success(request, _("Saved."))
    return True


def _month(request) -> tuple[int, int]:
    today = timezone.localdate()
    try:
        chosen = datetime.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        chosen = today
    if chosen > today or chosen.year < 2000:
        chosen = today
    return chosen.year, chosen.month


@login_required
def market_statement(request):
    """The 爱心超市's monthly statement: per article, stock in and out by kind and credits received; ?format=xlsx
    exports it for filing (recorded as every export is)."""
    community = _community(request.user)
    year, month = _month(request)
    rows = selectors.market_month(community=community, year=year, month=month)
    if request.GET.get("format") == "xlsx":
        title = _("爱心超市 statement %(community)s %(year)d-%(month)02d") % {
            "community": community.name, "year": year, "month": month}
        header = [_("Article"), _("Price"), _("Opening stock"), _("Donated in"), _("Redeemed out"), _("Returned"),
                  _("Count difference"), _("Closing stock"), _("Credits received")]
        body = [(row.goods.name, tenths_text(row.goods.price), row.opening, row.donated, row.redeemed, row.returned,
                 row.counted, row.closing, tenths_text(row.credits)) for row in rows]
        return xlsx_export(user=request.user, kind="market-statement", title=title, header=header, rows=body,
                           filters={"community": community.pk, "month": f"{year}-{month:02d}"},
                           place=community.name, period=f"{year}-{month:02d}")
    context = {"community": community, "rows": rows, "month": f"{year}-{month:02d}",
               "total": tenths_text(sum(row.credits for row in rows))}
    return render(request, "timebank/staff_statement.html", context)


@login_required
def transfers(request):
    """The community's books, newest first (its members' gifts included): gifts, deposits and donations reversible
    once with a reason."""
    community = _community(request.user)
    kind = request.GET.get("kind", "")
    queryset = selectors.community_transfers(community=community)
    if kind in Transfer.Kind.values:
        queryset = queryset.filter(kind=kind)
    page = paginate(request, queryset)
    return render(request, "timebank/staff_transfers.html", {
        "community": community, "page": page, "kind": kind, "kinds": Transfer.Kind.choices,
        "reversible": {Transfer.Kind.GIFT, Transfer.Kind.DEPOSIT, Transfer.Kind.DONATE},
    })


@login_required
@require_POST
def transfer_reverse(request, transfer_id: int):
    _community(request.user)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.transfer_reverse(user=request.user, transfer_id=transfer_id, reason=form.cleaned_data["reason"])
        except Transfer.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Reversed."))
    else:
        messages.error(request, _("Say why it is reversed."))
    return redirect("timebank:staff-transfers")


@login_required
def requests(request):
    community = _community(request.user)
    page = paginate(request, selectors.community_requests(community=community))
    return render(request, "timebank/staff_requests.html", {"community": community, "page": page})


@login_required
@require_POST
def request_decide(request, request_id: int):
    _community(request.user)
    try:
        services.service_request_decide(user=request.user, request_id=request_id,
                                        accept=request.POST.get("decision") == "accept")
    except ServiceRequest.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Decided."))
    return redirect("timebank:staff-requests")


@login_required
@require_http_methods(["GET", "POST"])
def fund(request):
    """The community fund: organisations' deposits in, payments for residents in need out (a second approval)."""
    community = _community(request.user)
    units = _paired_units(community)
    action = request.POST.get("form", "")
    deposit_form = DepositForm(request.POST if action == "deposit" else None, units=units, prefix="deposit")
    payment_form = FundPaymentForm(request.POST if action == "payment" else None, prefix="payment")
    if request.method == "POST":
        form = {"deposit": deposit_form, "payment": payment_form}.get(action)
        if form is not None and form.is_valid():
            data = form.cleaned_data
            try:
                if action == "deposit":
                    services.organisation_deposit(user=request.user, community=community,
                                                  unit=get_object_or_404(units, pk=data["unit"]),
                                                  tenths=data["amount"], reason=data["reason"])
                else:
                    services.fund_payment_ask(user=request.user, community=community,
                                              beneficiary=data["beneficiary"], purpose=data["purpose"],
                                              tenths=data["amount"])
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("timebank:staff-fund")
    balances = selectors.community_account_balances(community=community)
    context = {"community": community, "deposit_form": deposit_form, "payment_form": payment_form,
               "fund": tenths_text(balances.get(Account.Kind.FUND, 0)),
               "payments": selectors.community_fund_payments(community=community)[:50]}
    return render(request, "timebank/staff_fund.html", context)


@login_required
@require_POST
def fund_payment_decide(request, payment_id: int):
    _community(request.user)
    try:
        services.fund_payment_decide(user=request.user, payment_id=payment_id,
                                     approve=request.POST.get("decision") == "approve")
    except FundPayment.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Decided."))
    return redirect("timebank:staff-fund")
