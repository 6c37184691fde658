"""Rules of the service side that have one home and several readers: the hours a record holds, the records
that make a member's year, the outcome bonus."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Subquery

from registration.models import Member
from services.forms import RecordForm
from services.models import HOURS_STEP, MAX_HOURS_PER_DAY, OutcomeCategory, ServiceRecord
from services.points import OUTCOME_BONUS, record_points
from tests import factories

pytestmark = pytest.mark.django_db

YEAR = 2025


def test_every_outcome_has_its_bonus_keyed_by_the_category():
    assert set(OUTCOME_BONUS) == set(OutcomeCategory)
    assert record_points(hours=Decimal("2"), outcome=OutcomeCategory.DIFFICULTY_SOLVED) == Decimal("5.0")
    assert record_points(hours=Decimal("2"), outcome="good_deed") == Decimal("4.0")  # as stored on a row


@pytest.mark.parametrize(
    ("hours", "valid"),
    [(HOURS_STEP, True), (MAX_HOURS_PER_DAY, True), (MAX_HOURS_PER_DAY + HOURS_STEP, False), (Decimal("1.2"), False)],
)
def test_the_form_accepts_the_hours_the_database_accepts(hours, valid):
    form = RecordForm(data={"served_on": "2025-06-01", "hours": str(hours), "description": "x", "outcome": "general"})
    assert form.is_valid() is valid


def test_the_database_refuses_more_hours_than_a_record_holds():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ServiceRecordFactory(hours=MAX_HOURS_PER_DAY + HOURS_STEP)


def record(member, *, hours="1.0", served_on=datetime.date(YEAR, 6, 1), status=ServiceRecord.Status.VERIFIED):
    return factories.ServiceRecordFactory(member=member, hours=Decimal(hours), served_on=served_on, status=status)


def test_a_members_year_is_the_verified_records_served_in_it_whenever_verified():
    member, other = factories.MemberFactory(), factories.MemberFactory()
    counted = [
        record(member, hours="1.0", served_on=datetime.date(YEAR, 1, 1)),
        record(member, hours="2.5", served_on=datetime.date(YEAR, 12, 31)),
    ]
    record(member, served_on=datetime.date(YEAR - 1, 12, 31))
    record(member, served_on=datetime.date(YEAR + 1, 1, 1))
    record(member, status=ServiceRecord.Status.SUBMITTED)
    record(member, status=ServiceRecord.Status.REJECTED)
    record(other, hours="4.0")

    in_year = ServiceRecord.objects.verified_in_year(YEAR)
    assert set(in_year.filter(member=member)) == set(counted)
    hours = dict(
        Member.objects.annotate(year_hours=Subquery(in_year.hours_of_outer_member())).values_list("pk", "year_hours")
    )
    assert hours == {member.pk: Decimal("3.5"), other.pk: Decimal("4.0")}
