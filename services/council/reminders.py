"""Reminders of the council's resolutions (on the machinery of communities.reminders):

- executor: a resolution still to be carried out (in progress or sent back) reminds its executor (the person named,
  or the contact of the company) from COUNCIL_DUE_SOON_DAYS before its due date, and every day once it is overdue;
  once per resolution per day (kind "council-due", period "<date>", recipient "user:<id>:resolution:<id>");
- street: after its due date, the street staff of its community's street are told once per resolution (kind
  "council-overdue", period "resolution:<id>").
"""

import datetime

from django.conf import settings
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.models import StaffAssignment
from communities.notifications import Message, Reminder, not_yet_reminded, remind_many
from communities.reminders import pk_batches, resolve_now, staff_by_place, user_key

from .conf import setting
from .models import Resolution

DUE = "council-due"
OVERDUE = "council-overdue"


def due_for_executor(*, today: datetime.date):
    soon = today + datetime.timedelta(days=setting("COUNCIL_DUE_SOON_DAYS"))
    return (
        Resolution.objects.open()
        .filter(due_on__lte=soon)
        .filter(Q(executor_user__is_active=True) | Q(executor_company__contact__is_active=True))
        .annotate(executor_id=F("executor_user_id"), contact_id=F("executor_company__contact_id"))
        .select_related("topic")
    )


def overdue(*, today: datetime.date):
    return Resolution.objects.open().filter(due_on__lt=today).select_related("topic", "council__community")


def _message(resolution, *, user_id, title):
    return Message(
        title=title,
        body=_("%(topic)s, due %(due)s, %(percent)d%% done.") % {
            "topic": resolution.topic.title, "due": resolution.due_on.isoformat(), "percent": resolution.percent},
        link=reverse("council:resolution", args=[resolution.pk]),
        user_id=user_id,
    )


def _executor_key(resolution, user_id) -> str:
    return f"{user_key(user_id)}:resolution:{resolution.pk}"


def remind_executors(*, now=None) -> int:
    now = resolve_now(now)
    today = timezone.localdate(now)
    day = today.isoformat()
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for batch in pk_batches(due_for_executor(today=today)):
            pairs = [(item, item.executor_id or item.contact_id) for item in batch]
            waiting = not_yet_reminded(kind=DUE, items=pairs, key=lambda pair: (day, _executor_key(*pair)))
            reminders = [
                Reminder(
                    period=day,
                    recipient=_executor_key(item, user_id),
                    message=_message(item, user_id=user_id, title=(
                        _("A council resolution is overdue") if item.due_on < today
                        else _("A council resolution is due on %(due)s") % {"due": item.due_on.isoformat()})),
                )
                for item, user_id in waiting
            ]
            sent += remind_many(kind=DUE, reminders=reminders)
    return sent


def escalate_to_street(*, now=None) -> int:
    now = resolve_now(now)
    today = timezone.localdate(now)
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for batch in pk_batches(overdue(today=today)):
            staff = staff_by_place(role=StaffAssignment.Role.STREET_STAFF, place_field="street",
                                   place_ids={item.council.community.street_id for item in batch})
            pairs = [(item, user) for item in batch for user in staff.get(item.council.community.street_id, [])]
            waiting = not_yet_reminded(
                kind=OVERDUE, items=pairs, key=lambda pair: (f"resolution:{pair[0].pk}", user_key(pair[1].pk)))
            reminders = [
                Reminder(
                    period=f"resolution:{item.pk}",
                    recipient=user_key(user.pk),
                    message=_message(item, user_id=user.pk, title=_("%(community)s: a council resolution is past "
                                                                    "its due date")
                                     % {"community": item.council.community.name}),
                )
                for item, user in waiting
            ]
            sent += remind_many(kind=OVERDUE, reminders=reminders)
    return sent
