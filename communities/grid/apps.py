from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "communities.grid"
    label = "grid"
    verbose_name = _("Grids and buildings")

    def ready(self):
        # Declare the grid worker's role predicate and this app's policies (communities.platform.policies).
        from . import policies  # noqa: F401
