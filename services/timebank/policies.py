"""Who may do what in the time bank and the 爱心超市 (communities.platform.policies)."""

import rules

from communities.platform.policies import define, is_active, is_community_staff, is_superuser, manages_community


@rules.predicate
def keeps_books_of(user, community) -> bool:
    """Acts on the ledger of this community (counter, donations, deposits, fund payments, reversals): its own
    community staff. Street and org-department staff do not move credits."""
    return community is not None and manages_community(user, community)


# Staff pages of the time bank: the community staff of a community.
define("timebank.open_staff_pages", is_community_staff | is_superuser)
define("timebank.keep_books", keeps_books_of)
# A member's pages: any signed-in account; the services decide with the member row.
define("timebank.hold_account", is_active)
