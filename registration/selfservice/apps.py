from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfServiceConfig(AppConfig):
    """Members and unit liaisons helping themselves (issue 18): own data, correcting a returned report, the
    liaison's tools for the roster. A sub-domain of the registration side with tables of its own."""

    name = "registration.selfservice"
    label = "selfservice"
    verbose_name = _("Self-service")

    def ready(self):
        # Declare this app's audit actions, permission rules and home panels.
        from . import audit_actions, navigation, policies  # noqa: F401
