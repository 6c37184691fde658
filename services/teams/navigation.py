"""The teams' tabs, public page and dashboard tile (communities.platform)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import add_public_link, member_tabs, staff_tabs
from communities.platform.tiles import add_tile

from . import selectors

staff_tabs.add("teams", _("Service teams"), "teams:staff-list", policy="teams.post_team", order=47)
member_tabs.add("teams", _("Service teams"), "teams:list", order=27)
add_public_link("teams", _("Service teams"), "teams:public-list", order=35)
add_tile("staff_dashboard", "teams", _("Service teams"), _("teams"), value=selectors.team_count, order=10)
