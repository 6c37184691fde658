"""Pages of the residents' requests: the public page and the tracking page (no login), the handlers' queue and
request page, recording on a resident's behalf, the figures, the buildings and their heads, the building head's page."""

import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from communities.grid.models import Building, grid_ids_of
from communities.models import Community
from communities.phone_codes.codes import CodeRefused, Purpose, code_check, code_send
from communities.platform import policies
from communities.platform.web import apply_service_errors, paginate
from registration.identity import mask_phone
from services.forms import NeedForm
from services.services import NEED_FIELDS

from . import handler_kinds, selectors, services
from .conf import setting
from .forms import AssignHeadForm, ChangeForm, PeriodForm, RaiseForm, RateForm, RecordForm, ReopenForm, VisitForm
from .models import BuildingHead, Channel, building_ids_headed_by
from .ratelimit import raise_allowed
from .signals import body_contact_user_ids, head_user_ids, rebuild_body_contacts
from .signals import rebuild as rebuild_head_user_ids
from .workflow import ALLOWED_CHANGES, RESIDENT_CHANGES, State

# The figures on the public page: the last 30 days.
PUBLIC_FIGURES_DAYS = 30


def _last_days(days: int):
    now = timezone.now()
    return now - datetime.timedelta(days=days), now, now


# --- Residents (no login) --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def public_raise(request, code: str):
    """The community's page for residents: raise a request, and the community's figures (no personal data)."""
    community = get_object_or_404(Community.objects.select_related("street", "district"), code=code)
    verify = bool(setting("RESIDENT_REQUEST_VERIFY_PHONE"))
    form = RaiseForm(request.POST or None, buildings=selectors.buildings_of(community=community), verify_phone=verify)
    if request.method == "POST" and verify and "send_code" in request.POST:
        _send_code(request, form)
    elif request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        code_typed = values.pop("code", "")
        request_obj = None
        if not raise_allowed(request, phone=values["phone"]):
            form.add_error(None, _("Too many requests from here in the last hour. Please try again later."))
        else:
            # The code's use and the request in one commit (a refused request keeps the code spent, as before).
            with transaction.atomic():
                if verify and not code_check(
                    phone=values["phone"], purpose=Purpose.RESIDENT_REQUEST, code=code_typed, request=request
                ):
                    form.add_error("code", _("The code is wrong or has expired. Ask for a new one."))
                else:
                    try:
                        request_obj = services.request_raise(community=community, channel=Channel.PUBLIC_PAGE,
                                                             **values)
                    except ValidationError as error:
                        apply_service_errors(form, error)
        if request_obj is not None:
            return redirect("resident_requests:track", token=request_obj.token)
    start, end, now = _last_days(PUBLIC_FIGURES_DAYS)
    context = {
        "community": community,
        "form": form,
        "figures": selectors.figures(start=start, end=end, now=now, community=community),
        "days": PUBLIC_FIGURES_DAYS,
    }
    return render(request, "resident_requests/public_raise.html", context)


def _send_code(request, form):
    """The "send me a code" button: only the phone is checked; what else was typed stays in the form. The code and
    its limits (per phone, whatever the flow, and per address) are communities.phone_codes', as for the accounts."""
    form.is_valid()  # fills cleaned_data and the errors; only the phone's matter here
    phone = form.cleaned_data.get("phone", "")
    form.errors.clear()
    if not phone:
        form.add_error("phone", _("Enter an 11-digit mobile phone number."))
        return
    try:
        code_send(phone=phone, purpose=Purpose.RESIDENT_REQUEST, request=request)
    except CodeRefused as refused:
        form.add_error("phone", refused.message)
    else:
        messages.success(request, _("A code was sent to %(phone)s.") % {"phone": mask_phone(phone)})


@never_cache
@require_http_methods(["GET", "POST"])
def track(request, token: str):
    """The resident's page of one request, by its unguessable link: the public notes, then rate or reopen."""
    request_obj = selectors.request_get_by_token(token=token)
    action = request.GET.get("action", "")
    # Prefixed: both forms have a note, and two fields with one id would share their labels.
    rate_form = RateForm(request.POST if action == "rate" else None, prefix="rate")
    reopen_form = ReopenForm(request.POST if action == "reopen" else None, prefix="reopen")
    if request.method == "POST":
        form = rate_form if action == "rate" else reopen_form if action == "reopen" else None
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                if action == "rate":
                    services.request_rate(token=token, **form.cleaned_data)
                else:
                    services.request_reopen(token=token, note=form.cleaned_data["note"])
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Thank you. Your answer is recorded."))
                return redirect("resident_requests:track", token=token)
    handler_kinds.attach_names([request_obj])  # the body's name only, never a person's
    now = timezone.now()
    can_rate = request_obj.state in (State.RESOLVED, State.ANSWERED) and not request_obj.satisfaction
    context = {
        "item": request_obj,
        "events": selectors.public_events(request_obj),
        "rate_form": rate_form if can_rate else None,
        "reopen_form": reopen_form if not services.reopen_refusal(request_obj, now=now) else None,
    }
    return render(request, "resident_requests/track.html", context)


