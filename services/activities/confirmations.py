"""The served resident's one-tap confirmation of one-to-one service (models.ServiceConfirmation).

A one-to-one service is a record against a claim of a need met by direct help (直接解决: one household helped).
While the record awaits verification, its member shows a short code and its QR code; the resident opens the link
or types the code, without logging in, and taps once to confirm; a building head of the community may confirm
for a resident (no phone). The confirmation does not verify the record: staff still do, and see the mark in their
queue (communities.platform.marks)."""

import datetime
import secrets

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.platform import policies
from registration.models import Member
from services.models import ServiceNeed, ServiceRecord

from .models import ServiceConfirmation

# No 0/O, 1/I/L: read out and typed by older residents. 8 characters of 31: about 2^40, never guessed within
# the WRONG_LIMIT tries an address has.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
VALID_FOR = datetime.timedelta(days=3)
WRONG_LIMIT = 20
WRONG_WINDOW = 600

Method = ServiceConfirmation.Method


def is_one_to_one(record: ServiceRecord) -> bool:
    return record.claim_id is not None and record.claim.need.fulfilment == ServiceNeed.Fulfilment.DIRECT


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: str) -> str:
    return "".join(code.split()).upper()


def confirmation_issue(*, member: Member, record_id: int) -> ServiceConfirmation:
    """The code the member shows for one of their one-to-one records awaiting verification: the one issued
    before while it is valid, else a new one. Raises ServiceRecord.DoesNotExist (not the member's),
    ValidationError (not one-to-one, not awaiting verification, already confirmed)."""
    with transaction.atomic():
        record = (
            ServiceRecord.objects.select_for_update(of=("self",))
            .select_related("claim__need")
            .get(pk=record_id, member=member)
        )
        if not is_one_to_one(record):
            raise ValidationError(_("Only one-to-one service (direct help to a household) is confirmed by the "
                                    "resident."))
        if record.status != ServiceRecord.Status.SUBMITTED:
            raise ValidationError(_("This record has already been dealt with by the community."))
        now = timezone.now()
        confirmation = ServiceConfirmation.objects.filter(record=record).first()
        if confirmation is not None and confirmation.confirmed_at is not None:
            raise ValidationError(_("The resident has already confirmed this service."))
        if confirmation is None:
            return ServiceConfirmation.objects.create(record=record, code=_new_code(), expires_at=now + VALID_FOR)
        if confirmation.expires_at <= now:
            confirmation.code, confirmation.expires_at = _new_code(), now + VALID_FOR
            confirmation.save(update_fields=["code", "expires_at"])
        return confirmation


def _wrong_key(address: str) -> str:
    return f"activities:wrong-confirmation:{address}"


def confirmation_find(*, code: str, address: str) -> ServiceConfirmation:
    """The open confirmation with this code, for the page the resident sees. WRONG_LIMIT unknown codes in
    WRONG_WINDOW from one address stop that address. Raises ValidationError."""
    key = _wrong_key(address)
    if cache.get(key, 0) >= WRONG_LIMIT:
        raise ValidationError(_("Too many wrong codes. Try again in ten minutes."))
    confirmation = (
        ServiceConfirmation.objects.select_related("record__claim__need", "record__member", "record__community")
        .filter(code=normalise(code))
        .first()
    )
    if confirmation is None or confirmation.expires_at <= timezone.now():
        cache.add(key, 0, WRONG_WINDOW)
        cache.incr(key)
        raise ValidationError({"code": _("No service waits for confirmation with this code. Check it with the "
                                         "member.")})
    return confirmation


def confirmation_confirm(*, code: str, address: str, user=None) -> ServiceConfirmation:
    """The resident's tap (no login) or a building head's on their behalf (`user`, who must head a building
    of the record's community). Confirming twice is the same confirmation. Raises ValidationError,
    PermissionDenied (a signed-in user who is not a building head there)."""
    found = confirmation_find(code=code, address=address)
    with transaction.atomic():
        confirmation = ServiceConfirmation.objects.select_for_update().get(pk=found.pk)
        if confirmation.confirmed_at is not None:
            return confirmation
        record = ServiceRecord.objects.select_related("community").get(pk=confirmation.record_id)
        if record.status != ServiceRecord.Status.SUBMITTED:
            raise ValidationError(_("This record has already been dealt with by the community."))
        if user is not None and getattr(user, "is_authenticated", False):
            if not policies.allowed("activities.confirm_for_resident", user, record.community):
                raise PermissionDenied
            confirmation.method, confirmation.confirmed_by = Method.BUILDING_HEAD, user
        else:
            confirmation.method = Method.RESIDENT
        confirmation.confirmed_at = timezone.now()
        confirmation.save(update_fields=["method", "confirmed_by", "confirmed_at"])
    return confirmation


def confirmable_records(*, member: Member):
    """The member's one-to-one records awaiting verification, with their confirmation if any (`confirmed_how`)."""
    confirmations = ServiceConfirmation.objects.filter(record=OuterRef("pk"))
    return (
        ServiceRecord.objects.filter(
            member=member, status=ServiceRecord.Status.SUBMITTED,
            claim__need__fulfilment=ServiceNeed.Fulfilment.DIRECT,
        )
        .select_related("claim__need")
        .annotate(confirmed_how=Subquery(confirmations.filter(confirmed_at__isnull=False).values("method")[:1]))
        .order_by("-served_on", "-pk")
    )


def annotate_confirmed(records):
    """The record queue's mark (communities.platform.marks): how the resident confirmed, or NULL."""
    confirmed = ServiceConfirmation.objects.filter(record=OuterRef("pk"), confirmed_at__isnull=False)
    return records.annotate(resident_confirmed=Subquery(confirmed.values("method")[:1]))


def confirmed_label(record):
    method = getattr(record, "resident_confirmed", None)
    return Method(method).label if method else None
