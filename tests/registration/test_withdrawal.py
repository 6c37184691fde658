"""A member who withdraws consent is erased; their service stays in the figures without them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from registration import services
from registration.models import Member, Report
from registration.rates.tallies import tally_differences, tally_rebuild
from services.models import ServiceRecord
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    unit = factories.UnitFactory()
    entry = factories.RosterEntryFactory(unit=unit)
    member = factories.MemberFactory(
        unit=unit, roster_entry=entry, name="王秘密", phone="13911112222", home_address="幸福路12号", specialty="书法"
    )
    member.skills.add(factories.SkillFactory())
    factories.ReportFactory(member=member, status=Report.Status.CONFIRMED, decided_at=timezone.now())
    factories.ServiceRecordFactory(member=member, hours=Decimal("3"), status="verified", points=Decimal("3"))
    return member


def test_withdrawal_erases_the_personal_fields_and_keeps_the_service(member):
    number = member.id_number
    services.member_withdraw(member=member)
    member.refresh_from_db()
    user = member.user
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registration_member WHERE id = %s", [member.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    for value in ("王秘密", "13911112222", "幸福路12号", "书法", number, number[:3] + "*" * 11 + number[-4:]):
        assert value not in row
    assert member.withdrawn_at is not None and member.roster_entry is None and not member.skills.exists()
    assert not user.is_active and not user.has_usable_password() and "13911112222" not in user.username
    assert member.reports.filter(status=Report.Status.CONFIRMED).count() == 0
    assert ServiceRecord.objects.get(member=member).hours == Decimal("3.0")


def test_withdrawal_keeps_the_tallies_equal_to_a_recount(member):
    from django.utils import timezone

    tally_rebuild(timezone.localdate().year)
    services.member_withdraw(member=member)
    assert tally_differences(timezone.localdate().year) == []


def test_withdrawal_happens_once(member):
    services.member_withdraw(member=member)
    with pytest.raises(ValidationError):
        services.member_withdraw(member=Member.objects.get(pk=member.pk))


def test_the_page_asks_for_the_password_then_logs_out(client, member):
    client.force_login(member.user)
    url = reverse("registration:member-withdraw")
    assert client.post(url, {"password": "wrong"}).status_code == 200
    assert Member.objects.get(pk=member.pk).withdrawn_at is None
    response = client.post(url, {"password": "Test2026pass"})
    assert response.status_code == 200
    assert Member.objects.get(pk=member.pk).withdrawn_at is not None
    assert client.get(reverse("registration:member-home")).status_code == 302
