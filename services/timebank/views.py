"""A member's pages: the time bank (balances, family, requests, what waits for confirmation), the statement, gifts,
service requests, the member's code for the 爱心超市 counter and the confirmation of a redemption."""

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from communities.platform import policies
from communities.platform.web import apply_service_errors, paginate, years_offered
from communities.qr import qr_svg
from services.selectors import member_and_home_for_user

from . import selectors, services
from .forms import FamilyForm, GiftForm, ServiceRequestForm
from .models import FamilyMember, Redemption, tenths_text

# The member's code at the counter: a signed token naming the member, good for a minute, redrawn every 30 s.
CODE_SALT = "timebank.member-code"
CODE_SECONDS = 60
CODE_WINDOW = 30
STATEMENT_PAGE = 30


def _member_and_home(user):
    policies.require("timebank.hold_account", user)
    member, home = member_and_home_for_user(user=user)
    if member is None:
        raise PermissionDenied
    return member, home


def member_token(member_id: int) -> str:
    return signing.dumps(member_id, salt=CODE_SALT)


def member_from_token(token: str) -> int | None:
    """The member id in a counter token, or None when it is forged or older than a minute."""
    try:
        return int(signing.loads(token, salt=CODE_SALT, max_age=CODE_SECONDS))
    except (signing.BadSignature, TypeError, ValueError):
        return None


@login_required
def home(request):
    """The member's time bank: honour hours and credits, family with their balances, what waits for confirmation
    at the counter, service requests."""
    member, home_community = _member_and_home(request.user)
    context = {
        "balances": selectors.member_balances(member=member),
        "family": list(selectors.family_list(member=member)),
        "pending": list(selectors.member_pending_redemptions(member=member)[:10]),
        "requests": list(selectors.member_requests(member=member)[:20]),
        "home_community": home_community,
    }
    return render(request, "timebank/home.html", context)


@login_required
def statement(request):
    """The member's statement of a year, both values, newest first (statement_for), paged."""
    member, _home = _member_and_home(request.user)
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 2000), timezone.localdate().year)
    page = paginate(request, selectors.statement_for(member, year), per_page=STATEMENT_PAGE)
    context = {"page": page, "year": year, "years": years_offered(year),
               "balances": selectors.member_balances(member=member)}
    return render(request, "timebank/statement.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def family(request):
    member, _home = _member_and_home(request.user)
    form = FamilyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.family_add(member=member, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Family member added."))
            return redirect("timebank:family")
    return render(request, "timebank/family.html", {"form": form, "family": selectors.family_list(member=member)})


@login_required
@require_http_methods(["GET", "POST"])
def gift(request):
    member, _home = _member_and_home(request.user)
    family_members = list(selectors.family_list(member=member))
    if not family_members:
        messages.info(request, _("Add a family member first."))
        return redirect("timebank:family")
    form = GiftForm(request.POST or None, family=family_members)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.gift_to_family(member=member, family_id=form.cleaned_data["family"],
                                               tenths=form.cleaned_data["amount"])
        except FamilyMember.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%(amount)s credits given.") % {"amount": transfer.amount_text})
            return redirect("timebank:home")
    balances = selectors.member_balances(member=member)
    return render(request, "timebank/gift.html", {"form": form, "balances": balances})


@login_required
@require_http_methods(["GET", "POST"])
def service_request(request):
    member, home_community = _member_and_home(request.user)
    if home_community is None:
        messages.info(request, _("You can ask for a service once your report to a community is confirmed."))
        return redirect("timebank:home")
    family_members = list(selectors.family_list(member=member))
    form = ServiceRequestForm(request.POST or None, family=family_members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.service_request_create(
                member=member, community=home_community, title=data["title"], description=data["description"],
                tenths=data["amount"], family_id=data["beneficiary"] or None,
            )
        except FamilyMember.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Your request is sent to the community."))
            return redirect("timebank:home")
    return render(request, "timebank/service_request.html", {"form": form, "home_community": home_community})


@login_required
@require_POST
def request_withdraw(request, request_id: int):
    member, _home = _member_and_home(request.user)
    try:
        services.service_request_withdraw(member=member, request_id=request_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Request withdrawn: the credits are back."))
    return redirect("timebank:home")


def _code_payload(request, member) -> dict:
    link = request.build_absolute_uri(reverse("timebank:staff-counter"))
    return {"code": "", "qr": str(qr_svg(f"{link}?token={member_token(member.pk)}")),
            "seconds_left": CODE_WINDOW - int(time.time()) % CODE_WINDOW}


@login_required
@never_cache
def my_code(request):
    """The member's code for the 爱心超市 counter (staff scan it with their phone)."""
    member, _home = _member_and_home(request.user)
    context = {**_code_payload(request, member), "balances": selectors.member_balances(member=member),
               "pending": list(selectors.member_pending_redemptions(member=member)[:10])}
    return render(request, "timebank/my_code.html", context)


@login_required
@never_cache
def my_code_json(request):
    member, _home = _member_and_home(request.user)
    return JsonResponse(_code_payload(request, member))


@login_required
@require_http_methods(["GET", "POST"])
def redemption_confirm(request, redemption_id: int):
    """The member's phone: what the counter entered, to confirm (credits paid, goods handed out) or cancel."""
    member, _home = _member_and_home(request.user)
    redemption = get_object_or_404(Redemption.objects.select_related("goods", "community"), pk=redemption_id,
                                   member=member)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                services.redemption_cancel(member=member, redemption_id=redemption.pk)
                messages.info(request, _("Redemption cancelled."))
            else:
                services.redemption_confirm(member=member, redemption_id=redemption.pk)
                messages.success(request, _("Confirmed: %(credits)s credits paid for %(goods)s × %(quantity)d.")
                                 % {"credits": tenths_text(redemption.tenths), "goods": redemption.goods.name,
                                    "quantity": redemption.quantity})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("timebank:home")
    return render(request, "timebank/redemption_confirm.html", {
        "redemption": redemption, "balances": selectors.member_balances(member=member),
    })


@login_required
def market(request):
    """The goods of the member's community's 爱心超市, with their price and what is on the shelf."""
    _member, home_community = _member_and_home(request.user)
    goods = selectors.goods_list(community=home_community).filter(is_active=True) if home_community else []
    return render(request, "timebank/market.html", {"goods": goods, "home_community": home_community})
