"""The registration side's tabs and home destinations (communities.platform.navigation)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import add_home, member_tabs, public_tabs, staff_tabs

staff_tabs.add("overview", _("Overview"), "registration:community-home", order=10)
staff_tabs.add("queue", _("Reports to confirm"), "registration:report-queue", order=20)
staff_tabs.add("ledger", _("Member ledger"), "registration:ledger", order=30)
member_tabs.add("home", _("My reporting"), "registration:member-home", order=10, bar_label=_("Home"))
# The member strip on pages every role opens (the inbox): for members only.
member_tabs.restrict_to("registration.is_member")
# The front door's way in for an in-service Party member who has no account yet.
public_tabs.add("register", _("Register as a member"), "registration:register", order=10)

add_home("registration:community-home", policy="registration.open_place_home", order=20)
add_home("registration:unit-home", policy="registration.open_liaison_home", order=30)
add_home("registration:member-home", policy="registration.is_member", order=40)
