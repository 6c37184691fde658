from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Organisation")

    def ready(self):
        from . import (  # noqa: F401  (connect their signal receivers)
            alerts,  # emails the security administrators on lockouts and full or bulk exports
            audit_signals,  # the audit trail's logins, password and role changes, admin writes
            navigation,  # noqa: F401  (the base's home destination: the admin)
            notifications,  # a saved inbox message drops its user's kept unread count
            security_checks,  # the PostgreSQL log settings check (issue 19, finding 7)
            sessions,  # the login signal that marks staff sessions
            tasks,  # noqa: F401  (registers the base's jobs: delivery, the audit purge, the reminders sweep)
        )
        from .platform import policies  # noqa: F401  (the base roles' predicates and policies)
        from .public_pages import connect_signals

        connect_signals()  # the cached public pages draw again when a place or unit changes
