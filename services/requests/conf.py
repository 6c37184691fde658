"""This app's settings, each overridable in the project's settings under the same name (none needs to be set).

Limits are calendar days, not working days: a working-day calendar needs the state's yearly holiday and
make-up-day list (调休), which the project does not keep; calendar days are stricter, never looser."""

from django.conf import settings

DEFAULTS = {
    # Resolution limit per category, in calendar days (as 12345 hotlines: consultation 1, help and suggestions 5,
    # complaints 10).
    "RESIDENT_REQUEST_LIMIT_DAYS": {"consultation": 1, "help": 5, "suggestion": 5, "complaint": 10},
    # First response (accepted, answered, referred …) within this many calendar days, whatever the category.
    "RESIDENT_REQUEST_FIRST_RESPONSE_DAYS": 1,
    # The resident may reopen a resolved or answered request this many days after it closed, once.
    "RESIDENT_REQUEST_REOPEN_DAYS": 14,
    "RESIDENT_REQUEST_MAX_REOPENINGS": 1,
    # Requests raised from the public page per clock hour: per client IP address, and per phone number.
    "RESIDENT_REQUEST_RATE_LIMIT_IP": 10,
    "RESIDENT_REQUEST_RATE_LIMIT_PHONE": 3,
    # The phone left on the public page is proved by an SMS code (communities.phone_codes, purpose
    # "resident_request": its limits per phone and per address apply).
    "RESIDENT_REQUEST_VERIFY_PHONE": True,
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])
