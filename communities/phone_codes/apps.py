from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhoneCodesConfig(AppConfig):
    """One-time SMS codes (a sub-domain of the base): stored hashed, short-lived, limited per phone and address."""

    name = "communities.phone_codes"
    label = "phone_codes"
    verbose_name = _("SMS codes")

    def ready(self):
        from . import audit_actions, tasks  # noqa: F401  (each registers on import)
