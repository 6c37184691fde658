"""Structured logs for a central collector (issue 19, finding 10: MLPS 2.0 security audit).

With DJANGO_LOG_FORMAT=json (the default when DEBUG is off) every record is one JSON object a line on standard
error: time (ISO 8601 with its offset), level, logger, message, process, the exception's text when there is one,
plus the service name (LOG_SERVICE_NAME), so that a collector (Filebeat, Fluent Bit, Vector, rsyslog's imfile...)
ships it without parsing. `PersonalDataFilter` masks mobile and ID card numbers in every record's message first
(138****5678, 110**********1234): a collector is one more place that must not hold them.
"""

import logging
import re

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from pythonjsonlogger.json import JsonFormatter

_ID_OR_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|1[3-9][0-9]{9})(?![0-9A-Za-z])")


def _mask(match) -> str:
    text = match.group(0)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_personal(text: str) -> str:
    return _ID_OR_MOBILE.sub(_mask, text)


class PersonalDataFilter(logging.Filter):
    """Masks mobile and ID card numbers in the formatted message (the arguments folded in) of every record."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  (a broken record is left to the formatter to report)
            return True
        masked = mask_personal(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class ServiceJsonFormatter(JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", False)
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(process)d", *args, **kwargs)

    def formatTime(self, record, datefmt=None):  # noqa: N802  (logging's name)
        from datetime import datetime

        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        log_record["service"] = getattr(settings, "LOG_SERVICE_NAME", "party")
        log_record.pop("request", None)  # Django's request object: not serialisable, and personal


class ServerErrorAlertHandler(logging.Handler):
    """On the "django.request" logger at ERROR: a 500. Tells the method and path (no query string, no body, no
    headers: they may hold personal data) and the exception's type."""

    def __init__(self):
        super().__init__(level=logging.ERROR)

    def emit(self, record):
        request = getattr(record, "request", None)
        if getattr(record, "status_code", 500) < 500:
            return
        where = f"{request.method} {request.path}" if request is not None else record.name
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "-"
        from .alerts import send_alert  # not at import: logging is configured before the apps are loaded

        send_alert(
            kind="server-error",
            subject=_("A page answered with a server error"),
            body=f"{where}\n{_('error')}: {error}\n{_('time')}: {timezone.localtime():%Y-%m-%d %H:%M:%S}",
        )
