"""Writes of the residents' requests: raise or record, change state (against the declared table), reopen, rate;
assign building heads, record their visits. Each is one transaction and writes its events and audit entries."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.audit import audit
from communities.grid.models import Building, GridWorker
from communities.models import StaffAssignment
from communities.notifications import Channel as NotificationChannel
from communities.notifications import notify
from communities.platform import policies
from registration.models import Member, Report
from services.services import need_create

from . import handler_kinds
from .audit_actions import Action
from .conf import setting
from .models import BuildingHead, BuildingVisit, Category, Channel, RequestEvent, ResidentRequest, Satisfaction
from .workflow import CLOSED, State, allowed

REQUEST_UPDATE = "request-update"
REQUEST_ASSIGNED = "request-assigned"


def limit_days(category: str) -> int:
    return setting("RESIDENT_REQUEST_LIMIT_DAYS")[category]


def due_times(*, category: str, start: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """(first response due, resolution due) for a request of `category` whose clocks start at `start`."""
    first = start + datetime.timedelta(days=setting("RESIDENT_REQUEST_FIRST_RESPONSE_DAYS"))
    resolution = start + datetime.timedelta(days=limit_days(category))
    return min(first, resolution), resolution


def _event(request_obj, *, state, note, actor, now):
    return RequestEvent.objects.create(request=request_obj, state=state, note=note, actor=actor, occurred_at=now)


def _tell_resident(request_obj, *, title: str):
    """An SMS with the tracking link, when the resident left a phone."""
    if request_obj.phone:
        notify(
            kind=REQUEST_UPDATE,
            title=title,
            link=reverse("resident_requests:track", args=[request_obj.token]),
            phone=request_obj.phone,
            channels=(NotificationChannel.SMS,),
        )


@transaction.atomic
def request_raise(*, community, category, text, building=None, phone="", channel=Channel.PUBLIC_PAGE,
                  recorded_by=None, now=None) -> ResidentRequest:
    """Receive a request: from the public page (no login, a phone for the answer) or recorded on a resident's
    behalf (recorded_by; the phone may be missing: the handler calls the resident back to confirm). Starts both
    clocks."""
    now = now or timezone.now()
    errors = {}
    if category not in Category.values:
        errors["category"] = _("Choose a category.")
    if not text.strip():
        errors["text"] = _("Say what it is about.")
    if building is not None and building.grid.community_id != community.pk:
        errors["building"] = _("Choose a building of this community.")
    if channel == Channel.PUBLIC_PAGE and not phone:
        errors["phone"] = _("Give a mobile phone number for the answer.")
    if errors:
        raise ValidationError(errors)
    if channel != Channel.PUBLIC_PAGE:
        if recorded_by is None:
            raise PermissionDenied
        policies.require("resident_requests.record_request", recorded_by)
    first_due, resolution_due = due_times(category=category, start=now)
    request_obj = ResidentRequest.objects.create(
        community=community,
        grid_id=building.grid_id if building is not None else None,
        building=building,
        category=category,
        text=text.strip(),
        phone=phone,
        channel=channel,
        recorded_by=recorded_by,
        state=State.RECEIVED,
        token=ResidentRequest.new_token(),
        received_at=now,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
    )
    _event(request_obj, state=State.RECEIVED, note=_("Your request was received."), actor=recorded_by, now=now)
    audit(action=Action.REQUEST_RECORD, user=recorded_by, obj=request_obj, detail={"channel": channel})
    return request_obj


def handler_choices(*, request_obj):
    """Who may be made the handler: the community's staff, the grid workers of its areas, the building heads of its
    buildings (their member accounts). A queryset of active users."""
    community_id = request_obj.community_id
    staff = StaffAssignment.objects.filter(
        role=StaffAssignment.Role.COMMUNITY_STAFF, community_id=community_id
    ).values("user_id")
    workers = GridWorker.objects.filter(grid__community_id=community_id).values("user_id")
    heads = BuildingHead.objects.filter(building__grid__community_id=community_id).values("member__user_id")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=staff) | Q(pk__in=workers) | Q(pk__in=heads))
        .order_by("full_name", "username")
    )


def handler_options(*, request_obj) -> list[tuple[str, str]]:
    """Every handler a request may be handed to, as (value, label) for a form: the people of handler_choices
    ("<id>") and the bodies of each registered kind for the request's community ("<kind>:<id>")."""
    options = [(str(user.pk), str(user)) for user in handler_choices(request_obj=request_obj)]
    for kind in handler_kinds.kinds():
        bodies = kind.bodies_of_community(request_obj.community_id).order_by("name", "pk").values_list("pk", "name")
        options += [(f"{kind.key}:{pk}", f"{kind.label}: {name}") for pk, name in bodies]
    return options


def handler_body_valid(*, request_obj, handler_body) -> bool:
    """Whether (kind, body id) names a body a request of this community may be handed to."""
    key, body_id = handler_body
    kind = handler_kinds.get(key)
    return kind is not None and kind.bodies_of_community(request_obj.community_id).filter(pk=body_id).exists()


