"""What the council's public page shows, and so what draws it again (communities.public_pages): meetings and their
agendas, resolutions and their progress. Every row of these tables belongs to one council, hence one community."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from communities.public_pages import bump, community_scope

from .models import AgendaItem, Council, Meeting, Resolution, ResolutionUpdate, Topic


def bump_council(council_id: int) -> None:
    community_id = Council.objects.values_list("community_id", flat=True).filter(pk=council_id).first()
    if community_id is not None:
        bump(community_scope(community_id))


@receiver(post_save, sender=Meeting, dispatch_uid="council-public-meeting-save")
@receiver(post_delete, sender=Meeting, dispatch_uid="council-public-meeting-delete")
@receiver(post_save, sender=Topic, dispatch_uid="council-public-topic-save")
@receiver(post_save, sender=Resolution, dispatch_uid="council-public-resolution-save")
def council_row_changed(sender, instance, **kwargs):
    bump_council(instance.council_id)


@receiver(post_save, sender=AgendaItem, dispatch_uid="council-public-item-save")
@receiver(post_delete, sender=AgendaItem, dispatch_uid="council-public-item-delete")
def item_changed(sender, instance, **kwargs):
    council_id = Meeting.objects.values_list("council_id", flat=True).filter(pk=instance.meeting_id).first()
    if council_id is not None:
        bump_council(council_id)


@receiver(post_save, sender=ResolutionUpdate, dispatch_uid="council-public-update-save")
def update_changed(sender, instance, **kwargs):
    council_id = Resolution.objects.values_list("council_id", flat=True).filter(pk=instance.resolution_id).first()
    if council_id is not None:
        bump_council(council_id)
