"""SMS delivery behind one small interface, so that a real gateway is a setting away (SMS_BACKEND)."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """A gateway refused or failed; `transient` says whether trying again may help."""

    def __init__(self, message: str, *, transient: bool = True):
        super().__init__(message)
        self.transient = transient


class LogSmsBackend:
    """The default: writes the message to the log, the phone masked. Sends nothing.

    A backend whose gateway drops a message it has seen the key of sets `accepts_idempotency_key` and takes
    `idempotency_key=` (communities.notifications.idempotency_key): the same on every attempt at one message."""

    accepts_idempotency_key = True

    def send(self, phone: str, template: str, params: dict, *, idempotency_key: str = "") -> None:
        logger.info("SMS to %s***%s: %s %s [%s]", phone[:3], phone[-4:], template, sorted(params), idempotency_key)


def sms_backend():
    return import_string(settings.SMS_BACKEND)()
