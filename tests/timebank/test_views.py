"""The time bank's pages: what each shows, who may open them, and their query ceilings."""

import pytest
from django.urls import reverse

from services.timebank import services as bank
from services.timebank.models import Account, FundPayment, Redemption, Transfer
from services.timebank.views import member_token
from tests import factories

from .helpers import community_staff, confirmed_member, verified_record


@pytest.fixture
def rice(community, staff):
    goods = bank.goods_create(user=staff, community=community, name="大米 5kg", price_tenths=30)
    bank.goods_donate(user=staff, goods_id=goods.pk, quantity=5, donor="幸福超市")
    return goods


def test_the_home_panel_leads_to_the_time_bank(client, member, community):
    verified_record(member, community, "2.5")
    client.force_login(member.user)
    page = client.get(reverse("registration:member-home")).content.decode()
    assert "timebank-panel" in page and reverse("timebank:home") in page


def test_the_statement_query_count_does_not_grow_with_movements(client, member, community,
                                                                django_assert_max_num_queries):
    for _ in range(12):
        verified_record(member, community, "1.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    for _ in range(5):
        bank.gift_to_family(member=member, family_id=mother.pk, tenths=5)
    client.force_login(member.user)
    # session, user, second factor, policy scope, member and home, balances, page count, the page of legs,
    # unread notifications, the navigation's scope
    with django_assert_max_num_queries(11):
        response = client.get(reverse("timebank:statement"))
    assert response.status_code == 200
    assert response.content.decode().count("list-group-item small") == 29


def test_the_time_bank_home_query_ceiling(client, member, community, staff, rice, django_assert_max_num_queries):
    verified_record(member, community, "9.0")
    for name in ("王秀英", "李建国", "李小明"):
        bank.family_add(member=member, name=name, relation="家人")
    for _ in range(3):
        bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=1)
        bank.service_request_create(member=member, community=community, title="代买药品", description="", tenths=5)
    client.force_login(member.user)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("timebank:home"))
    assert response.status_code == 200
    assert response.content.decode().count("family-balance") == 3


def test_a_member_gives_credits_through_the_page(client, member, community):
    verified_record(member, community, "3.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    client.force_login(member.user)
    response = client.post(reverse("timebank:gift"), {"family": mother.pk, "amount": "1.5"})
    assert response.status_code == 302
    assert Account.objects.get(family=mother).balance == 15


def test_a_gift_over_the_balance_is_refused_next_to_the_field_with_the_input_kept(client, member, community):
    verified_record(member, community, "1.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    client.force_login(member.user)
    response = client.post(reverse("timebank:gift"), {"family": mother.pk, "amount": "2"})
    assert response.status_code == 200
    assert 'value="2"' in response.content.decode()
    assert not Transfer.objects.filter(kind="gift").exists()


def test_a_member_cannot_give_to_someone_elses_family(client, member, community):
    other = confirmed_member(community)
    theirs = bank.family_add(member=other, name="张三", relation="父亲")
    bank.family_add(member=member, name="王秀英", relation="母亲")
    verified_record(member, community, "3.0")
    client.force_login(member.user)
    response = client.post(reverse("timebank:gift"), {"family": theirs.pk, "amount": "1"})
    assert response.status_code == 200  # not one of the choices
    assert not Transfer.objects.filter(kind="gift").exists()


def test_the_counter_scans_a_member_code_and_the_member_confirms(client, member, community, staff, rice):
    verified_record(member, community, "6.0")
    client.force_login(staff)
    token = member_token(member.pk)
    page = client.get(reverse("timebank:staff-counter"), {"token": token}).content.decode()
    assert member.name in page
    response = client.post(reverse("timebank:staff-counter"), {"token": token, "goods": rice.pk, "quantity": 1})
    assert response.status_code == 302
    redemption = Redemption.objects.get()
    client.force_login(member.user)
    assert rice.name in client.get(reverse("timebank:home")).content.decode()
    response = client.post(reverse("timebank:redemption-confirm", args=[redemption.pk]), {"action": "confirm"})
    redemption.refresh_from_db()
    assert redemption.status == "confirmed"


def test_a_forged_or_old_code_shows_no_member(client, member, staff, rice, monkeypatch):
    import time

    from django.core import signing

    client.force_login(staff)
    page = client.get(reverse("timebank:staff-counter"), {"token": member_token(member.pk) + "x"}).content.decode()
    assert member.name not in page and "code-refused" in page
    token = member_token(member.pk)
    later = time.time() + 61
    monkeypatch.setattr(signing.time, "time", lambda: later)
    page = client.get(reverse("timebank:staff-counter"), {"token": token}).content.decode()
    assert member.name not in page and "code-refused" in page


def test_a_member_cannot_open_anothers_redemption(client, member, community, staff, rice):
    redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=1)
    client.force_login(confirmed_member(community).user)
    assert client.get(reverse("timebank:redemption-confirm", args=[redemption.pk])).status_code == 404
    assert client.post(reverse("timebank:redemption-confirm", args=[redemption.pk])).status_code == 404


@pytest.mark.parametrize("name", ["staff-overview", "staff-counter", "staff-goods", "staff-statement",
                                  "staff-transfers", "staff-requests", "staff-fund"])
def test_staff_pages_open_for_community_staff_and_not_for_members_or_street_staff(client, member, staff, name,
                                                                                   django_assert_max_num_queries):
    client.force_login(member.user)
    assert client.get(reverse(f"timebank:{name}")).status_code == 403
    from communities.models import StaffAssignment

    street = factories.UserFactory()
    StaffAssignment.objects.create(user=street, role=StaffAssignment.Role.STREET_STAFF,
                                   street=member.reports.get().community.street)
    client.force_login(street)
    assert client.get(reverse(f"timebank:{name}")).status_code == 403
    client.force_login(staff)
    with django_assert_max_num_queries(14):
        assert client.get(reverse(f"timebank:{name}")).status_code == 200


def test_the_transfers_page_query_count_does_not_grow(client, community, staff, django_assert_max_num_queries):
    for _ in range(8):
        person = confirmed_member(community)
        verified_record(person, community, "2.0")
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("timebank:staff-transfers"))
    assert response.content.decode().count("transfer-row") == 16


