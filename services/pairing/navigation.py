"""The ledger's entries (communities.platform.navigation): a staff tab, and a tab in the rates pages."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import add_rates_tab, staff_tabs

from . import rates_tab

staff_tabs.add("pairing", _("Pairing ledger"), "pairing:ledger", policy="pairing.show_staff_tabs", order=60)
add_rates_tab("pairing", _("Pledged vs delivered per unit"), template="pairing/rates_tab.html",
              context=rates_tab.context, order=20)
