"""Who may do what on the service side (communities.platform.policies)."""

from communities.platform.policies import (
    define,
    is_community_staff,
    is_org_department,
    is_street_staff,
    is_superuser,
    is_unit_liaison,
    oversees_district,
)

# Needs are posted by the staff of the community they are for (street and org-department staff read them).
define("services.post_need", is_community_staff)

# The annual assessment.
define("assessment.open_staff_pages", is_superuser | is_community_staff | is_street_staff)
define("assessment.review", is_community_staff)
define("assessment.open_unit_results", is_superuser | is_unit_liaison | is_org_department)
define("assessment.open_admin_page", is_superuser | is_org_department)
# Run and finalise a district's (or, with no district, the city's) assessment.
define("assessment.run", is_superuser | oversees_district)
