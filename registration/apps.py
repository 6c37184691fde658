from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Members and reporting")

    def ready(self):
        # Declare this app's audit actions, permission rules, navigation, and jobs and reminder rules.
        from . import audit_actions, navigation, policies, tasks  # noqa: F401
