"""SMS delivery behind one small interface, so that a real gateway is a setting away (SMS_BACKEND).

A backend is a class with `send(phone, template, params, *, idempotency_key="")`: `template` is the message's kind
(`phone_code`, a reminder's kind …), `params` its values. It raises SmsError on failure, saying whether trying again
may help. The gateways: `communities.sms_gateways.AliyunSmsBackend`, `communities.sms_gateways.TencentSmsBackend`.
"""

import logging
import sys

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """A gateway refused or failed; `transient` says whether trying again may help."""

    def __init__(self, message: str, *, transient: bool = True):
        super().__init__(message)
        self.transient = transient


class LogSmsBackend:
    """Production without a gateway: writes the message to the log, the phone masked and the values left out (a
    one-time code must not sit in a log). Sends nothing.

    A backend whose gateway drops a message it has seen the key of sets `accepts_idempotency_key` and takes
    `idempotency_key=` (communities.notifications.idempotency_key): the same on every attempt at one message."""

    accepts_idempotency_key = True

    def send(self, phone: str, template: str, params: dict, *, idempotency_key: str = "") -> None:
        logger.info("SMS to %s***%s: %s %s [%s]", phone[:3], phone[-4:], template, sorted(params), idempotency_key)


class ConsoleSmsBackend:
    """The embedded default (DEBUG): prints the whole message, one-time codes included, on the console, so that the
    flows that send a code work offline (`make run`). Never for production: codes would land in its logs."""

    accepts_idempotency_key = True

    def send(self, phone: str, template: str, params: dict, *, idempotency_key: str = "") -> None:
        values = " ".join(f"{key}={value}" for key, value in params.items())
        sys.stdout.write(f"[SMS] to {phone}: {template} {values} [{idempotency_key}]\n")
        sys.stdout.flush()


class LocmemSmsBackend:
    """Tests: keeps every message in `outbox` (as django.core.mail.outbox does for email), in this process."""

    accepts_idempotency_key = True
    outbox: list[dict] = []

    def send(self, phone: str, template: str, params: dict, *, idempotency_key: str = "") -> None:
        LocmemSmsBackend.outbox.append(
            {"phone": phone, "template": template, "params": dict(params), "idempotency_key": idempotency_key}
        )


def sms_backend():
    return import_string(settings.SMS_BACKEND)()
