"""The time bank's tabs and home panel (communities.platform.navigation)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import add_panel, member_tabs, staff_tabs

from .selectors import member_balances

staff_tabs.add("timebank", _("Time bank"), "timebank:staff-overview", policy="timebank.open_staff_pages", order=65)
member_tabs.add("timebank", _("Time bank"), "timebank:home", order=35)


def _balances(request, member) -> dict:
    return {"balances": member_balances(member=member)}


# The member's honour hours and credits, with the way to the time bank, on the member's home page.
add_panel("member_home", "timebank", template="timebank/partials/home_panel.html", context=_balances, order=15)