def test_staff_reverse_a_gift_from_the_transfers_page(client, member, community, staff):
    verified_record(member, community, "3.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    gift = bank.gift_to_family(member=member, family_id=mother.pk, tenths=10)
    client.force_login(staff)
    assert "王秀英" in client.get(reverse("timebank:staff-transfers"), {"kind": "gift"}).content.decode()
    client.post(reverse("timebank:staff-transfer-reverse", args=[gift.pk]), {"reason": "金额填错"})
    assert Transfer.objects.filter(reverses=gift).exists()


def test_staff_of_another_community_cannot_reverse_these_gifts(client, member, community):
    verified_record(member, community, "3.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    gift = bank.gift_to_family(member=member, family_id=mother.pk, tenths=10)
    client.force_login(community_staff(factories.CommunityFactory()))
    assert client.post(reverse("timebank:staff-transfer-reverse", args=[gift.pk]),
                       {"reason": "x"}).status_code == 403
    assert not Transfer.objects.filter(reverses=gift).exists()


def test_the_monthly_statement_exports_as_xlsx_and_is_recorded(client, community, staff, rice):
    from io import BytesIO

    from openpyxl import load_workbook

    from communities.models import ExportRecord

    client.force_login(staff)
    response = client.get(reverse("timebank:staff-statement"), {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.values)
    assert rows[3][0] == "大米 5kg" and rows[3][3] == 5
    assert ExportRecord.objects.filter(kind="market-statement", user=staff).exists()


def test_the_fund_page_asks_and_a_second_staff_member_approves(client, community, staff):
    unit = factories.UnitFactory()
    factories.PairingFactory(unit=unit, community=community)
    client.force_login(staff)
    client.post(reverse("timebank:staff-fund"), {"form": "deposit", "deposit-unit": unit.pk,
                                                 "deposit-amount": "50", "deposit-reason": "企业捐赠"})
    client.post(reverse("timebank:staff-fund"), {"form": "payment", "payment-beneficiary": "小芳",
                                                 "payment-purpose": "资助学费", "payment-amount": "30"})
    payment = FundPayment.objects.get()
    client.post(reverse("timebank:staff-fund-decide", args=[payment.pk]), {"decision": "approve"})
    payment.refresh_from_db()
    assert payment.status == "pending"
    client.force_login(community_staff(community))
    client.post(reverse("timebank:staff-fund-decide", args=[payment.pk]), {"decision": "approve"})
    payment.refresh_from_db()
    assert payment.status == "approved"
    assert Account.objects.get(community=community, kind="fund").balance == 200
