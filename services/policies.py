"""Who may do what on the service side (communities.platform.policies)."""

from communities.platform.policies import define, is_community_staff

# Needs are posted by the staff of the community they are for (street and org-department staff read them).
define("services.post_need", is_community_staff)
