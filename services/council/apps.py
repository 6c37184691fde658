from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilConfig(AppConfig):
    name = "services.council"
    label = "council"
    verbose_name = _("Four-party council")

    def ready(self):
        # Declare this app's audit actions, policies, reminder rules, tabs, public-page versions and handler kind
        # (communities.platform); each registers on import.
        from . import audit_actions, navigation, policies, public_pages, request_handlers, tasks  # noqa: F401
