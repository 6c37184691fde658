"""The requests' tabs (communities.platform.navigation): the staff's queue, figures and buildings; the building
head's page and the requests handed to a member."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import add_home, add_rates_tab, member_tabs, staff_tabs

from . import rates_tab

staff_tabs.add("requests", _("Residents' requests"), "resident_requests:queue",
               policy="resident_requests.open_queue", order=45)
staff_tabs.add("request_figures", _("Request figures"), "resident_requests:figures",
               policy="resident_requests.open_queue", order=46)
staff_tabs.add("buildings", _("Buildings"), "resident_requests:buildings",
               policy="resident_requests.assign_building_head", order=47)
member_tabs.add("building_head", _("My buildings"), "resident_requests:building-head",
                policy="resident_requests.show_building_head_tab", order=50)
member_tabs.add("handled_requests", _("Requests to handle"), "resident_requests:mine",
                policy="resident_requests.show_building_head_tab", order=51)
# A grid worker holds no staff assignment: the home page sends them to their queue.
add_home("resident_requests:queue", policy="grid.is_grid_worker", order=35)

# The organisation department's and the street's rates pages: the year's figures, scope-filtered.
add_rates_tab("requests", _("Residents' requests"), template="resident_requests/rates_tab.html",
              context=rates_tab.context, order=30)
# A team's leader and a property company's contact: the requests handed to their team or company.
member_tabs.add("handed_requests", _("Handed to my team or company"), "resident_requests:handed",
                policy="resident_requests.show_handed_tab", order=52)
