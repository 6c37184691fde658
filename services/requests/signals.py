"""Whether a user heads a building, kept in the cache for the member's tab strip: the members' pages hold pinned query
counts, so the tab's visibility is read from the cache (set at login and whenever a head is assigned or removed),
never from the database on every page. The building head's page itself checks the table (policies)."""

from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import BuildingHead

TIMEOUT_SECONDS = 24 * 3600


def _key(user_id: int) -> str:
    return f"resident-requests:heads-buildings:{user_id}"


def heads_buildings_flag(user_id: int) -> bool:
    flag = cache.get(_key(user_id))
    if flag is None:
        flag = refresh(user_id)
    return flag


def refresh(user_id: int) -> bool:
    flag = BuildingHead.objects.filter(member__user_id=user_id).exists()
    cache.set(_key(user_id), flag, timeout=TIMEOUT_SECONDS)
    return flag


@receiver(user_logged_in, dispatch_uid="resident_requests_heads_flag_at_login")
def _at_login(sender, request, user, **kwargs):
    refresh(user.pk)


@receiver(post_save, sender=BuildingHead, dispatch_uid="resident_requests_heads_flag_saved")
@receiver(post_delete, sender=BuildingHead, dispatch_uid="resident_requests_heads_flag_deleted")
def _head_changed(sender, instance, **kwargs):
    user_id = type(instance.member).objects.filter(pk=instance.member_id).values_list("user_id", flat=True).first()
    if user_id is not None:
        refresh(user_id)
