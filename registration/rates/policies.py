"""Who may see the reporting rates (communities.platform.policies)."""

from communities.platform.policies import define, is_org_department, is_street_staff, is_superuser

# The reporting-rate pages inside the admin: the organisation department (its district, or the whole city).
define("rates.view_rates", is_superuser | is_org_department)
# The same figures of a street's communities, outside the admin: street staff (their street only, by scope).
define("rates.view_street_rates", is_superuser | is_street_staff)
# The roster figures beside a community's reports on the staff overview: whoever sees some rate pages; community
# staff do not see rates.
define("rates.view_place_rates", is_superuser | is_street_staff | is_org_department)
