"""The service side's tabs and home panels (communities.platform.navigation)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import add_panel, add_public_link, member_tabs, staff_tabs

from .selectors import member_service_summary

staff_tabs.add("needs", _("Needs"), "services:staff-need-list", order=40)
staff_tabs.add("records", _("Records to verify"), "services:staff-record-queue", order=50)
staff_tabs.add("dashboard", _("Figures"), "services:staff-dashboard", order=60)
staff_tabs.add(
    "assessment", _("Annual assessment"), "assessment:staff-list", policy="assessment.open_staff_pages", order=70
)
member_tabs.add("board", _("Needs board"), "services:need-board", order=20, bar_label=_("Needs"))
member_tabs.add("service", _("My service"), "services:my-service", order=30, bar_label=_("My service"))
member_tabs.add("assessment", _("Annual assessment"), "assessment:my-result", order=40)


def _service_summary(request, member) -> dict:
    return {"summary": member_service_summary(member=member)}


# The member's time bank, this year's points and stars, on top of the member's home page.
add_panel("member_home", "service_summary", template="services/partials/service_summary.html",
          context=_service_summary, order=10)

# A community's public pages (no login), listed on the front door and on the staff overview.
add_public_link("board", _("Needs board"), "services:public-board", order=10)
add_public_link("poster", _("Poster"), "services:public-board-print", order=20)
