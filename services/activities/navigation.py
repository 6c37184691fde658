"""The activities' tabs (communities.platform.navigation)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import member_tabs, staff_tabs

staff_tabs.add("activities", _("Activities"), "activities:staff-list", policy="activities.post_activity", order=45)
member_tabs.add("activities", _("Activities"), "activities:list", order=25)
