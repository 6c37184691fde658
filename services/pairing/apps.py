from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PairingConfig(AppConfig):
    # The units' pairing ledger (双报到): on the service side because what a unit delivers is needs met,
    # activities held and its members' service hours, all of which live here (docs/PAIRING.md).
    name = "services.pairing"
    label = "pairing"
    verbose_name = _("Pairing ledger")

    def ready(self):
        # Declare this app's audit actions, policies, tabs and delivery sources (communities.platform).
        from . import audit_actions, navigation, policies, sources  # noqa: F401
