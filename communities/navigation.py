"""The base app's navigation (communities.platform.navigation)."""

from django.utils.translation import gettext_lazy as _

from .platform.navigation import add_home, public_tabs

# The organisation department, superusers and the administrators work in the admin.
add_home("admin:index", policy="communities.work_in_admin", order=10)

# The front door's way in for a visitor who already has an account.
public_tabs.add("login", _("Log in"), "login", order=90)
