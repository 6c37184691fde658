"""Session limits for staff accounts: 30 minutes idle, 12 hours in all, at most STAFF_MAX_SESSIONS at once
(MLPS 2.0 session control).

The limits are marked on the session at login, so that a request costs no extra query to tell whether
they apply; members on their phones keep the ordinary session length.
"""

import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .audit import audit
from .models import AccountSession, StaffAssignment
from .platform.audit_actions import register

SESSION_LIMIT = register("session_limit", _("older sessions ended by the session limit"))

TOUCH_EVERY = 60  # seconds: how stale "last seen" may get before it is written again


@receiver(user_logged_in)
def mark_staff_session(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    # scope_for caches the roles on the user: the audit event's role for this login reads them from there.
    is_staff = user.is_staff or user.is_superuser or bool(StaffAssignment.objects.scope_for(user).roles)
    request.session["staff_limits"] = is_staff
    request.session["started_at"] = now
    request.session["last_seen_at"] = now


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore()


@receiver(user_logged_in)
def remember_account_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        return
    # Sessions that ended without a logout (expired, cleared) leave their row: drop this account's stale ones
    # here, so the table holds about one row per live session rather than one per login ever made.
    store = _session_store()
    known = AccountSession.objects.filter(user=user).values_list("session_key", flat=True)
    stale = [key for key in known if not store.exists(key)]
    if stale:
        AccountSession.objects.filter(session_key__in=stale).delete()
    AccountSession.objects.get_or_create(session_key=session.session_key, defaults={"user": user})
    if session.get("staff_limits"):
        end_sessions_over_limit(user, keep=session.session_key)


def end_sessions_over_limit(user, *, keep: str) -> int:
    """A staff account keeps at most STAFF_MAX_SESSIONS sessions at once (MLPS 2.0: concurrent sessions limited): a
    new login ends the oldest others, each ended one recorded in the audit trail. Ending the old ones rather than
    refusing the new login means nobody can keep a member of staff out by staying logged in as them, and the
    person who logs in again on a new device simply carries on. 0: no limit."""
    limit = settings.STAFF_MAX_SESSIONS
    if limit <= 0:
        return 0
    others = AccountSession.objects.filter(user=user).exclude(session_key=keep).order_by("-created_at", "-pk")
    over = list(others.values_list("session_key", flat=True)[limit - 1 :])
    if not over:
        return 0
    store = _session_store()
    for key in over:
        store.delete(key)
    AccountSession.objects.filter(session_key__in=over).delete()
    audit(action=SESSION_LIMIT, user=user, detail={"ended": len(over), "limit": limit})
    return len(over)


@receiver(user_logged_out)
def forget_account_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        AccountSession.objects.filter(session_key=session.session_key).delete()


def end_other_sessions(user, *, keep: str | None = None) -> int:
    """Delete every server-side session of this account but `keep` (the session of the request, if any).
    Called when a password changes, by the account itself or by an administrator. Returns how many ended."""
    store = _session_store()
    keys = list(
        AccountSession.objects.filter(user=user).exclude(session_key=keep or "").values_list("session_key", flat=True)
    )
    for key in keys:
        store.delete(key)
    AccountSession.objects.filter(session_key__in=keys).delete()
    if keep:
        AccountSession.objects.update_or_create(session_key=keep, defaults={"user": user})
    return len(keys)


class StaffSessionLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get("staff_limits") and request.user.is_authenticated:
            now = int(time.time())
            idle = now - session.get("last_seen_at", now)
            age = now - session.get("started_at", now)
            if idle > settings.STAFF_SESSION_IDLE_SECONDS or age > settings.STAFF_SESSION_MAX_SECONDS:
                # The audit trail's logout event says why.
                request.audit_logout_reason = "idle" if idle > settings.STAFF_SESSION_IDLE_SECONDS else "max-age"
                logout(request)  # flushes the session: the server-side row is deleted
                return redirect(f"{reverse('login')}?next={request.path}")
            if idle > TOUCH_EVERY:
                session["last_seen_at"] = now
        return self.get_response(request)
