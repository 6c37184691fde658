"""Reminders of the residents' requests (on the machinery of communities.reminders):

- overdue: an open request whose first response or resolution limit has passed, its clock running, reminds its
  handler once per request per day (kind "request-overdue", period "<date>", recipient "user:<id>:request:<id>": the
  period column holds 20 characters, too few for a request id and a date);
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

from .models import ResidentRequest
from .workflow import CLOCK_RUNS

OVERDUE = "request-overdue"
ESCALATED = "request-escalated"


def overdue_for_handler(*, now):
    """Open requests with a handler, clock running, past a limit (first response not given in time, or resolution)."""
    late = Q(resolution_due_at__lt=now) | Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
    return ResidentRequest.objects.filter(state__in=CLOCK_RUNS, handler__isnull=False, handler__is_active=True).filter(
        late
    )


def due_for_escalation(*, now):
    late = Q(resolution_due_at__lt=now) | Q(handler__isnull=True, first_response_due_at__lt=now)
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


def _handler_key(request_obj) -> str:
    return f"{user_key(request_obj.handler_id)}:request:{request_obj.pk}"


def remind_overdue_handlers(*, now=None) -> int:
    now = resolve_now(now)
    day = timezone.localdate(now).isoformat()
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for batch in pk_batches(overdue_for_handler(now=now)):
            waiting = not_yet_reminded(kind=OVERDUE, items=batch, key=lambda item: (day, _handler_key(item)))
            reminders = [
                Reminder(
                    period=day,
                    recipient=_handler_key(item),
                    message=_message(item, user_id=item.handler_id,
                                     title=_("Request #%(id)d is overdue") % {"id": item.pk}),
                )
                for item in waiting
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
