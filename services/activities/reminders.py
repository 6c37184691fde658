"""The activities' reminder: the day before an activity, each member with a place is reminded, once per member
and activity (kind "activity-tomorrow", period "activity:<id>", recipient "user:<id>")."""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.notifications import Message, Reminder, not_yet_reminded, remind_many
from communities.reminders import day_start, pk_batches, resolve_now, user_key

from .models import Activity, SignUp

ACTIVITY_TOMORROW = "activity-tomorrow"


def signups_for_tomorrow(*, now):
    """The places on published activities that start on the day after `now`'s (local) day."""
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    return SignUp.objects.filter(
        status=SignUp.Status.SIGNED_UP,
        activity__status=Activity.Status.PUBLISHED,
        activity__starts_at__gte=day_start(tomorrow),
        activity__starts_at__lt=day_start(tomorrow + datetime.timedelta(days=1)),
        member__user__is_active=True,
    )


def remind_activities_tomorrow(*, now=None) -> int:
    """Remind each member with a place on tomorrow's activities, in their inbox, once per activity.

    Queries per thousand places: the places, the keys already written among them, then remind_many's two
    multi-row INSERTs."""
    now = resolve_now(now)
    signups = (
        signups_for_tomorrow(now=now)
        .select_related("activity", "member")
        .only("pk", "member__user_id", "activity__title", "activity__place", "activity__starts_at")
    )
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for batch in pk_batches(signups):
            waiting = not_yet_reminded(
                kind=ACTIVITY_TOMORROW,
                items=batch,
                key=lambda signup: (f"activity:{signup.activity_id}", user_key(signup.member.user_id)),
            )
            reminders = []
            for signup in waiting:
                activity = signup.activity
                message = Message(
                    title=_("Tomorrow: %(title)s") % {"title": activity.title},
                    body=_("%(time)s at %(place)s. If you cannot come, cancel so that someone waiting can go.")
                    % {"time": timezone.localtime(activity.starts_at).strftime("%H:%M"), "place": activity.place},
                    link=reverse("activities:detail", args=[activity.pk]),
                    user_id=signup.member.user_id,
                )
                reminders.append(Reminder(
                    period=f"activity:{activity.pk}", recipient=user_key(signup.member.user_id), message=message
                ))
            sent += remind_many(kind=ACTIVITY_TOMORROW, reminders=reminders)
    return sent
