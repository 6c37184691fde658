from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportApprovalsConfig(AppConfig):
    """Full exports by two people (issue 19, finding 10): a staff user requests a full export of a place's ledger,
    another staff user whose scope covers the place approves or refuses it, and only then may the requester
    download it, for a bounded time and a bounded number of times. A sub-domain of the registration side."""

    name = "registration.export_approvals"
    label = "export_approvals"
    verbose_name = _("Export approvals")

    def ready(self):
        # Declare this app's audit actions and permission rules.
        from . import audit_actions, policies  # noqa: F401
