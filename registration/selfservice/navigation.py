"""The self-service sub-domain's home panel (communities.platform.navigation)."""

from communities.platform.navigation import add_panel


def _no_context(request, member) -> dict:
    return {}  # links only: the member's home page asks the database nothing more for it


# The way to the member's own data, under the service summary of the member's home page.
add_panel("member_home", "own_data", template="selfservice/partials/member_panel.html", context=_no_context, order=20)
