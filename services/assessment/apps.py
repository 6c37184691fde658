from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "services.assessment"
    label = "assessment"
    verbose_name = _("Annual assessment")

    def ready(self):
        # Declare this app's audit actions, permission rules, and jobs.
        from . import audit_actions, policies, tasks  # noqa: F401
