from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Needs and service")

    def ready(self):
        # Declare this app's audit actions, permission rules, navigation, jobs and reminder rules, and what draws
        # its cached public pages again.
        from . import audit_actions, navigation, policies, public_pages, signals, tasks  # noqa: F401
