"""Who may see the reporting rates (communities.platform.policies)."""

from communities.platform.policies import define, is_org_department, is_superuser

# The reporting-rate pages inside the admin: the organisation department (its district, or the whole city).
define("rates.view_rates", is_superuser | is_org_department)
