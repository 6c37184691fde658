"""The pairing ledger's pages (outside the admin): the pairings a user sees with their year in figures, one
pairing's pledges and deliveries, and the two forms. Thin: reads from selectors, writes through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from communities.models import Pairing
from communities.platform import policies
from communities.platform.web import FIRST_YEAR, apply_service_errors, paginate, years_offered
from services.activities.models import Activity
from services.models import ServiceNeed

from . import selectors, services, sources
from .forms import DeliveryForm, PledgeForm
from .models import Pledge


def year_of(request) -> int:
    """The year asked for (?year=), this year when absent or out of range."""
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return this_year
    return year if FIRST_YEAR <= year <= this_year + 1 else this_year


def _common(request, year: int) -> dict:
    return {
        "year": year,
        "years": years_offered(year),
        "sources": sources.sources(),
        "show_staff_tabs": policies.allowed("pairing.show_staff_tabs", request.user),
    }


@login_required
def ledger(request):
    """The pairings the user sees, each with what was pledged and delivered in the year."""
    policies.require("pairing.open_ledger", request.user)
    year = year_of(request)
    page = paginate(request, selectors.ledger_queryset(user=request.user, year=year))
    rows = selectors.ledger_rows(page.object_list, year)
    return render(request, "pairing/ledger.html", {**_common(request, year), "page": page, "rows": rows})


def _visible_pairing(request, pairing_id: int) -> Pairing:
    pairing = get_object_or_404(Pairing.objects.select_related("unit", "community__street"), pk=pairing_id)
    policies.require("pairing.view_pairing", request.user, pairing)
    return pairing


@login_required
def pairing_detail(request, pairing_id: int):
    """One pairing's year: each pledge with its deliveries, and what the unit's members did there."""
    pairing = _visible_pairing(request, pairing_id)
    year = year_of(request)
    return render(request, "pairing/pairing.html", {
        **_common(request, year),
        "pairing": pairing,
        "pledges": selectors.pledges_of(pairing=pairing, year=year),
        "delivered_by_sources": sources.figures_for([pairing], year)[pairing.pk],
        "may_pledge": policies.allowed("pairing.record_pledge", request.user, pairing),
        "may_deliver": policies.allowed("pairing.record_delivery", request.user, pairing),
    })


def _needs_of(pairing):
    return ServiceNeed.objects.filter(community_id=pairing.community_id).exclude(
        status=ServiceNeed.Status.DRAFT
    ).order_by("-pk")


@login_required
@require_http_methods(["GET", "POST"])
def pledge_new(request, pairing_id: int):
    pairing = _visible_pairing(request, pairing_id)
    policies.require("pairing.record_pledge", request.user, pairing)
    year = year_of(request)
    form = PledgeForm(request.POST or None, needs=_needs_of(pairing))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pledge_record(
                pairing_id=pairing.pk, by=request.user, year=year, kind=data["kind"], title=data["title"],
                description=data["description"], quantity=data["quantity"], quantity_unit=data["quantity_unit"],
                need_id=data["need"].pk if data["need"] else None,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The pledge is recorded."))
            return redirect(f"{reverse('pairing:pairing', args=[pairing.pk])}?year={year}")
    return render(request, "pairing/form.html", {
        **_common(request, year), "pairing": pairing, "form": form, "title": _("Record a pledge"),
    })


@login_required
@require_http_methods(["GET", "POST"])
def delivery_new(request, pledge_id: int):
    pledge = get_object_or_404(Pledge.objects.select_related("pairing__unit", "pairing__community"), pk=pledge_id)
    pairing = pledge.pairing
    policies.require("pairing.record_delivery", request.user, pairing)
    activities = Activity.objects.filter(community_id=pairing.community_id, starts_at__year=pledge.year).exclude(
        status="draft"
    ).order_by("-starts_at")
    form = DeliveryForm(request.POST or None, needs=_needs_of(pairing), activities=activities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.delivery_record(
                pledge_id=pledge.pk, by=request.user, delivered_on=data["delivered_on"],
                description=data["description"], quantity=data["quantity"],
                need_id=data["need"].pk if data["need"] else None,
                activity_id=data["activity"].pk if data["activity"] else None,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The delivery is recorded."))
            return redirect(f"{reverse('pairing:pairing', args=[pairing.pk])}?year={pledge.year}")
    return render(request, "pairing/form.html", {
        **_common(request, pledge.year), "pairing": pairing, "pledge": pledge, "form": form,
        "title": _("Record a delivery"),
    })
