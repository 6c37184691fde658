"""The audit trail (MLPS 2.0 security audit): one function, `audit`, writes every event.

An event says when, who (the user, a username snapshot, their roles at the time), from where (the client IP), what
(an action code), on which object (type and id, never a person's name, ID number or phone) and how it ended
(success, failure, refused), with a small JSON detail (filters, row counts; never a password, a session key or a
full ID number).

Audit rows are evidence: `audit` writes in the caller's transaction and lets a failure to write propagate, so an
operation whose event cannot be written does not happen either. Services record their success inside their own
transaction; `audit_attempt` records a refused (PermissionDenied) or failed (ValidationError) attempt after the
operation's transaction has rolled back.

The client IP of an event written deep in a service comes from the request being served, which AuditMiddleware
keeps in a context variable for the length of the request; Celery tasks and commands have none (IP empty).
"""

import ipaddress
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, StaffAssignment
from .platform.audit_actions import is_registered, register


class Action:
    """The base app's audit actions; the apps above declare theirs in their own audit_actions.py."""

    LOGIN = register("login", _("login"))
    LOGOUT = register("logout", _("logout"))
    LOGIN_FAILURE = register("login_failure", _("login failure"))
    LOCKOUT = register("lockout", _("account locked"))
    PASSWORD_CHANGE = register("password_change", _("password change"))
    ROLE_GRANT = register("role_grant", _("role granted"))
    ROLE_CHANGE = register("role_change", _("role changed"))
    ROLE_REVOKE = register("role_revoke", _("role revoked"))
    EXPORT = register("export", _("export"))
    EXPORT_FULL = register("export_full", _("export with full personal data"))
    FULL_VALUE_VIEW = register("full_value_view", _("full personal data viewed"))
    ADMIN_ADD = register("admin_add", _("admin: added"))
    ADMIN_CHANGE = register("admin_change", _("admin: changed"))
    ADMIN_DELETE = register("admin_delete", _("admin: deleted"))
    SECOND_FACTOR = register("second_factor", _("second factor passed"))
    SECOND_FACTOR_FAILURE = register("second_factor_failure", _("second factor failure"))
    SECOND_FACTOR_ENROL = register("second_factor_enrol", _("second factor set up"))
    SECOND_FACTOR_RESET = register("second_factor_reset", _("second factor reset"))

Outcome = AuditEvent.Outcome
# The trail is kept at least this long, whatever AUDIT_RETENTION_DAYS says (GB/T 22239-2019: 6 months).
MINIMUM_RETENTION_DAYS = 180
PURGE_BATCH = 10000
_MOBILE = re.compile(r"1\d{10}")
# Usernames that are a person's mobile or ID number, kept masked in the trail.
_PERSONAL = re.compile(r"1\d{10}|\d{15}|\d{17}[\dXx]")

# An ID number or a mobile number inside a longer text (a ledger search term in an export's filters).
_PERSONAL_INSIDE = re.compile(r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{15}|1\d{10})(?![\dA-Za-z])")
DETAIL_LIST_MAX = 20

_current_request: ContextVar = ContextVar("audit_request", default=None)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind DJANGO_TRUSTED_PROXY_COUNT proxies the address the outermost
    one saw (counted from the right of X-Forwarded-For, the only part a client cannot forge). The one rule for the
    audit trail and the login limits (AXES_CLIENT_IP_CALLABLE)."""
    address = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


class AuditMiddleware:
    """Keeps the request being served where `audit` finds it, for events written by services and signals."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


@dataclass(frozen=True)
class Ref:
    """An object named by its model label and primary key, for events where the row is not at hand (or gone)."""

    type: str
    id: str


def ref(model, pk) -> Ref:
    """Ref(model, pk): ref(Report, 12) → registration.report #12."""
    return Ref(model._meta.label_lower, str(pk))


def mask_username(username: str) -> str:
    """A username fit for the trail: a mobile number (members log in with theirs) as 138****5678; anything else
    that could be personal, as typed into a failed login, with its middle starred (zh****an)."""
    username = username or ""
    if _MOBILE.fullmatch(username):
        return username[:3] + "****" + username[-4:]
    if len(username) <= 4:
        return username[:1] + "***" if username else ""
    return username[:2] + "*" * min(len(username) - 4, 12) + username[-2:]


