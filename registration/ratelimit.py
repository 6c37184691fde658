"""Login lockout (django-axes) and the per-IP limit on registration.

Logins, through django-axes with the handler below (AXES_HANDLER), which counts the failures axes writes one row
each to its AccessFailureLog (AXES_ENABLE_ACCESS_FAILURE_LOG), each since the account's last successful login, in
windows that slide (issue 19, finding 4: the rules must not let anyone lock a victim out):

- an account at one address: AXES_FAILURE_LIMIT failures of that account from that address within
  LOGIN_FAILURE_WINDOW lock the account *at that address* for AXES_COOLOFF_TIME from the failure that locked it; the
  owner at another address logs in as usual;
- an account anywhere: LOGIN_ACCOUNT_FAILURE_LIMIT failures within AXES_COOLOFF_TIME (a spread-out attack) lock it at
  every address until the oldest of them ages out; the owner is told (SMS and inbox, once per lock period) and lifts
  it by proving the phone (logging in with an SMS code, or resetting the password with one);
- an address: LOGIN_IP_FAILURE_LIMIT failures in the last LOGIN_IP_FAILURE_WINDOW refuse every attempt from it, a
  threshold high enough for a whole office or carrier NAT behind one address.

Attempts during a lock, the right password included, are refused without being counted, so they neither extend
the lock nor count towards the next one. Each lock also needs the "access attempts" (AccessAttempt rows) it covers,
so that deleting them (admin, manage.py axes_reset, axes_reset_ip, axes_reset_username) lifts it early.

A refused attempt looks exactly like a wrong password: the login form's own generic error, status 200, and the same
cost (LockoutTimingBackend hashes the typed password as a password check would). After LOGIN_CAPTCHA_AFTER failures of
the account, or LOGIN_CAPTCHA_IP_AFTER of the address, the login form asks for a CAPTCHA first (`captcha_required`).

Registration: at most REGISTRATION_RATE_LIMIT submissions of the registration form per IP and clock hour, counted in
the default cache (shared between processes only if CACHE_URL names a shared cache, e.g. Redis).
"""

import logging

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import client_ip  # the one client-IP rule; AXES_CLIENT_IP_CALLABLE names it here

logger = logging.getLogger(__name__)

REGISTRATION_WINDOW_SECONDS = 3600
LOCK_NOTICE_KIND = "login_locked"


def _since_last_login(failures, username, now, window):
    failures = failures.filter(username=username, attempt_time__gt=now - window)
    last_login = (
        AccessLog.objects.filter(username=username).order_by("-attempt_time").values_list("attempt_time").first()
    )
    if last_login is not None:
        failures = failures.filter(attempt_time__gt=last_login[0])
    return failures


def account_failures(username: str, now) -> int:
    """The account's failures from any address within AXES_COOLOFF_TIME since its last successful login."""
    return _since_last_login(AccessFailureLog.objects.all(), username, now, settings.AXES_COOLOFF_TIME).count()


def pair_failures(username: str, ip_address: str | None, now) -> int:
    """The account's failures from this address within LOGIN_FAILURE_WINDOW since its last successful login."""
    failures = AccessFailureLog.objects.filter(ip_address=ip_address)
    return _since_last_login(failures, username, now, settings.LOGIN_FAILURE_WINDOW).count()


def address_failures(ip_address: str | None, now) -> int:
    if ip_address is None:
        return 0
    return AccessFailureLog.objects.filter(
        ip_address=ip_address, attempt_time__gt=now - settings.LOGIN_IP_FAILURE_WINDOW
    ).count()


def account_locked(username: str, now=None) -> bool:
    """Whether the account is locked at every address (the spread-out rule)."""
    now = now or timezone.now()
    return (
        settings.LOGIN_ACCOUNT_FAILURE_LIMIT > 0
        and account_failures(username, now) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT
        and AccessAttempt.objects.filter(username=username).exists()
    )


def address_blocked(ip_address: str | None, now=None) -> bool:
    """Whether every login from this address is refused (the address rule)."""
    now = now or timezone.now()
    return (
        ip_address is not None
        and settings.LOGIN_IP_FAILURE_LIMIT > 0
        and address_failures(ip_address, now) >= settings.LOGIN_IP_FAILURE_LIMIT
        and AccessAttempt.objects.filter(ip_address=ip_address).exists()
    )


def captcha_required(request, username: str | None) -> bool:
    """Whether the next login attempt for `username` from this client must solve the CAPTCHA first."""
    now = timezone.now()
    ip_address = client_ip(request)
    if settings.LOGIN_CAPTCHA_IP_AFTER and address_failures(ip_address, now) >= settings.LOGIN_CAPTCHA_IP_AFTER:
        return True
    if not username or not settings.LOGIN_CAPTCHA_AFTER:
        return False
    return (
        _since_last_login(AccessFailureLog.objects.all(), username, now, settings.LOGIN_FAILURE_WINDOW).count()
        >= settings.LOGIN_CAPTCHA_AFTER
    )


