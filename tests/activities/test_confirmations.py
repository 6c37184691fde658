"""The served resident's one-tap confirmation of a one-to-one service: the member's code, the resident's tap
without login or the building head's for them, and the mark in the staff's record queue."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from communities.grid.models import Building, Grid
from services.activities import confirmations
from services.activities.models import ServiceConfirmation
from services.models import ServiceNeed
from services.requests.models import BuildingHead
from tests import factories
from tests.conftest import make_staff

from .helpers import confirmed_member

pytestmark = pytest.mark.django_db
Method = ServiceConfirmation.Method


@pytest.fixture
def community():
    return factories.CommunityFactory(name="向阳社区")


@pytest.fixture
def record(community):
    """A one-to-one record awaiting verification: against a claim of a direct-help need."""
    member = confirmed_member(community)
    need = factories.ServiceNeedFactory(community=community, places=1, fulfilment=ServiceNeed.Fulfilment.DIRECT)
    claim = factories.ClaimFactory(need=need, member=member)
    return factories.ServiceRecordFactory(member=member, community=community, claim=claim)


def building_head(community):
    head = confirmed_member(community)
    grid = Grid.objects.create(community=community, name="第一网格")
    building = Building.objects.create(grid=grid, name="3号楼")
    BuildingHead.objects.create(member=head, building=building, assigned_by=head.user)
    return head.user


def test_the_member_gets_one_code_per_record_and_a_new_one_once_expired(record):
    first = confirmations.confirmation_issue(member=record.member, record_id=record.pk)
    again = confirmations.confirmation_issue(member=record.member, record_id=record.pk)
    assert first.code == again.code and len(first.code) == 8
    with time_machine.travel(first.expires_at + datetime.timedelta(seconds=1)):
        renewed = confirmations.confirmation_issue(member=record.member, record_id=record.pk)
    assert renewed.pk == first.pk and renewed.code != first.code


def test_only_the_members_own_one_to_one_records_awaiting_verification_get_a_code(community, record):
    with pytest.raises(record.DoesNotExist):
        confirmations.confirmation_issue(member=confirmed_member(community), record_id=record.pk)
    own_initiative = factories.ServiceRecordFactory(member=record.member, community=community)
    coordinating = factories.ServiceNeedFactory(community=community, fulfilment="coordinate")
    coordinated = factories.ServiceRecordFactory(member=record.member, community=community,
                                                 claim=factories.ClaimFactory(member=record.member, need=coordinating))
    verified = factories.ServiceRecordFactory(member=record.member, community=community, claim=record.claim,
                                              status="verified")
    for other in (own_initiative, coordinated, verified):
        with pytest.raises(ValidationError):
            confirmations.confirmation_issue(member=record.member, record_id=other.pk)


def test_the_resident_confirms_with_one_tap_without_login(client, record):
    code = confirmations.confirmation_issue(member=record.member, record_id=record.pk).code
    page = client.get(reverse("activities:confirm", args=[code])).content.decode()
    assert record.claim.need.title in page
    assert record.member.name not in page  # masked: the page is open to whoever has the code
    client.post(reverse("activities:confirm", args=[code]))
    confirmation = ServiceConfirmation.objects.get()
    assert (confirmation.method, confirmation.confirmed_by) == (Method.RESIDENT, None)
    assert confirmation.confirmed_at is not None


def test_the_resident_types_the_code_in_any_case(client, record):
    code = confirmations.confirmation_issue(member=record.member, record_id=record.pk).code
    response = client.post(reverse("activities:confirm-enter"), {"code": f" {code.lower()} "})
    assert response.status_code == 302 and response.url == reverse("activities:confirm", args=[code])


def test_a_building_head_of_the_community_confirms_for_the_resident(client, community, record):
    code = confirmations.confirmation_issue(member=record.member, record_id=record.pk).code
    head = building_head(community)
    client.force_login(head)
    assert "代居民确认" in client.get(reverse("activities:confirm", args=[code])).content.decode()
    client.post(reverse("activities:confirm", args=[code]))
    confirmation = ServiceConfirmation.objects.get()
    assert (confirmation.method, confirmation.confirmed_by) == (Method.BUILDING_HEAD, head)


def test_a_signed_in_user_who_is_not_a_building_head_there_cannot_confirm(client, community, record):
    code = confirmations.confirmation_issue(member=record.member, record_id=record.pk).code
    for user in (record.member.user, building_head(factories.CommunityFactory())):
        with pytest.raises(PermissionDenied):
            confirmations.confirmation_confirm(code=code, address="10.0.0.1", user=user)
        client.force_login(user)
        assert client.post(reverse("activities:confirm", args=[code])).status_code == 403
    assert ServiceConfirmation.objects.get().confirmed_at is None


def test_a_wrong_or_expired_code_is_refused_and_guessing_is_stopped(client, record):
    confirmation = confirmations.confirmation_issue(member=record.member, record_id=record.pk)
    with time_machine.travel(confirmation.expires_at + datetime.timedelta(seconds=1)), pytest.raises(ValidationError):
        confirmations.confirmation_confirm(code=confirmation.code, address="10.0.0.2")
    for _ in range(confirmations.WRONG_LIMIT):
        assert client.get(reverse("activities:confirm", args=["ZZZZZZZZ"])).status_code == 404
    with pytest.raises(ValidationError) as error:
        confirmations.confirmation_find(code=confirmation.code, address="127.0.0.1")
    assert "十分钟" in " ".join(error.value.messages)


def test_a_record_already_verified_can_no_longer_be_confirmed(record):
    code = confirmations.confirmation_issue(member=record.member, record_id=record.pk).code
    type(record).objects.filter(pk=record.pk).update(status="verified")
    with pytest.raises(ValidationError):
        confirmations.confirmation_confirm(code=code, address="10.0.0.3")


def test_the_staff_queue_marks_a_record_the_resident_confirmed(client, community, record):
    other = factories.ServiceRecordFactory(member=record.member, community=community, hours=Decimal("1"),
                                           served_on=timezone.localdate() - datetime.timedelta(days=2))
    code = confirmations.confirmation_issue(member=record.member, record_id=record.pk).code
    confirmations.confirmation_confirm(code=code, address="10.0.0.4")
    client.force_login(make_staff("community", community=community))
    response = client.get(reverse("services:staff-record-queue"))
    marks = {row.pk: row.marks for row in response.context["page"]}
    assert marks == {record.pk: ["居民已确认"], other.pk: []}
    assert "居民已确认" in response.content.decode()
