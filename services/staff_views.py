"""Pages for community staff: post and manage needs, verify service records, the community dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities import charts as charts_module
from communities.exports import date_period, scope_place, xlsx_export
from communities.models import Community
from communities.platform import marks, policies, tiles
from communities.platform.web import apply_service_errors, next_url, paginate
from registration.forms import RejectForm

from . import selectors, services
from .forms import NeedForm, PeriodForm
from .models import ServiceNeed


def _managed_community(user) -> Community:
    """The community a staff member posts needs for: their own (the first, if they have several)."""
    policies.require("services.post_need", user)
    community = Community.objects.filter(pk__in=policies.scope_of(user).community_ids).order_by("code").first()
    if community is None:
        raise PermissionDenied
    return community


@login_required
def need_list(request):
    policies.require("communities.open_staff_pages", request.user)
    status = request.GET.get("status", "")
    status = status if status in ServiceNeed.Status.values else ""
    context = {
        "page": paginate(request, selectors.staff_need_list(user=request.user, status=status)),
        "status": status,
        "statuses": ServiceNeed.Status.choices,
        "can_post": policies.allowed("services.post_need", request.user),
    }
    return render(request, "services/staff_need_list.html", context)


def _need_values(form) -> dict:
    values = {name: form.cleaned_data[name] for name in services.NEED_FIELDS}
    return {**values, "skills": form.cleaned_data["skills"]}


@login_required
@require_http_methods(["GET", "POST"])
def need_create(request):
    community = _managed_community(request.user)
    form = NeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            need = services.need_create(user=request.user, community=community, **_need_values(form))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved as a draft. Publish it when it is ready."))
            return redirect("services:staff-need-detail", need_id=need.pk)
    return render(request, "services/staff_need_form.html", {"form": form, "community": community})


@login_required
@require_http_methods(["GET", "POST"])
def need_edit(request, need_id: int):
    need = selectors.staff_need_get(user=request.user, need_id=need_id)
    if not policies.allowed("communities.manage_community", request.user, need.community):
        raise PermissionDenied
    form = NeedForm(request.POST or None, instance=need)
    if request.method == "POST" and form.is_valid():
        try:
            services.need_update(user=request.user, need_id=need.pk, **_need_values(form))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The need is saved."))
            return redirect("services:staff-need-detail", need_id=need.pk)
    return render(request, "services/staff_need_form.html", {"form": form, "community": need.community, "need": need})


@login_required
def need_detail(request, need_id: int):
    """A need with its claims: who claimed, their commitment, in progress or fulfilled."""
    policies.require("communities.open_staff_pages", request.user)
    need = selectors.staff_need_get(user=request.user, need_id=need_id)
    can_manage = policies.allowed("communities.manage_community", request.user, need.community)
    # The claims are prefetched: whether nobody has claimed yet costs no query.
    can_unpublish = need.status == ServiceNeed.Status.PUBLISHED and not need.claims.all()
    context = {"need": need, "can_manage": can_manage, "can_unpublish": can_unpublish}
    return render(request, "services/staff_need_detail.html", context)


NEED_ACTIONS = {
    "publish": (lambda user, pk: services.need_publish(user=user, need_id=pk), _("Published.")),
    "unpublish": (
        lambda user, pk: services.need_publish_undo(user=user, need_id=pk),
        _("Taken back to a draft: it is no longer on the boards."),
    ),
    "fulfil": (lambda user, pk: services.need_close(user=user, need_id=pk, fulfilled=True), _("Marked fulfilled.")),
    "close": (lambda user, pk: services.need_close(user=user, need_id=pk, fulfilled=False), _("Closed.")),
    "copy": (lambda user, pk: services.need_copy(user=user, need_id=pk), _("Copied as a new draft.")),
    "delete": (lambda user, pk: services.need_delete(user=user, need_id=pk), _("Deleted.")),
}


@login_required
@require_POST
def need_action(request, need_id: int, action: str):
    """Publish, fulfil, close, copy or delete: each one service call, refused outside the community."""
    if action not in NEED_ACTIONS:
        raise Http404
    need = selectors.staff_need_get(user=request.user, need_id=need_id)
    operation, done = NEED_ACTIONS[action]
    try:
        result = operation(request.user, need.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("services:staff-need-detail", need_id=need.pk)
    messages.success(request, str(done))
    if action == "delete":
        return redirect("services:staff-need-list")
    return redirect("services:staff-need-detail", need_id=result.pk)


@login_required
def record_queue(request):
    """Service records awaiting verification in the user's communities, oldest first, each with how long it
    has waited and what is unusual about it."""
    policies.require("communities.open_staff_pages", request.user)
    page = paginate(request, selectors.record_queue(user=request.user))
    for record in page:
        record.can_manage = policies.allowed("communities.manage_community", request.user, record.community)
        record.warnings = selectors.record_warnings(record)
        record.marks = marks.labels(selectors.RECORD_QUEUE, record)
    return render(request, "services/staff_record_queue.html", {"page": page, "reject_form": RejectForm()})


def _record_decided(request, record, message: str, error: str | None = None):
    """With htmx, the record's row is replaced by its new state; without JavaScript, back to the queue."""
    if request.htmx:
        record.refresh_from_db()
        record.can_manage = True
        return render(request, "services/partials/record_row.html", {"record": record, "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect(next_url(request, reverse("services:staff-record-queue")))


@login_required
@require_POST
def record_verify(request, record_id: int):
    record = selectors.record_get_for_staff(user=request.user, record_id=record_id)
    try:
        services.record_verify(user=request.user, record_id=record.pk)
    except ValidationError as error:
        return _record_decided(request, record, "", " ".join(error.messages))
    return _record_decided(request, record, _("Verified: the hours count for %(name)s.") % {"name": record.member.name})


@login_required
@require_POST
def record_reject(request, record_id: int):
    record = selectors.record_get_for_staff(user=request.user, record_id=record_id)
    form = RejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.record_reject(user=request.user, record_id=record.pk, reason=reason)
    except ValidationError as error:
        return _record_decided(request, record, "", " ".join(error.messages))
    return _record_decided(request, record, _("Returned to %(name)s.") % {"name": record.member.name})


@login_required
def dashboard(request):
    """The field reports' figures for a chosen period, for the communities in the user's scope."""
    policies.require("communities.open_staff_pages", request.user)
    start, end = PeriodForm.this_year()
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    communities = Community.objects.visible_to(request.user)
    figures = selectors.community_dashboard(communities=communities, start=start, end=end)
    # Other apps' tiles (the teams: services.teams), after the dashboard's own.
    figures["tiles"] = tiles.figures_for("staff_dashboard", communities=communities, start=start, end=end)
    series = selectors.community_dashboard_series(communities=communities, start=start, end=end)
    if request.GET.get("export") == "xlsx":
        return _dashboard_export(request, figures, series, start, end)
    context = {
        "form": form,
        "figures": figures,
        "start": start,
        "end": end,
        "charts": _dashboard_charts(series),
        "export_query": urlencode({**request.GET.dict(), "export": "xlsx"}),
    }
    return render(request, "services/staff_dashboard.html", context)


def _dashboard_charts(series: dict) -> list:
    """The dashboard's charts, laid out from the selector's series (no figure is computed here)."""
    months = [(f"{month:%Y-%m}", hours, posted) for month, hours, _records, posted in series["by_month"]]
    # Under a column: the month, with its year where the year starts (and on the first column).
    short = [
        (
            _("%(month)s mo.") % {"month": month.month},
            _("%(year)s yr.") % {"year": month.year} if index == 0 or month.month == 1 else "",
        )
        for index, (month, *_rest) in enumerate(series["by_month"])
    ]
    charts = [
        charts_module.column_chart(
            key="hours-by-month",
            title=_("Verified hours of service by month"),
            description=_("One column per month of the period: the verified hours of service served that month."),
            unit=_("h"),
            points=[(label, hours) for label, hours, _posted in months],
            label_header=_("Month"),
            short_labels=short,
        ),
        charts_module.column_chart(
            key="needs-by-month",
            title=_("Needs posted by month"),
            description=_("One column per month of the period: the needs published that month."),
            unit=_("needs"),
            points=[(label, posted) for label, _hours, posted in months],
            label_header=_("Month"),
            short_labels=short,
        ),
    ]
    if len(series["by_community"]) > 1:
        charts.append(
            charts_module.bar_chart(
                key="hours-by-community",
                title=_("Verified hours of service by community"),
                description=_("One bar per community, most hours first: the verified hours served in the period."),
                unit=_("h"),
                rows=[(name, hours) for name, hours, _records in series["by_community"]],
                label_header=_("Community"),
            )
        )
    return charts


def _dashboard_export(request, figures: dict, series: dict, start, end):
    """The dashboard as a sheet: the figures, then by month, then by community, each row with its unit."""
    hours, needs, records = _("h"), _("needs"), _("records")
    rows = [
        [_("Members reported here"), figures["members_reported"], _("people")],
        [_("Needs posted"), figures["needs_posted"], needs],
        [_("Claims made"), figures["claims_made"], _("claims")],
        [_("Needs fulfilled"), figures["needs_fulfilled"], needs],
        [_("Service records"), figures["records"], records],
        [_("Hours of service"), figures["hours"], hours],
        *([label, value, records] for label, value in figures["outcomes"]),
    ]
    for month, month_hours, month_records, posted in series["by_month"]:
        label = f"{month:%Y-%m}"
        rows += [
            [f"{label} {_('Hours of service')}", month_hours, hours],
            [f"{label} {_('Service records')}", month_records, records],
            [f"{label} {_('Needs posted')}", posted, needs],
        ]
    for name, community_hours, community_records in series["by_community"]:
        rows += [
            [f"{name} {_('Hours of service')}", community_hours, hours],
            [f"{name} {_('Service records')}", community_records, records],
        ]
    return xlsx_export(
        user=request.user,
        kind="dashboard",
        title=_("Figures of the field reports"),
        header=[_("Figure"), _("Value"), _("Unit")],
        rows=rows,
        filters={"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"},
        place=scope_place(request.user),
        period=date_period(start, end),
    )
