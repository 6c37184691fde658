"""Login lockout (django-axes) and the per-IP limit on registration.

Logins, through django-axes with the handler below (AXES_HANDLER), which counts the failures axes writes one row
each to its AccessFailureLog (AXES_ENABLE_ACCESS_FAILURE_LOG), so that both windows are real sliding windows:

- an account (the username typed, whatever the IP) whose failed logins since its last successful one number
  AXES_FAILURE_LIMIT within LOGIN_FAILURE_WINDOW is locked for AXES_COOLOFF_TIME, counted from the failure that
  locked it; attempts during the lock, the right password included, are refused without being counted, so they
  neither extend the lock nor count towards the next one;
- an IP address with LOGIN_IP_FAILURE_LIMIT failures in the last LOGIN_IP_FAILURE_WINDOW has every further attempt
  refused, whatever the account and the password, until the oldest of them is older than the window.

A refused attempt looks exactly like a wrong password: the login form's own generic error, status 200.

Registration: at most REGISTRATION_RATE_LIMIT submissions of the registration form per IP address and clock
hour, counted in the default cache (shared between processes only if CACHE_URL names a shared cache, e.g. Redis).
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone

from communities.audit import client_ip  # the one client-IP rule; AXES_CLIENT_IP_CALLABLE names it here

REGISTRATION_WINDOW_SECONDS = 3600


class LoginLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with sliding windows counted on AccessFailureLog (see the module's docstring)."""

    def __init__(self):
        if not settings.AXES_ENABLE_ACCESS_FAILURE_LOG or settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT:
            raise ImproperlyConfigured(
                "LoginLockoutHandler counts AccessFailureLog rows: it needs AXES_ENABLE_ACCESS_FAILURE_LOG = True "
                "and AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False."
            )
        super().__init__()

    def is_locked(self, request, credentials=None) -> bool:
        now = request.axes_attempt_time
        username = get_client_username(request, credentials)
        # The account's AccessAttempt rows outlive its lock; deleting them (admin, manage.py axes_reset_username)
        # lifts the lock early, as axes' own tools promise.
        if (
            username is not None
            and AccessFailureLog.objects.filter(
                username=username, locked_out=True, attempt_time__gt=now - settings.AXES_COOLOFF_TIME
            ).exists()
            and AccessAttempt.objects.filter(username=username).exists()
        ):
            return True
        ip_address = request.axes_ip_address
        return (
            ip_address is not None
            and settings.LOGIN_IP_FAILURE_LIMIT > 0
            and AccessFailureLog.objects.filter(
                ip_address=ip_address, attempt_time__gt=now - settings.LOGIN_IP_FAILURE_WINDOW
            ).count()
            >= settings.LOGIN_IP_FAILURE_LIMIT
        )

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        # axes asks get_failures() whether to lock before it writes this failure's AccessFailureLog row.
        if request is not None:
            request.lockout_failure_unlogged = True
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        finally:
            if request is not None:
                request.lockout_failure_unlogged = False

    def get_failures(self, request, credentials=None) -> int:
        """The account's failures in the window since its last successful login (the one being recorded too)."""
        username = get_client_username(request, credentials)
        failures = AccessFailureLog.objects.filter(
            username=username, attempt_time__gt=request.axes_attempt_time - settings.LOGIN_FAILURE_WINDOW
        )
        last_login = (
            AccessLog.objects.filter(username=username).order_by("-attempt_time").values_list("attempt_time").first()
        )
        if last_login is not None:
            failures = failures.filter(attempt_time__gt=last_login[0])
        return failures.count() + (1 if getattr(request, "lockout_failure_unlogged", False) else 0)

    def remove_out_of_limit_failure_logs(self, *, username, limit=None) -> int:
        # axes' own version deletes rows in no stated order; keep the newest, which the windows need.
        limit = settings.AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT if limit is None else limit
        rows = AccessFailureLog.objects.filter(username=username)
        stale = list(rows.order_by("-attempt_time", "-pk").values_list("pk", flat=True)[limit:])
        if not stale:
            return 0
        count, _ = AccessFailureLog.objects.filter(pk__in=stale).delete()
        return count


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: keep the page the login view rendered, i.e. the form with its generic error, so that a
    lock is told from a wrong password by nobody."""
    if isinstance(original_response, HttpResponseBase):
        return original_response
    # Only axes' async middleware path calls without the original response; this project is served by WSGI.
    return HttpResponse(status=403)


def registration_allowed(request) -> bool:
    """Count one registration submission for the client's IP; False once the IP is over the hour's limit."""
    limit = settings.REGISTRATION_RATE_LIMIT
    if not limit:
        return True
    hour = int(timezone.now().timestamp()) // REGISTRATION_WINDOW_SECONDS
    key = f"ratelimit:register:{client_ip(request)}:{hour}"
    timeout = REGISTRATION_WINDOW_SECONDS + 60
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=timeout)
        count = 1
    return count <= limit
