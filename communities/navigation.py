"""The base app's navigation (communities.platform.navigation)."""

from .platform.navigation import add_home

# The organisation department, superusers and the administrators work in the admin.
add_home("admin:index", policy="communities.work_in_admin", order=10)
