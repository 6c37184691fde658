from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "services.teams"
    label = "teams"
    verbose_name = _("Service teams")

    def ready(self):
        # Declare this app's audit actions, permission rules, navigation and handler kind (each registers on import:
        # communities.platform).
        from . import audit_actions, navigation, policies, request_handlers  # noqa: F401
