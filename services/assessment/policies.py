"""Who may do what in the annual assessment (communities.platform.policies)."""

from communities.platform.policies import (
    define,
    is_community_staff,
    is_org_department,
    is_street_staff,
    is_superuser,
    is_unit_liaison,
    oversees_district,
)

# Community staff review their community's drafts; street staff read them.
define("assessment.open_staff_pages", is_superuser | is_community_staff | is_street_staff)
define("assessment.review", is_community_staff)
define("assessment.open_unit_results", is_superuser | is_unit_liaison | is_org_department)
define("assessment.open_admin_page", is_superuser | is_org_department)
# Run and finalise a district's (or, with no district, the city's) assessment.
define("assessment.run", is_superuser | oversees_district)
