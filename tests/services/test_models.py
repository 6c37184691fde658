from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError

from services.models import Claim, ServiceNeed
from tests import factories

pytestmark = pytest.mark.django_db


def test_one_claim_per_member_per_need():
    claim = factories.ClaimFactory()
    with pytest.raises(IntegrityError):
        factories.ClaimFactory(need=claim.need, member=claim.member)


def test_a_cancelled_claim_does_not_block_claiming_again():
    claim = factories.ClaimFactory(status=Claim.Status.CANCELLED)
    factories.ClaimFactory(need=claim.need, member=claim.member)
    assert Claim.objects.filter(need=claim.need, member=claim.member).count() == 2


def test_places_cannot_be_negative():
    with pytest.raises(IntegrityError):
        factories.ServiceNeedFactory(places=-1)


def test_claims_holding_places_never_exceed_places():
    with pytest.raises(IntegrityError):
        factories.ServiceNeedFactory(places=2, claimed_count=3)


def test_a_need_cannot_end_before_it_starts():
    need = factories.ServiceNeedFactory()
    with pytest.raises(IntegrityError):
        ServiceNeed.objects.filter(pk=need.pk).update(ends_at=need.starts_at - timedelta(days=1))


@pytest.mark.parametrize("hours", [Decimal("0"), Decimal("-1"), Decimal("12.5")])
def test_record_hours_are_above_zero_and_at_most_twelve(hours):
    with pytest.raises(IntegrityError):
        factories.ServiceRecordFactory(hours=hours)


def test_one_assessment_per_member_per_year():
    assessment = factories.AssessmentFactory(year=2026)
    factories.AssessmentFactory(member=assessment.member, year=2025)
    with pytest.raises(IntegrityError):
        factories.AssessmentFactory(member=assessment.member, year=2026)