def _username_snapshot(user) -> str:
    # Staff usernames are plain names; a member's is their mobile number, which the trail keeps masked.
    username = user.get_username()
    return mask_username(username) if _PERSONAL.fullmatch(username) else username


def _clean_detail(value):
    """The detail as stored: ID and mobile numbers masked wherever they appear (an export's search term may be
    one), long lists (an export's row ids) replaced by their length, so that the detail stays small."""
    if isinstance(value, dict):
        return {str(key): _clean_detail(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        if len(value) > DETAIL_LIST_MAX:
            return f"<{len(value)} items>"
        return [_clean_detail(item) for item in value]
    if isinstance(value, str):
        return _PERSONAL_INSIDE.sub(lambda match: mask_username(match.group()), value)
    return value


def role_of(user) -> str:
    """The user's roles, comma-separated ("community,unit"), "superuser" first for a superuser; "" for none."""
    roles = sorted(StaffAssignment.objects.scope_for(user).roles)
    if user.is_superuser:
        roles.insert(0, "superuser")
    return ",".join(roles)


def audit(
    *, action, request=None, user=None, obj=None, outcome=Outcome.SUCCESS, detail=None, username=None
) -> AuditEvent:
    """Write one audit event in the caller's transaction; errors propagate (an unrecorded action must not happen).

    The request (or, without one, the request being served) gives the IP, and the user when none is given.
    `obj` is a model instance or a Ref; only its type and id are kept. `detail` is a small dict of plain values.
    `username` is the snapshot when no user is known (a failed login's attempt, masked by the caller).
    """
    if not is_registered(action):
        raise ImproperlyConfigured(f"Audit action {action!r} is not declared (communities.platform.audit_actions).")
    request = request if request is not None else _current_request.get()
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    if user is not None and user.pk is None:
        user = None
    if isinstance(obj, models.Model):
        obj = Ref(obj._meta.label_lower, str(obj.pk))
    return AuditEvent.objects.create(
        user_id=user.pk if user is not None else None,
        username=_username_snapshot(user) if user is not None else (username or "")[:150],
        role=role_of(user) if user is not None else "",
        ip=client_ip(request) if request is not None else None,
        action=action,
        object_type=obj.type[:100] if obj else "",
        object_id=obj.id[:64] if obj else "",
        object_label=f"{obj.type.rsplit('.', 1)[-1]}:{obj.id}"[:100] if obj else "",
        outcome=outcome,
        detail=_clean_detail(detail or {}),
    )


def _error_fields(error: ValidationError) -> list[str]:
    """The fields a ValidationError names ("__all__" for the form as a whole): never the messages, which may
    quote what was typed."""
    return sorted(error.error_dict) if hasattr(error, "error_dict") else ["__all__"]


@contextmanager
def audit_attempt(*, action, user=None, obj=None, detail=None):
    """Around a service's transaction: a PermissionDenied is recorded as refused, a ValidationError as a failure,
    after the transaction rolled back (the service records its success itself, inside it). Re-raises."""
    try:
        yield
    except PermissionDenied:
        audit(action=action, user=user, obj=obj, outcome=Outcome.REFUSED, detail=detail)
        raise
    except ValidationError as error:
        audit(
            action=action,
            user=user,
            obj=obj,
            outcome=Outcome.FAILURE,
            detail={**(detail or {}), "errors": _error_fields(error)},
        )
        raise


def retention_days() -> int:
    """AUDIT_RETENTION_DAYS; raises ImproperlyConfigured below MINIMUM_RETENTION_DAYS."""
    days = settings.AUDIT_RETENTION_DAYS
    if days < MINIMUM_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_DAYS is {days}: the audit trail is kept at least {MINIMUM_RETENTION_DAYS} days."
        )
    return days


def audit_purge(*, now=None) -> int:
    """Delete the audit events older than AUDIT_RETENTION_DAYS, in batches of PURGE_BATCH rows (one short
    transaction each). Never touches younger rows; refuses a retention under 180 days (ImproperlyConfigured).
    Returns the number of rows deleted. Idempotent."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    deleted = 0
    while True:
        old = AuditEvent.objects.filter(occurred_at__lt=cutoff).order_by("pk")
        batch = list(old.values_list("pk", flat=True)[:PURGE_BATCH])
        if not batch:
            return deleted
        count, _ = AuditEvent.objects.filter(pk__in=batch, occurred_at__lt=cutoff).delete()
        deleted += count
