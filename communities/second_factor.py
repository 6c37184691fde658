"""The second factor (MLPS 2.0 two-factor authentication for privileged accounts): a 6-digit TOTP code from an
authenticator app, through django-otp.

Who: `requires_second_factor`, the one rule. Superusers and accounts holding the organisation department's, an
administrator's, or a community's or street's staff role (they confirm reports and export the ledger with full ID
numbers: issue 19, finding 10); members and unit liaisons log in with a password only.

How: the password login is unchanged (django-axes, the audit trail, the staff session limits). Afterwards
`SecondFactorMiddleware` holds such an account at the second-factor page, for every URL but that page, enrolment,
logout and static files, until this session passed the second factor (django-otp's `OTPMiddleware` says so:
`request.user.is_verified()`). An account with a confirmed TOTP device types its current code; one without
enrols first (a QR code and the secret in text, confirmed with a current code). Wrong codes are throttled by
django-otp (after the n-th wrong code in a row, the next is checked only 2^(n-1) seconds later); a code is
accepted once (TOTPDevice.last_t). Every attempt, every enrolment and every reset is in the audit trail; a
device's key never is, nor in any log.

Reset: deleting an account's device (the security administrator, in the admin) ends the verification of its
sessions at their next request and makes the account enrol again.
"""

import time
from base64 import b32encode
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import VerifyNotAllowed
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import Action, Outcome, audit
from .models import ADMINISTRATOR_ROLES, StaffAssignment
from .platform.policies import holds

# The roles whose accounts need a second factor (superusers need one too).
SECOND_FACTOR_ROLES = frozenset(
    {
        StaffAssignment.Role.ORG_DEPARTMENT,
        StaffAssignment.Role.COMMUNITY_STAFF,
        StaffAssignment.Role.STREET_STAFF,
        *ADMINISTRATOR_ROLES,
    }
)
holds_second_factor_role = holds(*SECOND_FACTOR_ROLES)
DEVICE_NAME = "authenticator"


def accounts_requiring_second_factor():
    """The active accounts `requires_second_factor` is true of, as a queryset."""
    condition = Q(is_superuser=True) | Q(staff_assignments__role__in=SECOND_FACTOR_ROLES)
    return get_user_model()._default_manager.filter(condition, is_active=True).distinct()


def requires_second_factor(user) -> bool:
    """Whether this account must pass the second factor after its password: a superuser, or an active account
    holding one of SECOND_FACTOR_ROLES (organisation department, administrators, community and street staff).
    Costs no query beyond the user's scope, which is read once per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return holds_second_factor_role(user)


# --- Devices ---------------------------------------------------------------------------------------------------


def confirmed_device(user) -> TOTPDevice | None:
    """The account's confirmed TOTP device, if it has enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolment_device(user) -> TOTPDevice:
    """The unconfirmed device the account is enrolling: made (with a new random key) at the first visit of the
    enrolment page, and the same one until it is confirmed, so that a reload does not void a scanned QR code."""
    with transaction.atomic():
        # One enrolment device per account, even when two tabs open the page at once.
        get_user_model()._default_manager.select_for_update().filter(pk=user.pk).first()
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def device_secret(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it by hand: base32 in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[index : index + 4] for index in range(0, len(text), 4))


def _totp(device: TOTPDevice) -> TOTP:
    return TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)


def current_code(device: TOTPDevice) -> str:
    """The code the device's authenticator app shows now (for the demo devices, whose secret is public)."""
    return f"{_totp(device).token():0{device.digits}d}"


def current_code_used(device: TOTPDevice) -> bool:
    """Whether the current code (or a later one) has been accepted already, so that it would be refused."""
    return _totp(device).t() <= device.last_t


def seconds_left(device: TOTPDevice) -> int:
    """Seconds until the device's code changes."""
    return device.step - (int(time.time()) - device.t0) % device.step


def session_verify(session, device: TOTPDevice) -> None:
    """Mark a session as having passed the second factor with this device: what `django_otp.login` does for a
    request, for a session at hand (the test client's force_login, the benchmark's in-process client)."""
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    remember_device(device)


def remember_device(device: TOTPDevice) -> None:
    """Put the device that verified a session in the cache, for the session's next requests (CachedOTPMiddleware):
    now, and again after the commit, which drops the key when the device was saved in the same transaction."""
    key = _device_cache_key(f"{TOTPDevice.model_label()}/{device.pk}")
    cache.set(key, device, DEVICE_CACHE_SECONDS)
    transaction.on_commit(lambda: cache.set(key, device, DEVICE_CACHE_SECONDS))


# --- The check -------------------------------------------------------------------------------------------------


