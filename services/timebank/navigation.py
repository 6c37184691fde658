"""The time bank's tabs and home panel (communities.platform.navigation)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import add_panel, member_tabs, staff_tabs

staff_tabs.add("timebank", _("Time bank"), "timebank:staff-overview", policy="timebank.open_staff_pages", order=65)
member_tabs.add("timebank", _("Time bank"), "timebank:home", order=35)


def _no_context(request, member) -> dict:
    return {}


# The way to the time bank on the member's home page. No figure and no query (the home page's query count is
# pinned): the hours in the time bank are on the service summary above it; credits are on the time bank's page.
add_panel("member_home", "timebank", template="timebank/partials/home_panel.html", context=_no_context, order=15)