# --- Handlers --------------------------------------------------------------------------------------------------


@login_required
def queue(request):
    policies.require("resident_requests.open_queue", request.user)
    state = request.GET.get("state", "open")
    mine = request.GET.get("mine") == "1"
    page = paginate(request, selectors.queue(user=request.user, state=state, mine=mine))
    page.object_list = handler_kinds.attach_names(page.object_list)
    context = {
        "page": page,
        "state": state,
        "mine": mine,
        "states": State.choices,
        "can_record": policies.allowed("resident_requests.record_request", request.user),
    }
    return render(request, "resident_requests/queue.html", context)


@login_required
def my_requests(request):
    """The requests handed to this user (a building head or member handler sees them here)."""
    context = {"page": paginate(request, selectors.queue(user=request.user, state="open", mine=True))}
    return render(request, "resident_requests/mine.html", context)


@login_required
def handed(request):
    """A team's leader, a property company's contact: the requests handed to their team or company."""
    policies.require("resident_requests.open_handed_list", request.user)
    if request.user.pk not in body_contact_user_ids():
        rebuild_body_contacts()  # the tab's cached set had lost this user (a restarted cache)
    state = "closed" if request.GET.get("state") == "closed" else "open"
    page = paginate(request, selectors.handed(user=request.user, state=state))
    page.object_list = handler_kinds.attach_names(page.object_list)
    return render(request, "resident_requests/handed.html", {"page": page, "state": state})


def _change_form(request, request_obj, data=None):
    user = request.user
    targets = [
        value for value in ALLOWED_CHANGES[State(request_obj.state)] if value not in RESIDENT_CHANGES
        and (value != State.ACCEPTED or policies.allowed("resident_requests.assign_request", user, request_obj))
    ]
    if not targets or not policies.allowed("resident_requests.handle_request", user, request_obj):
        return None
    order = list(State.values)
    targets.sort(key=order.index)
    # Only who may accept is offered the handlers (their choices cost a query per kind of body).
    handlers = services.handler_options(request_obj=request_obj) if State.ACCEPTED in targets else []
    form = ChangeForm(data, targets=targets, handlers=handlers)
    form.helper.form_action = reverse("resident_requests:change", args=[request_obj.pk])
    return form


@login_required
def detail(request, request_id: int):
    request_obj = selectors.request_get(user=request.user, request_id=request_id)
    handler_kinds.attach_names([request_obj])
    context = {
        "item": request_obj,
        "phone": request_obj.phone_for(request.user),
        "events": request_obj.events.select_related("actor"),
        "form": _change_form(request, request_obj),
        "can_post_need": not request_obj.is_closed and request_obj.need_id is None
        and policies.allowed("communities.manage_community", request.user, request_obj.community),
    }
    return render(request, "resident_requests/detail.html", context)