def _throttled_message(locked_until) -> str:
    seconds = max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))
    return _("Too many wrong codes: wait %(seconds)s seconds, then enter the current code.") % {"seconds": seconds}


def second_factor_verify(*, user, device_id: int, code: str, enrol: bool = False) -> TOTPDevice:
    """Check a code against the account's device: its confirmed one, or with `enrol` the one being enrolled,
    which the right code confirms (its other unconfirmed devices are deleted).

    Returns the device on success. Raises ValidationError on the "code" field for a wrong or already used code,
    while throttled (the code is not even checked) and for a device that is gone or already confirmed. The
    outcome is recorded in the audit trail (success, failure or refused) and the throttling state is kept,
    both committed before the error is raised. The device row is locked, so one code passes once.
    """
    step = "enrol" if enrol else "verify"
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=not enrol).first()
        if device is None or (enrol and TOTPDevice.objects.filter(user=user, confirmed=True).exists()):
            error = _("This page is out of date. Open it again.")
        else:
            allowed, why = device.verify_is_allowed()
            throttled = not allowed and bool(why) and why.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS
            if not throttled and device.verify_token(code):
                if enrol:
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                    audit(action=Action.SECOND_FACTOR_ENROL, user=user, obj=device)
                else:
                    audit(action=Action.SECOND_FACTOR, user=user, obj=device)
                remember_device(device)
                return device
            # While throttled the code is not even checked; otherwise verify_token has counted the failure
            # (django-otp's throttling) and saved it.
            audit(
                action=Action.SECOND_FACTOR_FAILURE,
                user=user,
                obj=device,
                outcome=Outcome.REFUSED if throttled else Outcome.FAILURE,
                detail={"step": step, "failures": device.throttling_failure_count},
            )
            if throttled:
                error = _throttled_message(why["locked_until"])
            else:
                error = _("The code is not right, or it has been used already. Enter the code your app shows now.")
    raise ValidationError({"code": error})


# --- Which device verified this session: read from the shared cache ---------------------------------------------
# django-otp's OTPMiddleware reads the session's device from the database on every request of an account that needs
# a second factor: now community and street staff too, on every page they open. The device is kept in the cache
# instead (as sessions are, when the cache is shared), and dropped from it whenever it is saved or deleted, so a
# reset (the device deleted) still ends the sessions' verification at their next request. With a per-process cache
# another process may see a deleted device for at most DEVICE_CACHE_SECONDS.
DEVICE_CACHE_SECONDS = 60


def _device_cache_key(persistent_id: str) -> str:
    return f"otp:device:{persistent_id}"


class CachedOTPMiddleware(OTPMiddleware):
    def _device_from_persistent_id(self, persistent_id: str):
        persistent_id = self._normalize_persistent_id(persistent_id)
        key = _device_cache_key(persistent_id)
        device = cache.get(key)
        if device is None:
            device = super()._device_from_persistent_id(persistent_id)
            if device is not None:
                cache.set(key, device, DEVICE_CACHE_SECONDS)
        return device


@receiver(post_save)
@receiver(post_delete)
def _forget_cached_device(sender, instance, **kwargs):
    # Any sender: the security administrator deletes devices through a proxy model (SecondFactorDevice).
    if not isinstance(instance, TOTPDevice):
        return
    key = _device_cache_key(f"{TOTPDevice.model_label()}/{instance.pk}")
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))  # a request may have cached it again meanwhile


# --- Holding the account until it passed -----------------------------------------------------------------------


def with_next(url: str, target: str | None) -> str:
    return f"{url}?{urlencode({'next': target})}" if target else url


class SecondFactorMiddleware:
    """After django-otp's OTPMiddleware: an account that needs a second factor and has not passed it in this
    session is sent to the second-factor page from every URL but that page, enrolment, logout and static files.
    The admin site, the rate pages and the assessment's admin pages included. On the pages it may open,
    `request.second_factor_pending` is set (the page header then offers logging out only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def open_paths(self) -> frozenset:
        return frozenset(
            reverse(name) for name in ("communities:second-factor", "communities:second-factor-enrol", "logout")
        )

    @cached_property
    def static_prefix(self) -> str:
        return "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified() and requires_second_factor(user):
            if request.path_info in self.open_paths or request.path_info.startswith(self.static_prefix):
                request.second_factor_pending = True
            else:
                return self.hold(request)
        return self.get_response(request)

    @staticmethod
    def hold(request):
        target = request.get_full_path() if request.method == "GET" else None
        url = with_next(reverse("communities:second-factor"), target)
        if request.headers.get("HX-Request"):
            # An htmx request would swap the page into a fragment: have htmx load it as a page instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
