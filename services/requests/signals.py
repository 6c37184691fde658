"""Who heads a building, kept in the cache for the member's tab strip.

The members' pages hold pinned query counts (and so does the registration POST, which logs the new member in), so
the tab's visibility never costs a query: it reads one cache entry, the set of the users who head a building, written
whenever a head is assigned or removed and rebuilt by a job every ten minutes (and by the building head's own page).
With the entry missing (a cache restarted), nobody sees the tab until the next rebuild: the tab is a convenience, the
building head's page itself checks the table (policies)."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import BuildingHead

KEY = "resident-requests:building-head-users"


def head_user_ids() -> frozenset:
    return cache.get(KEY) or frozenset()


def rebuild() -> int:
    """Rebuild the set from the table (one query); returns its size."""
    ids = frozenset(BuildingHead.objects.values_list("member__user_id", flat=True).distinct())
    cache.set(KEY, ids, timeout=None)
    return len(ids)


@receiver(post_save, sender=BuildingHead, dispatch_uid="resident_requests_heads_saved")
@receiver(post_delete, sender=BuildingHead, dispatch_uid="resident_requests_heads_deleted")
def _head_changed(sender, instance, **kwargs):
    # At once, in the writer's transaction: a rolled-back assignment leaves a stale set until the next rebuild,
    # which only shows or hides a tab.
    rebuild()
