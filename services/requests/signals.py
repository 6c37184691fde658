"""Who heads a building, kept in the cache for the member's tab strip.

The members' pages hold pinned query counts (and so does the registration POST, which logs the new member in), so
the tab's visibility never costs a query: it reads the version of a set kept in the cache (communities.kept.KeptSet),
the users who head a building, written whenever a head is assigned or removed and rebuilt by a job every ten minutes
(and by the building head's own page). With the entry missing (a cache restarted), nobody sees the tab until the next
rebuild: the tab is a convenience, the building head's page itself checks the table (policies)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from communities.kept import KeptSet

from .models import BuildingHead

KEY = "resident-requests:building-head-users"
HEADS = KeptSet(KEY)


def head_user_ids() -> frozenset:
    return HEADS.get()


def rebuild() -> int:
    """Rebuild the set from the table (one query); returns its size."""
    return HEADS.replace(BuildingHead.objects.values_list("member__user_id", flat=True).distinct())


@receiver(post_save, sender=BuildingHead, dispatch_uid="resident_requests_heads_saved")
@receiver(post_delete, sender=BuildingHead, dispatch_uid="resident_requests_heads_deleted")
def _head_changed(sender, instance, **kwargs):
    # At once, in the writer's transaction: a rolled-back assignment leaves a stale set until the next rebuild,
    # which only shows or hides a tab.
    rebuild()


# The users who act for a body a request may be handed to (a team's leader, a property company's contact), for the
# "handed to my team or company" tab: the same cached-set pattern, rebuilt on the writes the kinds declare
# (handler_kinds.register) and by that page itself.
BODY_KEY = "resident-requests:body-contact-users"
BODIES = KeptSet(BODY_KEY)


def body_contact_user_ids() -> frozenset:
    return BODIES.get()


def rebuild_body_contacts() -> int:
    from . import handler_kinds

    ids = set()
    for kind in handler_kinds.kinds():
        ids.update(user_id for user_id in kind.all_contact_user_ids() if user_id is not None)
    return BODIES.replace(ids)
