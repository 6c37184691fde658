from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimebankConfig(AppConfig):
    name = "services.timebank"
    label = "timebank"
    verbose_name = _("Time bank and 爱心超市")

    def ready(self):
        # Declare this app's audit actions, permission rules, navigation, jobs, its reaction to a verified record
        # (each registers on import: communities.platform) and its delivery sources for the pairing ledger.
        from . import audit_actions, navigation, pairing_sources, policies, receivers, tasks  # noqa: F401
