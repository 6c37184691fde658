from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentRequestsConfig(AppConfig):
    # Not "requests": that label would shadow the well-known library's name in logs and migrations.
    name = "services.requests"
    label = "resident_requests"
    verbose_name = _("Residents' requests")

    def ready(self):
        # Declare this app's audit actions, policies, reminder rules and tabs (communities.platform).
        from . import audit_actions, navigation, policies, signals, tasks  # noqa: F401
