"""Reminders of the residents' requests (on the machinery of communities.reminders):

- overdue: an open request whose first response or resolution limit has passed, its clock running, reminds its
  handler (for a request handed to a team or the property company: the team's leader, the company's contact,
  handler_kinds) once per request per day (kind "request-overdue", period "<date>", recipient
  "user:<id>:request:<id>": the period column holds 20 characters, too few for a request id and a date);
- escalation: once its resolution limit has passed, it goes up to the staff of its community once per request
  (kind "request-escalated", period "request:<id>"); a request with no handler yet goes up as soon as its first
  response is late.
"""

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.models import StaffAssignment
from communities.notifications import Message, Reminder, not_yet_reminded, remind_many
from communities.reminders import pk_batches, resolve_now, staff_by_place, user_key

from . import handler_kinds
from .models import ResidentRequest
from .workflow import CLOCK_RUNS

OVERDUE = "request-overdue"
ESCALATED = "request-escalated"


def overdue_for_handler(*, now):
    """Open requests with a handler, clock running, past a limit (first response not given in time, or resolution)."""
    late = Q(resolution_due_at__lt=now) | Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
    handled = Q(handler__isnull=False, handler__is_active=True) | ~Q(handler_kind="")
    return ResidentRequest.objects.filter(state__in=CLOCK_RUNS).filter(handled).filter(late)


def due_for_escalation(*, now):
    late = Q(resolution_due_at__lt=now) | Q(handler__isnull=True, handler_kind="", first_response_due_at__lt=now)
    return ResidentRequest.objects.filter(state__in=CLOCK_RUNS).filter(late)


def _message(request_obj, *, user_id, title):
    return Message(
        title=title,
        body=_("%(category)s, received %(received)s, due %(due)s.") % {
            "category": request_obj.get_category_display(),
            "received": timezone.localtime(request_obj.received_at).strftime("%Y-%m-%d %H:%M"),
            "due": timezone.localtime(request_obj.resolution_due_at).strftime("%Y-%m-%d %H:%M"),
        },
        link=reverse("resident_requests:detail", args=[request_obj.pk]),
        user_id=user_id,
    )


def _handler_key(request_obj, user_id) -> str:
    return f"{user_key(user_id)}:request:{request_obj.pk}"


def _recipients(batch) -> list[tuple]:
    """(request, user id) pairs: the handler, or each contact of the body handling it (one query per kind)."""
    by_kind: dict[str, set] = {}
    for item in batch:
        if item.handler_id is None:
            by_kind.setdefault(item.handler_kind, set()).add(item.handler_body_id)
    contacts = {}
    for key, ids in by_kind.items():
        kind = handler_kinds.get(key)
        if kind is not None:
            contacts[key] = kind.contacts(ids)
    pairs = []
    for item in batch:
        if item.handler_id is not None:
            pairs.append((item, item.handler_id))
        else:
            pairs += [(item, user_id) for user_id in contacts.get(item.handler_kind, {}).get(item.handler_body_id, [])]
    return pairs


def remind_overdue_handlers(*, now=None) -> int:
    now = resolve_now(now)
    day = timezone.localdate(now).isoformat()
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for batch in pk_batches(overdue_for_handler(now=now)):
            waiting = not_yet_reminded(kind=OVERDUE, items=_recipients(batch),
                                       key=lambda pair: (day, _handler_key(*pair)))
            reminders = [
                Reminder(
                    period=day,
                    recipient=_handler_key(item, user_id),
                    message=_message(item, user_id=user_id,
                                     title=_("Request #%(id)d is overdue") % {"id": item.pk}),
                )
                for item, user_id in waiting
            ]
            sent += remind_many(kind=OVERDUE, reminders=reminders)
    return sent


def escalate_overdue(*, now=None) -> int:
    now = resolve_now(now)
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for batch in pk_batches(due_for_escalation(now=now)):
            staff = staff_by_place(
                role=StaffAssignment.Role.COMMUNITY_STAFF, place_field="community",
                place_ids={item.community_id for item in batch},
            )
            pairs = [(item, user) for item in batch for user in staff.get(item.community_id, [])]
            waiting = not_yet_reminded(
                kind=ESCALATED, items=pairs, key=lambda pair: (f"request:{pair[0].pk}", user_key(pair[1].pk))
            )
            reminders = [
                Reminder(
                    period=f"request:{item.pk}",
                    recipient=user_key(user.pk),
                    message=_message(item, user_id=user.pk,
                                     title=_("Request #%(id)d is past its limit") % {"id": item.pk}),
                )
                for item, user in waiting
            ]
            sent += remind_many(kind=ESCALATED, reminders=reminders)
    return sent
