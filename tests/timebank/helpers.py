"""Shared builders for the time bank's tests."""

from decimal import Decimal

from django.utils import timezone

from communities.models import StaffAssignment
from registration.models import Report
from services.models import ServiceRecord
from services.timebank import crediting
from tests import factories


def confirmed_member(community):
    return factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member


def community_staff(community):
    user = factories.UserFactory()
    StaffAssignment.objects.create(user=user, role=StaffAssignment.Role.COMMUNITY_STAFF, community=community)
    return user


def verified_record(member, community, hours="2.0", *, credit=True) -> ServiceRecord:
    """A verified record written directly; credited at once unless `credit` is False (as the job would)."""
    record = factories.ServiceRecordFactory(
        member=member, community=community, hours=Decimal(hours), status=ServiceRecord.Status.VERIFIED,
        verified_at=timezone.now(),
    )
    if credit:
        crediting.credit_record(record_id=record.pk)
    return record
