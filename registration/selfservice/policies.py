"""Who may use the self-service pages (communities.platform.policies)."""

from communities.platform.policies import define, is_org_department, is_superuser, is_unit_liaison

# The liaison's tools for the unit's roster (contacts, reminders, adding a registered member): the unit's liaison.
define("selfservice.use_liaison_tools", is_superuser | is_unit_liaison)
# Taking a person off a roster (moved away, retired): the unit's liaison, or the organisation department above it.
define("selfservice.remove_roster_entry", is_superuser | is_unit_liaison | is_org_department)