def contacts_of(request_obj) -> list:
    """Who is told of the request's news: its handler, or the (active) leader or contact of its body."""
    if request_obj.handler_id is not None:
        return [request_obj.handler]
    kind = handler_kinds.get(request_obj.handler_kind)
    if kind is None:
        return []
    user_ids = kind.contacts([request_obj.handler_body_id]).get(request_obj.handler_body_id, [])
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


@transaction.atomic
def request_change(*, request_id: int, to: str, note: str, actor, handler=None, handler_body=None,
                   now=None) -> ResidentRequest:
    """Move a request to the state `to` with a public note, if the declared table allows it and the actor may.
    Accepting names the handler (reassigning is accepting again): a person (`handler`) or a body
    (`handler_body`: (kind, body id), handler_kinds) whose leader or contact then acts for it. Keeps the clocks: the
    first change out of received is the first response; waiting for the resident stops both clocks, leaving it moves
    the resolution limit by the time waited; a closing state stamps the closing time."""
    now = now or timezone.now()
    # of=("self",): the grid is the nullable side of an outer join, which PostgreSQL does not lock.
    request_obj = (
        ResidentRequest.objects.select_for_update(of=("self",)).select_related("community", "grid").get(pk=request_id)
    )
    if to == State.REOPENED:
        raise PermissionDenied  # only the resident reopens (request_reopen)
    if to == State.ACCEPTED:
        policies.require("resident_requests.assign_request", actor, request_obj)
    else:
        policies.require("resident_requests.handle_request", actor, request_obj)
    if to not in State.values or not allowed(request_obj.state, to):
        raise ValidationError({"to": _("A request that is %(state)s cannot be moved there.")
                               % {"state": request_obj.get_state_display()}})
    if not note.strip():
        raise ValidationError({"note": _("Write the note the resident will read.")})
    if to == State.ACCEPTED:
        if handler_body is not None and handler is None:
            if not handler_body_valid(request_obj=request_obj, handler_body=handler_body):
                raise ValidationError({"handler": _("Choose a handler of this community.")})
            request_obj.handler = None
            request_obj.handler_kind, request_obj.handler_body_id = handler_body
        else:
            if handler is None or not handler_choices(request_obj=request_obj).filter(pk=handler.pk).exists():
                raise ValidationError({"handler": _("Choose a handler of this community.")})
            request_obj.handler = handler
            request_obj.handler_kind, request_obj.handler_body_id = "", None
    if request_obj.state == State.WAITING:
        request_obj.resolution_due_at += now - request_obj.clock_stopped_at
        request_obj.clock_stopped_at = None
    if to == State.WAITING:
        request_obj.clock_stopped_at = now
    if request_obj.first_responded_at is None:
        request_obj.first_responded_at = now
    if to in CLOSED:
        request_obj.resolved_at = now
    request_obj.state = to
    request_obj.save()
    _event(request_obj, state=to, note=note.strip(), actor=actor, now=now)
    audit(action=Action.REQUEST_CHANGE, user=actor, obj=request_obj, detail={"to": to})
    with translation.override(settings.LANGUAGE_CODE):
        if to == State.ACCEPTED:
            for user in contacts_of(request_obj):
                if user.pk != actor.pk:
                    notify(
                        kind=REQUEST_ASSIGNED,
                        title=_("A resident's request was assigned to you"),
                        link=reverse("resident_requests:detail", args=[request_obj.pk]),
                        user=user,
                    )
        if to in CLOSED or to == State.WAITING:
            _tell_resident(request_obj, title=_("Your request has an answer: %(state)s")
                           % {"state": request_obj.get_state_display()})
    return request_obj


def reopen_refusal(request_obj, *, now) -> str:
    """Why the resident may not reopen it now, or "" if they may."""
    if request_obj.state not in (State.RESOLVED, State.ANSWERED):
        return _("Only a resolved or answered request can be reopened.")
    if request_obj.reopened_count >= setting("RESIDENT_REQUEST_MAX_REOPENINGS"):
        return _("This request was reopened already.")
    if now - request_obj.resolved_at > datetime.timedelta(days=setting("RESIDENT_REQUEST_REOPEN_DAYS")):
        return _("It closed more than %(days)d days ago.") % {"days": setting("RESIDENT_REQUEST_REOPEN_DAYS")}
    return ""


def _reopen(request_obj, *, note, now):
    refusal = reopen_refusal(request_obj, now=now)
    if refusal:
        raise ValidationError(refusal)
    request_obj.state = State.REOPENED
    request_obj.reopened_count += 1
    request_obj.resolved_at = None
    # The resolution clock starts again with the category's limit; the rating was of the outcome just reopened.
    request_obj.resolution_due_at = now + datetime.timedelta(days=limit_days(request_obj.category))
    request_obj.satisfaction, request_obj.rated_at = "", None
    request_obj.save()
    _event(request_obj, state=State.REOPENED, note=note, actor=None, now=now)
    audit(action=Action.REQUEST_REOPEN, user=None, obj=request_obj)
    with translation.override(settings.LANGUAGE_CODE):
        for user in contacts_of(request_obj):
            notify(
                kind=REQUEST_UPDATE,
                title=_("A resident reopened request #%(id)d") % {"id": request_obj.pk},
                link=reverse("resident_requests:detail", args=[request_obj.pk]),
                user=user,
            )


