"""The pairing ledger's writes: a pledge, a delivery against a pledge. Each checks its policy and its rules inside
one transaction and is audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit
from communities.models import Pairing
from communities.platform import policies
from services.activities.models import Activity
from services.models import ServiceNeed

from .audit_actions import Action
from .models import Delivery, Pledge


def _year_is_open(pairing, year: int, today) -> None:
    if year < pairing.started_year:
        raise ValidationError({"year": _("The pairing started in %(year)s.") % {"year": pairing.started_year}})
    if year > today.year + 1:
        raise ValidationError({"year": _("Pledges are made for this year or the next.")})


@transaction.atomic
def pledge_record(*, pairing_id: int, by, year: int, kind: str, title: str, description: str = "",
                  quantity=None, quantity_unit: str = "", need_id: int | None = None, now=None) -> Pledge:
    pairing = Pairing.objects.select_related("community").get(pk=pairing_id)
    policies.require("pairing.record_pledge", by, pairing)
    _year_is_open(pairing, year, timezone.localdate(now or timezone.now()))
    title, description, quantity_unit = title.strip(), description.strip(), quantity_unit.strip()
    if not title:
        raise ValidationError({"title": _("Say what the unit pledges.")})
    if quantity is None and not description:
        raise ValidationError({"description": _("Give a quantity or a description.")})
    if quantity is not None and quantity <= 0:
        raise ValidationError({"quantity": _("A quantity is more than zero.")})
    if quantity is not None and not quantity_unit:
        raise ValidationError({"quantity_unit": _("Say what the quantity counts (people, hours, yuan …).")})
    need = None
    if need_id is not None:
        need = ServiceNeed.objects.filter(pk=need_id, community_id=pairing.community_id).first()
        if need is None:
            raise ValidationError({"need": _("Choose a need of the paired community.")})
    if kind == Pledge.Kind.NEED and need is None:
        raise ValidationError({"need": _("A need taken on names the need.")})
    pledge = Pledge.objects.create(
        pairing=pairing, year=year, kind=kind, title=title, description=description, quantity=quantity,
        quantity_unit=quantity_unit, need=need, created_by=by, created_at=now or timezone.now(),
    )
    audit(action=Action.PLEDGE_RECORD, user=by, obj=pledge, detail={"pairing": pairing.pk, "year": year})
    return pledge


@transaction.atomic
def delivery_record(*, pledge_id: int, by, delivered_on, description: str, quantity=None,
                    need_id: int | None = None, activity_id: int | None = None, now=None) -> Delivery:
    pledge = Pledge.objects.select_related("pairing__community").get(pk=pledge_id)
    pairing = pledge.pairing
    policies.require("pairing.record_delivery", by, pairing)
    today = timezone.localdate(now or timezone.now())
    if delivered_on > today:
        raise ValidationError({"delivered_on": _("A delivery cannot be in the future.")})
    if delivered_on.year != pledge.year:
        raise ValidationError(
            {"delivered_on": _("This pledge is for %(year)s: record what was delivered that year.")
             % {"year": pledge.year}}
        )
    description = description.strip()
    if not description:
        raise ValidationError({"description": _("Say what was delivered.")})
    if quantity is not None and quantity <= 0:
        raise ValidationError({"quantity": _("A quantity is more than zero.")})
    need = activity = None
    if need_id is not None:
        need = ServiceNeed.objects.filter(pk=need_id, community_id=pairing.community_id).first()
        if need is None:
            raise ValidationError({"need": _("Choose a need of the paired community.")})
    if activity_id is not None:
        activity = Activity.objects.filter(pk=activity_id, community_id=pairing.community_id).first()
        if activity is None:
            raise ValidationError({"activity": _("Choose an activity of the paired community.")})
    delivery = Delivery.objects.create(
        pledge=pledge, delivered_on=delivered_on, description=description, quantity=quantity, need=need,
        activity=activity, recorded_by=by, recorded_at=now or timezone.now(),
    )
    audit(action=Action.DELIVERY_RECORD, user=by, obj=delivery, detail={"pledge": pledge.pk})
    return delivery
