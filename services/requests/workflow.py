"""The states of a resident's request and the changes allowed between them, declared as one table (as Signalen's
ALLOWED_STATUS_CHANGES): services check every change against it, tests walk it as a whole."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    RECEIVED = "received", _("received")
    ACCEPTED = "accepted", _("accepted")
    IN_PROGRESS = "in_progress", _("in progress")
    # Asked the resident for information: both clocks stop until the handler takes it up again.
    WAITING = "waiting", _("waiting for the resident")
    RESOLVED = "resolved", _("resolved")
    # Answered, not resolvable: the reason is the public note; kept apart from resolved in every figure.
    ANSWERED = "answered", _("answered, not resolvable")
    REFERRED = "referred", _("referred to another body")
    DUPLICATE = "duplicate", _("duplicate")
    REOPENED = "reopened", _("reopened")


# Where a request may go from each state. Accepting again from accepted or in progress is a reassignment.
ALLOWED_CHANGES = {
    State.RECEIVED: {State.ACCEPTED, State.ANSWERED, State.REFERRED, State.DUPLICATE},
    State.ACCEPTED: {State.ACCEPTED, State.IN_PROGRESS, State.WAITING, State.RESOLVED, State.ANSWERED, State.REFERRED},
    State.IN_PROGRESS: {State.ACCEPTED, State.WAITING, State.RESOLVED, State.ANSWERED, State.REFERRED},
    State.WAITING: {State.IN_PROGRESS, State.ANSWERED},
    State.RESOLVED: {State.REOPENED},
    State.ANSWERED: {State.REOPENED},
    State.REFERRED: set(),
    State.DUPLICATE: set(),
    State.REOPENED: {State.ACCEPTED, State.IN_PROGRESS, State.WAITING, State.RESOLVED, State.ANSWERED},
}

# Closed: the resolution clock has ended. Only resolved and answered may be reopened, by the resident.
CLOSED = frozenset({State.RESOLVED, State.ANSWERED, State.REFERRED, State.DUPLICATE})
OPEN = frozenset(set(State) - CLOSED)
# The changes the resident makes (from the tracking page); every other change is a handler's.
RESIDENT_CHANGES = frozenset({State.REOPENED})
# The clocks run in these open states (not while waiting for the resident).
CLOCK_RUNS = OPEN - {State.WAITING}


def allowed(current, new) -> bool:
    return new in ALLOWED_CHANGES[State(current)]
