from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "services.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        # Declare this app's audit actions, permission rules, navigation, and reminder rules (each registers on
        # import: communities.platform).
        from . import audit_actions, navigation, policies, tasks  # noqa: F401
