"""The rates' tab for street staff (communities.platform.navigation)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.navigation import staff_tabs

staff_tabs.add("rates", _("Reporting rates"), "street-rates:places", policy="rates.view_street_rates", order=15)
