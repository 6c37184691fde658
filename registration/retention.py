"""Retention of roster entries and withdrawn data (issue 19, finding 10; PIPL art. 19: kept no longer than needed).

`retention_purge`, the daily job `retention_purge_task` (registration.tasks), deletes:
- roster entries nobody registered under, added more than ROSTER_RETENTION_DAYS ago (default 3 years): a unit's
  list names people who must report; one who has not in that long has left or was listed by mistake, and the entry
  holds their ID card number and phone. The reporting tallies follow (registration.rates.tallies), so the rates
  count them no longer; the unit uploads its list again to restore anyone still there.
- what is left of a member who withdrew (registration.services.member_withdraw erased the personal fields at once)
  after WITHDRAWN_RETENTION_DAYS (default 30): the messages to their account (inbox, email and SMS rows), which
  may name them; their service records and the statistics stay, naming nobody.
In batches of BATCH rows, each in its own transaction, and recorded in the audit trail with the counts. Idempotent.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.audit import audit
from communities.models import Notification
from communities.platform.audit_actions import register

from .models import Member, RosterEntry
from .rates.tallies import tallies_follow

RETENTION_PURGE = register("retention_purge", _("retention: old data deleted"))
BATCH = 500


def expired_roster_entries(*, now: datetime.datetime):
    cutoff = now - datetime.timedelta(days=settings.ROSTER_RETENTION_DAYS)
    return RosterEntry.objects.filter(created_at__lt=cutoff, member__isnull=True)


def expired_withdrawn_notifications(*, now: datetime.datetime):
    cutoff = now - datetime.timedelta(days=settings.WITHDRAWN_RETENTION_DAYS)
    withdrawn = Member.objects.filter(withdrawn_at__lt=cutoff).values("user_id")
    return Notification.objects.filter(user_id__in=withdrawn)


def retention_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete what the retention rules say is kept too long; returns the counts."""
    now = now or timezone.now()
    entries = 0
    while True:
        with transaction.atomic():
            ids = list(expired_roster_entries(now=now).order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            with tallies_follow(entry_ids=ids):
                # Checked again under the tallies' lock: someone may have registered meanwhile.
                entries += expired_roster_entries(now=now).filter(pk__in=ids).delete()[0]
    with transaction.atomic():
        notifications = expired_withdrawn_notifications(now=now).delete()[0]
        counts = {"roster_entries": entries, "withdrawn_notifications": notifications}
        if entries or notifications:
            audit(action=RETENTION_PURGE, detail=counts)
    return counts
