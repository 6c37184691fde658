"""A verified record earns its credits: enqueued after the verification commits (a decoupled reaction: the
service side does not know the time bank exists). Records written in bulk (an activity's closing) send no signal;
the scheduled job credits them."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from services.models import ServiceRecord


@receiver(post_save, sender=ServiceRecord, dispatch_uid="timebank-credit-verified-record")
def credit_verified_record(sender, instance, **kwargs):
    if instance.status != ServiceRecord.Status.VERIFIED:
        return
    from .tasks import credit_record_task

    record_id = instance.pk
    transaction.on_commit(lambda: credit_record_task.delay(record_id))