@login_required
@require_POST
def change(request, request_id: int):
    request_obj = selectors.request_get(user=request.user, request_id=request_id)
    form = _change_form(request, request_obj, request.POST)
    if form is None:
        raise PermissionDenied
    if form.is_valid():
        chosen, handler, handler_body = form.cleaned_data["handler"], None, None
        if chosen is not None and chosen[0] == "user":
            handler = get_user_model().objects.filter(pk=chosen[1]).first()
        elif chosen is not None:
            handler_body = chosen
        try:
            services.request_change(
                request_id=request_obj.pk, actor=request.user, to=form.cleaned_data["to"],
                note=form.cleaned_data["note"], handler=handler, handler_body=handler_body,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved. The resident sees the note."))
            return redirect("resident_requests:detail", request_id=request_obj.pk)
    handler_kinds.attach_names([request_obj])
    context = {"item": request_obj, "phone": request_obj.phone_for(request.user),
               "events": request_obj.events.select_related("actor"), "form": form}
    return render(request, "resident_requests/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def to_need(request, request_id: int):
    """Staff post the request as a need on the needs list (a draft they publish from the needs pages)."""
    request_obj = selectors.request_get(user=request.user, request_id=request_id)
    if not policies.allowed("communities.manage_community", request.user, request_obj.community):
        raise PermissionDenied
    form = NeedForm(request.POST or None, initial={"description": request_obj.text, "places": 1})
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in NEED_FIELDS}
        try:
            need = services.request_to_need(request_id=request_obj.pk, actor=request.user,
                                            skills=form.cleaned_data["skills"], **values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved as a draft need. Publish it when it is ready."))
            return redirect("services:staff-need-detail", need_id=need.pk)
    return render(request, "resident_requests/to_need.html", {"item": request_obj, "form": form})


def _recording_places(user):
    """The communities and buildings a user records requests for: staff their communities, grid workers their area,
    building heads their buildings."""
    scope = policies.scope_of(user)
    grids = grid_ids_of(user)
    headed = building_ids_headed_by(user)
    buildings = Building.objects.filter(grid__community_id__in=scope.community_ids) | Building.objects.filter(
        grid_id__in=grids
    ) | Building.objects.filter(pk__in=headed)
    communities = Community.objects.filter(pk__in=scope.community_ids) | Community.objects.filter(
        pk__in=buildings.values("grid__community_id")
    )
    return communities.distinct().order_by("code"), buildings.select_related("grid").order_by("grid__name", "name")


@login_required
@require_http_methods(["GET", "POST"])
def record(request):
    """Record a request on a resident's behalf (a resident who called, came by, or has no phone)."""
    policies.require("resident_requests.record_request", request.user)
    communities, buildings = _recording_places(request.user)
    # The form offers only the user's own communities and buildings: a posted id outside them is refused there.
    form = RecordForm(request.POST or None, communities=communities, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        community = values.pop("community")
        channel = Channel.BUILDING_HEAD if building_ids_headed_by(request.user) else Channel.STAFF
        try:
            request_obj = services.request_raise(community=community, channel=channel, recorded_by=request.user,
                                                 **values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Recorded. The resident can follow it with the link below."))
            if policies.allowed("resident_requests.view_request", request.user, request_obj):
                return redirect("resident_requests:detail", request_id=request_obj.pk)
            return redirect("resident_requests:track", token=request_obj.token)
    return render(request, "resident_requests/record.html", {"form": form})


@login_required
def figures_page(request):
    """The figures of each place the user oversees, for a period (this month by default), by category."""
    policies.require("resident_requests.open_queue", request.user)
    today = timezone.localdate()
    form = PeriodForm(request.GET or {"start": today.replace(day=1), "end": today})
    if form.is_valid():
        start_day, end_day = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        start_day, end_day = today.replace(day=1), today
    start = timezone.make_aware(datetime.datetime.combine(start_day, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(end_day + datetime.timedelta(days=1), datetime.time.min))
    now = timezone.now()
    places = selectors.figure_places(user=request.user)
    rows = []
    for kind, place in places:
        where = {kind: place} if place is not None else {}
        rows.append({
            "kind": kind,
            "place": place,
            "total": selectors.figures(start=start, end=end, now=now, **where),
            "by_category": selectors.figures_by_category(start=start, end=end, now=now, **where),
            # Handlers are named for a community only: a street's or district's list would be long and personal.
            "by_handler": selectors.figures_by_handler(start=start, end=end, now=now, **where)
            if kind == "community" else [],
        })
    return render(request, "resident_requests/figures.html", {"form": form, "rows": rows})


# --- Buildings and their heads ---------------------------------------------------------------------------------


@login_required
def buildings(request):
    """Community staff: the buildings of their communities with their heads."""
    policies.require("resident_requests.assign_building_head", request.user)
    community_ids = policies.scope_of(request.user).community_ids
    rows = (
        Building.objects.filter(grid__community_id__in=community_ids)
        .select_related("grid__community")
        .prefetch_related("heads__member")
        .order_by("grid__community__code", "grid__name", "name")
    )
    return render(request, "resident_requests/buildings.html", {"page": paginate(request, rows)})


@login_required
@require_http_methods(["GET", "POST"])
def building_head_assign(request, building_id: int):
    building = get_object_or_404(Building.objects.select_related("grid__community"), pk=building_id)
    community = building.grid.community
    if not policies.allowed("communities.manage_community", request.user, community):
        raise PermissionDenied
    form = AssignHeadForm(request.POST or None, members=services.confirmed_members_of(community=community))
    if request.method == "POST" and form.is_valid():
        try:
            services.building_head_assign(building_id=building.pk, member_id=form.cleaned_data["member"].pk,
                                          by=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The building head is assigned."))
            return redirect("resident_requests:buildings")
    head = BuildingHead.objects.filter(building=building).select_related("member").first()
    return render(request, "resident_requests/building_head_assign.html",
                  {"building": building, "head": head, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def building_head_home(request):
    """The building head's page: their buildings, open requests there, visits and the quarter's coverage."""
    policies.require("resident_requests.open_building_head_page", request.user)
    if request.user.pk not in head_user_ids():
        rebuild_head_user_ids()  # the tab's cached set had lost this head (a restarted cache)
    form = VisitForm(request.POST or None, buildings=selectors.headed_buildings(user=request.user))
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            services.building_visit_record(building_id=values.pop("building").pk, head_user=request.user, **values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The visit is recorded."))
            return redirect("resident_requests:building-head")
    context = {"form": form, **selectors.building_head_page(user=request.user, now=timezone.localdate())}
    return render(request, "resident_requests/building_head.html", context)
