from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    """A member's points and hours by source and year, and the certificate of service (服务证明) with its public
    verification page. A sub-domain of the service side; it has no table of its own (see docs/SELF_SERVICE.md)."""

    name = "services.certificates"
    label = "certificates"
    verbose_name = _("Certificates of service")

    def ready(self):
        # The built-in source of points and hours (service records), and the member-home panel.
        from . import navigation, sources  # noqa: F401
