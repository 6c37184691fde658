"""What the service side's public pages show, and so what draws them again (communities.public_pages): the
board and its poster list a community's published needs with places left, and who serves there (the members
whose report is confirmed, by name and unit)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from communities.public_pages import bump, community_scope
from registration.models import Member, Report
from registration.signals import members_changed_in_bulk

from .models import Claim, ServiceNeed


def _bump_communities(community_ids) -> None:
    bump(*(community_scope(community_id) for community_id in sorted(set(community_ids))))


@receiver(post_save, sender=ServiceNeed, dispatch_uid="public-pages-need-save")
@receiver(post_delete, sender=ServiceNeed, dispatch_uid="public-pages-need-delete")
def need_changed(sender, instance, **kwargs):
    """Published, closed, edited, deleted (a draft too: cheaper than knowing what it was before)."""
    _bump_communities([instance.community_id])


@receiver(post_save, sender=Claim, dispatch_uid="public-pages-claim-save")
@receiver(post_delete, sender=Claim, dispatch_uid="public-pages-claim-delete")
def claim_changed(sender, instance, **kwargs):
    """A claim taken or given back changes the places left (claimed_count moves by a queryset update in the same
    transaction, which sends no signal of its own)."""
    if Claim.need.is_cached(instance):
        community_id = instance.need.community_id
    else:
        community_id = ServiceNeed.objects.values_list("community_id", flat=True).filter(pk=instance.need_id).first()
    if community_id is not None:
        _bump_communities([community_id])


@receiver(post_save, sender=Report, dispatch_uid="public-pages-report-save")
@receiver(post_delete, sender=Report, dispatch_uid="public-pages-report-delete")
def report_changed(sender, instance, **kwargs):
    """Who serves here: a report confirmed, ended or withdrawn. Confirming one ends the member's earlier confirmed
    report by a queryset update (no signal), so the member's other communities are drawn again too."""
    if instance.status in (Report.Status.PENDING, Report.Status.REJECTED):
        return  # never shown
    community_ids = [instance.community_id]
    if instance.status == Report.Status.CONFIRMED:
        community_ids += Report.objects.filter(member_id=instance.member_id).values_list("community_id", flat=True)
    _bump_communities(community_ids)


@receiver(post_save, sender=Member, dispatch_uid="public-pages-member-save")
def member_changed(sender, instance, created, **kwargs):
    """A member's name or unit, shown where they serve; a withdrawal ends their reports by a queryset update."""
    if created:
        return  # no report yet
    _bump_communities(Report.objects.filter(member_id=instance.pk).values_list("community_id", flat=True))


@receiver(members_changed_in_bulk, dispatch_uid="public-pages-members-bulk")
def members_changed(sender, member_ids, **kwargs):
    """Members moved to the unit whose roster lists them: their unit is shown where they serve."""
    _bump_communities(Report.objects.filter(member_id__in=member_ids).values_list("community_id", flat=True))
