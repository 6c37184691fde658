"""The activities' tabs (communities.platform.navigation)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.marks import add_mark
from communities.platform.navigation import add_public_link, member_tabs, staff_tabs
from services.selectors import RECORD_QUEUE

from . import confirmations

staff_tabs.add("activities", _("Activities"), "activities:staff-list", policy="activities.post_activity", order=45)
member_tabs.add("activities", _("Activities"), "activities:list", order=25)
# A community's public pages (the front door, the board) link to its activities.
add_public_link("activities", _("Activities"), "activities:public-list", order=30)

# The staff's record queue marks a record its resident confirmed (confirmations.py).
add_mark(RECORD_QUEUE, "resident_confirmed", annotate=confirmations.annotate_confirmed,
         label=confirmations.confirmed_label)