def lift_account_lock(username: str) -> int:
    """The owner proved the phone: end every lock of the account by deleting its access attempts (the failures
    counted so far stop counting at the login that follows, as after any successful login). Returns how many."""
    count, _ = AccessAttempt.objects.filter(username=username).delete()
    return count


class LoginLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with the sliding windows above, counted on AccessFailureLog."""

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
        ip_address = request.axes_ip_address
        if username is not None:
            pair_locked = (
                AccessFailureLog.objects.filter(
                    username=username,
                    ip_address=ip_address,
                    locked_out=True,
                    attempt_time__gt=now - settings.AXES_COOLOFF_TIME,
                ).exists()
                and AccessAttempt.objects.filter(username=username, ip_address=ip_address).exists()
            )
            if pair_locked or account_locked(username, now):
                return True
        return address_blocked(ip_address, now)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        # axes asks get_failures() whether to lock before it writes this failure's AccessFailureLog row.
        if request is not None:
            request.lockout_failure_unlogged = True
        refused = request is not None and getattr(request, "axes_locked_out", False)
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        finally:
            if request is not None:
                request.lockout_failure_unlogged = False
        if request is not None and not refused and getattr(request, "axes_locked_out", False):
            tell_owner_of_lock(get_client_username(request, credentials), now=request.axes_attempt_time)

    def get_failures(self, request, credentials=None) -> int:
        """What axes compares with AXES_FAILURE_LIMIT to lock: the failures of the account at this address, or the
        limit itself once the account's failures from anywhere reach LOGIN_ACCOUNT_FAILURE_LIMIT."""
        username = get_client_username(request, credentials)
        now = request.axes_attempt_time
        unlogged = 1 if getattr(request, "lockout_failure_unlogged", False) else 0
        pair = pair_failures(username, request.axes_ip_address, now) + unlogged
        limit = settings.LOGIN_ACCOUNT_FAILURE_LIMIT
        if limit and account_failures(username, now) + unlogged >= limit:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair

    def remove_out_of_limit_failure_logs(self, *, username, limit=None) -> int:
        # axes' own version deletes rows in no stated order; keep the newest, which the windows need.
        limit = settings.AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT if limit is None else limit
        rows = AccessFailureLog.objects.filter(username=username)
        stale = list(rows.order_by("-attempt_time", "-pk").values_list("pk", flat=True)[limit:])
        if not stale:
            return 0
        count, _ = AccessFailureLog.objects.filter(pk__in=stale).delete()
        return count


def tell_owner_of_lock(username: str | None, *, now) -> bool:
    """Tell the account's owner that it was locked (SMS to a member's phone, the inbox, email when they have an
    address): at most once per lock period, so that an attacker cannot use the notice to flood the phone. Returns
    whether a notice was stored. A user name without an account tells nobody."""
    from communities.models import Notification
    from communities.notifications import Message, Reminder, remind_many

    if not username:
        return False
    user = get_user_model().objects.filter(username=username, is_active=True).select_related("member").first()
    if user is None:
        return False
    member = getattr(user, "member", None)
    phone = member.phone if member is not None and member.withdrawn_at is None else ""
    period_seconds = int(settings.AXES_COOLOFF_TIME.total_seconds()) or 1800
    period = str(int(now.timestamp()) // period_seconds)
    message = Message(
        title=_("Your account was locked after repeated wrong passwords"),
        body=_(
            "Someone typed wrong passwords for your account several times, so logins with a password are paused for "
            "a while. If it was you, log in with an SMS code or reset your password: that unlocks the account at "
            "once. If it was not you, your password was not guessed; consider changing it."
        ),
        link=reverse("login-code"),
        user_id=user.pk,
        has_email=bool(user.email),
        phone=phone,
        channels=(Notification.Channel.INBOX, Notification.Channel.SMS, Notification.Channel.EMAIL),
    )
    return bool(
        remind_many(
            kind=LOCK_NOTICE_KIND, reminders=[Reminder(period=period, recipient=f"user:{user.pk}", message=message)]
        )
    )


class LockoutTimingBackend(AxesStandaloneBackend):
    """axes' backend, except that a refused attempt costs what a wrong password costs: it hashes the typed password
    once (as ModelBackend does for an unknown user) before refusing, so that a lock is not told from a wrong password
    by its answer time (the probe measured ~30 ms against 90–150 ms)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            get_user_model()().set_password(password or "")
            raise


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
