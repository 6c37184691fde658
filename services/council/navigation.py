"""The council's tabs, home page and public link (communities.platform.navigation)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import add_home, add_public_link, staff_tabs

staff_tabs.add("council", _("Council"), "council:home", policy="council.show_staff_tab", order=48)
staff_tabs.add("council_figures", _("Council figures"), "council:figures", policy="council.open_figures", order=49)
# Representatives and companies' contacts hold no staff assignment: the home page sends them to their council pages.
# Last in order: everyone with a wider role is sent elsewhere before this costs a query.
add_home("council:home", policy="council.is_council_person", order=90)
# A community's public pages (the front door, the board) link to its council's meetings and resolutions.
add_public_link("council", _("Council"), "council:public", order=40)
