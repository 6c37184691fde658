"""The council's states and the changes allowed between them, declared as tables (as Signalen's
ALLOWED_STATUS_CHANGES): services check every change against them, tests walk them as a whole."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class TopicStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    SCHEDULED = "scheduled", _("on a meeting's agenda")
    RESOLVED = "resolved", _("resolution passed")
    REJECTED = "rejected", _("not passed")
    DEFERRED = "deferred", _("deferred")
    WITHDRAWN = "withdrawn", _("withdrawn")


class MeetingStatus(models.TextChoices):
    ANNOUNCED = "announced", _("announced")
    HELD = "held", _("held")
    CANCELLED = "cancelled", _("cancelled")


class ResolutionStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("being carried out")
    DONE = "done", _("done, awaiting acceptance")
    SENT_BACK = "sent_back", _("sent back")
    ACCEPTED = "accepted", _("accepted by the residents")


TOPIC_CHANGES = {
    TopicStatus.PROPOSED: {TopicStatus.SCHEDULED, TopicStatus.WITHDRAWN},
    # A cancelled meeting puts its topics back; a held one decides each: passed, not passed or deferred.
    TopicStatus.SCHEDULED: {TopicStatus.PROPOSED, TopicStatus.RESOLVED, TopicStatus.REJECTED, TopicStatus.DEFERRED},
    TopicStatus.DEFERRED: {TopicStatus.SCHEDULED, TopicStatus.WITHDRAWN},
    TopicStatus.RESOLVED: set(),
    TopicStatus.REJECTED: set(),
    TopicStatus.WITHDRAWN: set(),
}

MEETING_CHANGES = {
    MeetingStatus.ANNOUNCED: {MeetingStatus.HELD, MeetingStatus.CANCELLED},
    MeetingStatus.HELD: set(),
    MeetingStatus.CANCELLED: set(),
}

# Progress below 100 % keeps (or puts back) a resolution in progress; 100 % reports it done; the residents'
# representatives accept it or send it back with a reason, and the executor carries on from there.
RESOLUTION_CHANGES = {
    ResolutionStatus.IN_PROGRESS: {ResolutionStatus.IN_PROGRESS, ResolutionStatus.DONE},
    ResolutionStatus.DONE: {ResolutionStatus.ACCEPTED, ResolutionStatus.SENT_BACK},
    ResolutionStatus.SENT_BACK: {ResolutionStatus.IN_PROGRESS, ResolutionStatus.DONE},
    ResolutionStatus.ACCEPTED: set(),
}

TABLES = {TopicStatus: TOPIC_CHANGES, MeetingStatus: MEETING_CHANGES, ResolutionStatus: RESOLUTION_CHANGES}
# Topics that may go on a meeting's agenda.
SCHEDULABLE = frozenset({TopicStatus.PROPOSED, TopicStatus.DEFERRED})
# Resolutions still to be carried out: the executor reports progress, the reminders run.
OPEN_RESOLUTIONS = frozenset({ResolutionStatus.IN_PROGRESS, ResolutionStatus.SENT_BACK})


def allowed(kind, current, new) -> bool:
    return new in TABLES[kind][kind(current)]


def change(obj, kind, new) -> None:
    """Set obj.status to `new` if the table of `kind` allows it (the caller saves). Raises ValidationError."""
    if not allowed(kind, obj.status, new):
        raise ValidationError(
            gettext("Something that is %(current)s cannot become %(new)s.")
            % {"current": kind(obj.status).label, "new": kind(new).label}
        )
    obj.status = new
