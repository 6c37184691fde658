"""The certificates' home panel (communities.platform.navigation)."""

from communities.platform.navigation import add_panel


def _no_context(request, member) -> dict:
    return {}  # links only: the member's home page asks the database nothing more for it


# Points history and the certificate of service, from the member's home page.
add_panel(
    "member_home", "certificates", template="certificates/partials/member_panel.html", context=_no_context, order=15
)
