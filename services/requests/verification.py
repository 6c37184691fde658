"""The SMS code that proves a resident holds the phone they leave on the public page (no login).

The code (six digits) is kept in the default cache for CODE_TTL_SECONDS as a keyed hash, never in the database or the
logs; it is sent through communities.sms (SMS_BACKEND). A code is used once and allows MAX_ATTEMPTS wrong tries.
Sending counts against the public page's rate limit (per IP and per phone), so codes cannot be sprayed at a number."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache

from communities.sms import SmsError, sms_backend

from .conf import setting

CODE_TTL_SECONDS = 10 * 60
MAX_ATTEMPTS = 5
SMS_TEMPLATE = "resident_request_code"


def _key(phone: str) -> str:
    return f"resident-request:code:{phone}"


def _digest(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def is_required() -> bool:
    return bool(setting("RESIDENT_REQUEST_VERIFY_PHONE"))


def code_send(*, phone: str) -> bool:
    """Send a new code to `phone` (replacing any earlier one); False when the gateway failed."""
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        sms_backend().send(phone, SMS_TEMPLATE, {"code": code})
    except SmsError:
        return False
    cache.set(_key(phone), {"digest": _digest(phone, code), "attempts": 0}, timeout=CODE_TTL_SECONDS)
    return True


def code_check(*, phone: str, code: str) -> bool:
    """Whether `code` is the live code of `phone`; a right code is used up, a wrong one counts as an attempt."""
    stored = cache.get(_key(phone))
    if not stored or stored["attempts"] >= MAX_ATTEMPTS:
        return False
    if hmac.compare_digest(stored["digest"], _digest(phone, code.strip())):
        cache.delete(_key(phone))
        return True
    cache.set(_key(phone), {**stored, "attempts": stored["attempts"] + 1}, timeout=CODE_TTL_SECONDS)
    return False
