"""An activity's states as a declared table of allowed changes (as Signalen's ALLOWED_STATUS_CHANGES), and the
state it shows: the clock moves a published activity to running at its start and to ended at its end, before
anyone writes the change (the organiser's first scan writes running, closing writes ended)."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Activity

Status = Activity.Status

ALLOWED_CHANGES: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.PUBLISHED, Status.CANCELLED}),
    Status.PUBLISHED: frozenset({Status.RUNNING, Status.CANCELLED}),
    Status.RUNNING: frozenset({Status.ENDED}),
    Status.ENDED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def may_change(current: str, new: str) -> bool:
    return new in ALLOWED_CHANGES[current]


def change(activity: Activity, new: str) -> None:
    """Set the activity's status to `new` if the table allows it (the caller saves). Raises ValidationError."""
    if not may_change(activity.status, new):
        raise ValidationError(
            _("An activity that is %(current)s cannot become %(new)s.")
            % {"current": Status(activity.status).label, "new": Status(new).label}
        )
    activity.status = new


def shown_status(activity: Activity, now: datetime.datetime | None = None) -> str:
    """The status a person sees: a published or running activity whose start has passed shows as running, and
    as ended once its end has passed; draft, cancelled and ended are as stored."""
    now = now or timezone.now()
    if activity.status in (Status.PUBLISHED, Status.RUNNING):
        if now >= activity.ends_at:
            return Status.ENDED
        if now >= activity.starts_at:
            return Status.RUNNING
    return activity.status
