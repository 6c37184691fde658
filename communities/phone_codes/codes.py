"""One-time SMS codes: the one home of the rules every flow shares (registration, a change of phone, a forgotten
password, logging in with a code, a resident's request raised from a community's public page; a lock is lifted by
the login and password flows).

- A code is six random digits, kept only as a keyed hash (HMAC-SHA256 under SECRET_KEY, bound to the phone and the
  purpose: a code sent to change a phone does not log in), valid PHONE_CODE_TTL_MINUTES; a newer code of the same
  phone and purpose replaces the older one; PHONE_CODE_MAX_ATTEMPTS wrong tries spend it.
- Sending is limited per phone (one every PHONE_CODE_RESEND_SECONDS, PHONE_CODE_PER_PHONE_HOUR an hour, whatever the
  purpose: no SMS bombing of a number) and per client address (PHONE_CODE_PER_IP_HOUR an hour), counted on the rows.
- The message goes out through SMS_BACKEND from a task queued after commit, never inside the request: a request that
  asks a code for a phone without an account (`deliver=False`) does the same work (a row, an audit event, a queued
  task) and takes the same time as one that sends, so neither the answer nor its timing tells whether a phone is
  registered. The code travels to the task sealed (Fernet under a key derived from SECRET_KEY), not in the clear.
- Every send, refusal and check is in the audit trail, the phone masked.
"""

import base64
import hashlib
import hmac
import re
import secrets
from contextlib import nullcontext
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.audit import Outcome, audit, client_ip, mask_username

from .audit_actions import Action
from .models import PhoneCode

Purpose = PhoneCode.Purpose
SMS_TEMPLATE = "phone_code"
_CODE_SHAPE = re.compile(r"[0-9]{6}")


class CodeRefused(Exception):
    """Sending refused by a limit; `message` is what the person is told (the same whoever owns the phone)."""

    MESSAGES = {
        "wait": _("A code was sent to this number a moment ago. Please wait a minute before asking again."),
        "phone": _("Too many codes were sent to this number. Please try again in an hour."),
        "address": _("Too many codes were asked for from your network. Please try again later."),
    }

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.message = self.MESSAGES[reason]


def _digest(*, phone: str, purpose: str, code: str) -> str:
    message = f"phone-code:{purpose}:{phone}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _fernet() -> Fernet:
    key = hashlib.sha256(f"phone-code-seal:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(code: str) -> str:
    return _fernet().encrypt(code.encode()).decode()


def unseal(sealed: str) -> str | None:
    try:
        return _fernet().decrypt(sealed.encode(), ttl=settings.PHONE_CODE_TTL_MINUTES * 60).decode()
    except InvalidToken:
        return None


def _refusal(*, phone: str, ip: str | None, now) -> str | None:
    recent = PhoneCode.objects.filter(created_at__gt=now - timedelta(hours=1))
    if recent.filter(phone=phone, created_at__gt=now - timedelta(seconds=settings.PHONE_CODE_RESEND_SECONDS)).exists():
        return "wait"
    if recent.filter(phone=phone).count() >= settings.PHONE_CODE_PER_PHONE_HOUR:
        return "phone"
    if ip is not None and recent.filter(ip_address=ip).count() >= settings.PHONE_CODE_PER_IP_HOUR:
        return "address"
    return None


def code_send(*, phone: str, purpose: str, request=None, deliver: bool = True) -> PhoneCode:
    """Make a code for `phone` and `purpose` and queue its SMS (only when `deliver`: a phone with no account to
    recover gets none, at the same cost). Raises CodeRefused when a limit is reached (recorded as refused)."""
    from .tasks import phone_code_deliver_task  # tasks import this module

    now = timezone.now()
    ip = client_ip(request) if request is not None else None
    detail = {"purpose": purpose, "phone": mask_username(phone)}
    reason = _refusal(phone=phone, ip=ip, now=now)
    if reason:
        audit(action=Action.CODE_SEND, request=request, outcome=Outcome.REFUSED, detail={**detail, "why": reason})
        raise CodeRefused(reason)
    with transaction.atomic():
        code = f"{secrets.randbelow(10**6):06d}"
        row = PhoneCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_digest(phone=phone, purpose=purpose, code=code),
            ip_address=ip,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.PHONE_CODE_TTL_MINUTES),
        )
        audit(action=Action.CODE_SEND, request=request, detail=detail)
        # Sealed either way, so that both paths cost the same; the task sends only a non-empty one.
        sealed = seal(code)
        phone_code_deliver_task.delay_on_commit(row.pk, sealed if deliver else "")
    return row


def code_check(*, phone: str, purpose: str, code: str, request=None, consume: bool = True) -> bool:
    """Whether `code` is the live code of `phone` for `purpose` (the newest one sent, not expired, not spent). A
    right code is used up when `consume` (a registration leaves it for a repeated submit until it expires); a wrong
    one counts as an attempt. Recorded in the audit trail either way."""
    now = timezone.now()
    code = (code or "").strip()
    detail = {"purpose": purpose, "phone": mask_username(phone)}
    live = PhoneCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=now).order_by(
        "-created_at", "-pk"
    )
    with transaction.atomic() if consume else nullcontext():
        # A check that spends the code locks its row, so that two concurrent uses of one code cannot both pass.
        row = (live.select_for_update() if consume else live).first()
        right = (
            row is not None
            and row.attempts < settings.PHONE_CODE_MAX_ATTEMPTS
            and bool(_CODE_SHAPE.fullmatch(code))
            and hmac.compare_digest(row.code_hash, _digest(phone=phone, purpose=purpose, code=code))
        )
        if right and consume:
            PhoneCode.objects.filter(pk=row.pk).update(used_at=now)
        elif not right and row is not None:
            PhoneCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        audit(
            action=Action.CODE_CHECK,
            request=request,
            outcome=Outcome.SUCCESS if right else Outcome.FAILURE,
            detail=detail,
        )
    return right


def purge_expired(*, now=None) -> int:
    """Delete codes expired for more than a day (the rows count towards the hourly limits until then)."""
    now = now or timezone.now()
    count, _ = PhoneCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return count
