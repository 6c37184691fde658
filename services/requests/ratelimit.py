"""The limit on requests raised from the public page (no login): per client IP address and per phone number, each
per clock hour, counted in the default cache as registration.ratelimit counts registrations."""

from django.core.cache import cache
from django.utils import timezone

from communities.audit import client_ip

from .conf import setting

WINDOW_SECONDS = 3600


def _count(key: str) -> int:
    timeout = WINDOW_SECONDS + 60
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=timeout)
        return 1


def raise_allowed(request, *, phone: str) -> bool:
    """Count one submission for the client's IP and for the phone; False once either is over the hour's limit.
    Both are counted even when the first is over, so a flood from one IP cannot spare a phone's count. (Sending an
    SMS code is limited by communities.phone_codes, the one rule for every flow.)"""
    hour = int(timezone.now().timestamp()) // WINDOW_SECONDS
    ip_limit, phone_limit = setting("RESIDENT_REQUEST_RATE_LIMIT_IP"), setting("RESIDENT_REQUEST_RATE_LIMIT_PHONE")
    prefix = "ratelimit:resident-request-raise"
    ip_ok = not ip_limit or _count(f"{prefix}:ip:{client_ip(request)}:{hour}") <= ip_limit
    phone_ok = not phone_limit or not phone or _count(f"{prefix}:phone:{phone}:{hour}") <= phone_limit
    return ip_ok and phone_ok
