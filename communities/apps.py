from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Organisation")

    def ready(self):
        from . import sessions  # noqa: F401  (connects the login signal that marks staff sessions)