@transaction.atomic
def request_reopen(*, token: str, note: str, now=None) -> ResidentRequest:
    """The resident reopens a resolved or answered request from the tracking page: within the reopening window
    after it closed, once."""
    now = now or timezone.now()
    request_obj = ResidentRequest.objects.select_for_update(of=("self",)).select_related("handler").get(token=token)
    if not note.strip():
        raise ValidationError({"note": _("Say what is still wrong.")})
    _reopen(request_obj, note=note.strip(), now=now)
    return request_obj


@transaction.atomic
def request_rate(*, token: str, satisfaction: str, note: str = "", now=None) -> ResidentRequest:
    """The resident rates the outcome of a resolved or answered request. An unsatisfied rating reopens it when it
    still may be reopened; otherwise it stays as the rating."""
    now = now or timezone.now()
    request_obj = ResidentRequest.objects.select_for_update(of=("self",)).select_related("handler").get(token=token)
    if request_obj.state not in (State.RESOLVED, State.ANSWERED):
        raise ValidationError(_("Only a resolved or answered request can be rated."))
    if request_obj.satisfaction:
        raise ValidationError(_("You rated this outcome already."))
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Choose how satisfied you are.")})
    if satisfaction == Satisfaction.UNSATISFIED and not reopen_refusal(request_obj, now=now):
        _reopen(request_obj, note=note.strip() or _("The resident is not satisfied."), now=now)
        return request_obj
    request_obj.satisfaction, request_obj.rated_at = satisfaction, now
    request_obj.save(update_fields=["satisfaction", "rated_at"])
    audit(action=Action.REQUEST_RATE, user=None, obj=request_obj, detail={"satisfaction": satisfaction})
    return request_obj


@transaction.atomic
def request_to_need(*, request_id: int, actor, skills=(), **need_values):
    """Post a draft need for members from an open request (services.need_create decides what a need may be), link
    them both ways, and tell the resident in a public note. Only the staff of the request's community."""
    request_obj = ResidentRequest.objects.select_for_update(of=("self",)).select_related("community").get(pk=request_id)
    policies.require("communities.manage_community", actor, request_obj.community)
    if request_obj.is_closed:
        raise ValidationError(_("A closed request cannot become a need."))
    if request_obj.need_id is not None:
        raise ValidationError(_("This request is on the needs list already."))
    need = need_create(user=actor, community=request_obj.community, skills=skills, **need_values)
    request_obj.need = need
    request_obj.save(update_fields=["need"])
    _event(request_obj, state=request_obj.state, actor=actor, now=timezone.now(),
           note=_("The community asked its Party members to help: %(title)s") % {"title": need.title})
    audit(action=Action.REQUEST_TO_NEED, user=actor, obj=request_obj, detail={"need": need.pk})
    return need


# --- Building heads -------------------------------------------------------------------------------------------


def confirmed_members_of(*, community):
    """Members whose confirmed report is with this community: who may head its buildings."""
    return Member.objects.filter(
        reports__community=community, reports__status=Report.Status.CONFIRMED, user__is_active=True
    ).order_by("name", "pk")


@transaction.atomic
def building_head_assign(*, building_id: int, member_id: int, by) -> BuildingHead:
    """Make a confirmed member of the building's community its head (replacing the head it had)."""
    building = Building.objects.select_related("grid__community").select_for_update(of=("self",)).get(pk=building_id)
    community = building.grid.community
    policies.require("resident_requests.assign_building_head", by)
    policies.require("communities.manage_community", by, community)
    member = confirmed_members_of(community=community).filter(pk=member_id).first()
    if member is None:
        raise ValidationError({"member": _("Choose a member whose report to this community is confirmed.")})
    BuildingHead.objects.filter(building=building).delete()
    head = BuildingHead.objects.create(building=building, member=member, assigned_by=by)
    audit(action=Action.BUILDING_HEAD_ASSIGN, user=by, obj=head, detail={"building": building.pk})
    return head


@transaction.atomic
def building_visit_record(*, building_id: int, head_user, visited_on, household: str, found: str,
                          problem_found: bool, now=None) -> BuildingVisit:
    building = Building.objects.get(pk=building_id)
    policies.require("resident_requests.record_visit", head_user, building)
    today = timezone.localdate(now or timezone.now())
    if visited_on > today:
        raise ValidationError({"visited_on": _("A visit cannot be in the future.")})
    if not household.strip():
        raise ValidationError({"household": _("Name the household visited.")})
    visit = BuildingVisit.objects.create(
        building=building,
        head=head_user.member,
        visited_on=visited_on,
        household=household.strip(),
        found=found.strip(),
        problem_found=problem_found,
    )
    audit(action=Action.BUILDING_VISIT_RECORD, user=head_user, obj=visit)
    return visit
