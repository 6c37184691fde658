from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PhoneCode(models.Model):
    """One code sent (or, for a phone without an account, made and not sent): only its keyed hash is kept.

    The rows are also the counters of the sending limits (per phone, per address), so the limits hold across
    processes and restarts without a shared cache."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("registration")
        PHONE_CHANGE = "phone_change", _("change of phone")
        PASSWORD_RESET = "password_reset", _("forgotten password")
        LOGIN = "login", _("login with a code")
        RESIDENT_REQUEST = "resident_request", _("a resident's request")

    phone = models.CharField(_("mobile phone"), max_length=11)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(_("code (keyed hash)"), max_length=64, editable=False)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        indexes = [
            models.Index(fields=["phone", "created_at"], name="phonecode_phone_idx"),
            models.Index(fields=["ip_address", "created_at"], name="phonecode_ip_idx"),
        ]

    def __str__(self):
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.purpose}"
