"""The check-in code the organiser's phone shows: six digits that change every WINDOW_SECONDS.

code = HMAC(key derived from SECRET_KEY, "activity id : kind : window number"), window number = Unix time //
WINDOW_SECONDS. A code is accepted in its own window and the next one (at most a minute old), so a picture of
the code forwarded to someone who is not there is refused a minute later; without SECRET_KEY the code cannot be
computed ahead of time. Older codes (up to RECOGNISED_WINDOWS back) are recognised only to say "expired" rather
than "wrong". docs/ACTIVITIES.md explains the design and what it does not stop."""

import datetime
import enum

from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

WINDOW_SECONDS = 30
# The current window and the one before it: a code is good for 30 to 60 seconds.
ACCEPTED_WINDOWS = 2
# Windows further back still recognised, to tell a forwarded old code from a mistyped one (10 minutes).
RECOGNISED_WINDOWS = 20
CODE_DIGITS = 6
_SALT = "services.activities.checkin-code"


class Verdict(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    WRONG = "wrong"


def window_at(moment: datetime.datetime | None = None) -> int:
    moment = moment or timezone.now()
    return int(moment.timestamp()) // WINDOW_SECONDS


def seconds_left(moment: datetime.datetime | None = None) -> int:
    """Seconds until the code shown at `moment` changes."""
    moment = moment or timezone.now()
    return WINDOW_SECONDS - int(moment.timestamp()) % WINDOW_SECONDS


def code_for(*, activity_id: int, kind: str, window: int) -> str:
    digest = salted_hmac(_SALT, f"{activity_id}:{kind}:{window}", algorithm="sha256").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def current_code(*, activity_id: int, kind: str, now: datetime.datetime | None = None) -> str:
    return code_for(activity_id=activity_id, kind=kind, window=window_at(now))


def check(*, activity_id: int, kind: str, code: str, now: datetime.datetime | None = None) -> Verdict:
    """Whether `code` is the activity's code for `kind` now (this window or the one before), an older one, or
    wrong. Every candidate is compared in constant time."""
    code = (code or "").strip()
    window = window_at(now)
    verdict = Verdict.WRONG
    for back in range(ACCEPTED_WINDOWS + RECOGNISED_WINDOWS):
        if constant_time_compare(code, code_for(activity_id=activity_id, kind=kind, window=window - back)):
            # The first match is the newest window with this code: a code repeated in an older window
            # (one chance in a million) never turns a valid code into an expired one.
            return Verdict.VALID if back < ACCEPTED_WINDOWS else Verdict.EXPIRED
    return verdict


# --- A member's own code, scanned by the organiser ---------------------------------------------------------------

_MEMBER_SALT = "services.activities.member-code"
# A member's own code is good for this many seconds: long enough to scan, too short to forward.
MEMBER_CODE_SECONDS = 60


def member_token(*, activity_id: int, member_id: int) -> str:
    """A signed, timestamped token naming the member and the activity (django.core.signing with SECRET_KEY)."""
    return signing.dumps([activity_id, member_id], salt=_MEMBER_SALT)


def member_from_token(*, activity_id: int, token: str) -> tuple[Verdict, int | None]:
    """The member a token names, if it is this activity's and at most MEMBER_CODE_SECONDS old."""
    try:
        token_activity, member_id = signing.loads(token, salt=_MEMBER_SALT, max_age=MEMBER_CODE_SECONDS)
    except signing.SignatureExpired:
        return Verdict.EXPIRED, None
    except (signing.BadSignature, TypeError, ValueError):
        return Verdict.WRONG, None
    if token_activity != activity_id:
        return Verdict.WRONG, None
    return Verdict.VALID, member_id
