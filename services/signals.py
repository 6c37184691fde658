"""What a service record's save changes beyond its row."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import ServiceRecord
from .selectors import summary_changed


@receiver(post_save, sender=ServiceRecord, dispatch_uid="service_summary_record_saved")
def _record_saved(sender, instance, **kwargs):
    # Records are never deleted (PROTECT from members, kept for the assessment); multi-row writes call
    # summary_changed themselves.
    summary_changed([instance.member_id])
