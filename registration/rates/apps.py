from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatesConfig(AppConfig):
    """The reporting rates (报到率): a sub-domain of the registration side, with its own tallies, pages and checks."""

    name = "registration.rates"
    label = "rates"
    verbose_name = _("Reporting rates")

    def ready(self):
        # Declare this app's permission rules and its tab.
        from . import navigation, policies  # noqa: F401
