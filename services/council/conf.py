"""The council's settings, each overridable in the project's settings under the same name (none needs to be set)."""

from django.conf import settings

DEFAULTS = {
    # How many of the four parties must have a member present for a meeting to decide anything: 4 is the national
    # guidance's "each party present"; 3 would let a meeting go on with one party missing.
    "COUNCIL_QUORUM_PARTIES": 4,
    # A meeting is announced at least this many days before it starts (inbox/SMS to every member, the public page).
    "COUNCIL_NOTICE_DAYS": 3,
    # The executor is reminded this many days before a resolution's due date, then every day once it is overdue.
    "COUNCIL_DUE_SOON_DAYS": 3,
    # Photos of a progress update: at most this many per update, each at most this many bytes.
    "COUNCIL_PHOTOS_PER_UPDATE": 4,
    "COUNCIL_PHOTO_MAX_BYTES": 5 * 1024 * 1024,
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])
