"""The time bank's delivery sources (issue 23): a unit's deposits and its donations to the 爱心超市 count as delivered
in its paired community, that year, and nowhere else."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from services.pairing import sources
from services.timebank import services as bank
from services.timebank.pairing_sources import credits_deposited, goods_donated
from tests.conftest import make_staff
from tests.pairing.conftest import NOW

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.make_aware(datetime.datetime(2025, 11, 20, 10, 0))


def figures(pairing, year=2026) -> dict:
    return {source.key: value for source, value in sources.figures_for([pairing], year)[pairing.pk]}


@pytest.fixture
def gifts(ledger, time_machine):
    """Unit 0 (paired with community 0) deposits 10 + 2.5 credits and donates 3 + 2 items there this year; around
    it, what must not count for that pairing: a reversed deposit, a deposit and a donation of unit 0 elsewhere, a
    donation with only a free-text donor, unit 1's gifts to community 0, and unit 0's gifts of last year."""
    (unit, other_unit), (home, elsewhere) = ledger["units"][:2], ledger["communities"][:2]
    staff, elsewhere_staff = ledger["staff"]["community"], make_staff("community", community=elsewhere)
    rice = bank.goods_create(user=staff, community=home, name="大米", price_tenths=50)
    oil = bank.goods_create(user=elsewhere_staff, community=elsewhere, name="食用油", price_tenths=80)

    time_machine.move_to(LAST_YEAR, tick=False)
    bank.organisation_deposit(user=staff, community=home, unit=unit, tenths=700, reason="去年")
    bank.goods_donate(user=staff, goods_id=rice.pk, quantity=40, donor="去年", donor_unit=unit)
    time_machine.move_to(NOW, tick=False)

    bank.organisation_deposit(user=staff, community=home, unit=unit, tenths=100, reason="企业捐赠")
    bank.organisation_deposit(user=staff, community=home, unit=unit, tenths=25, reason="服务", to_fund=False)
    mistake = bank.organisation_deposit(user=staff, community=home, unit=unit, tenths=9000, reason="多输了",
                                        to_fund=False)
    bank.transfer_reverse(user=staff, transfer_id=mistake.pk, reason="录错金额")
    bank.organisation_deposit(user=elsewhere_staff, community=elsewhere, unit=unit, tenths=300, reason="别处")
    bank.organisation_deposit(user=staff, community=home, unit=other_unit, tenths=500, reason="别的单位")
    bank.goods_donate(user=staff, goods_id=rice.pk, quantity=3, donor="单位", donor_unit=unit)
    bank.goods_donate(user=staff, goods_id=rice.pk, quantity=2, donor="单位", donor_unit=unit)
    bank.goods_donate(user=staff, goods_id=rice.pk, quantity=11, donor="热心居民")
    bank.goods_donate(user=staff, goods_id=rice.pk, quantity=13, donor="别的单位", donor_unit=other_unit)
    bank.goods_donate(user=elsewhere_staff, goods_id=oil.pk, quantity=17, donor="单位", donor_unit=unit)
    return ledger


def test_the_units_deposits_and_donations_count_in_its_paired_community_that_year(gifts):
    pairing, other_pairing = gifts["pairings"][0], gifts["pairings"][1]
    assert figures(pairing) == {"hours": 0, "needs": 0, "activities": 0, "deposits": Decimal("12.5"), "goods": 5}
    assert (figures(pairing, 2025)["deposits"], figures(pairing, 2025)["goods"]) == (Decimal("70.0"), 40)
    # Unit 1 is paired with community 4, not community 0, where it gave.
    assert (figures(other_pairing)["deposits"], figures(other_pairing)["goods"]) == (0, 0)


def test_the_pairing_page_and_the_rates_tab_show_them(client, gifts):
    pairing, other_pairing = gifts["pairings"][0], gifts["pairings"][2]
    client.force_login(gifts["staff"]["community"])
    page = client.get(reverse("pairing:pairing", args=[pairing.pk]))
    assert dict((source.key, value) for source, value in page.context["delivered_by_sources"]) == {
        "hours": 0, "needs": 0, "activities": 0, "deposits": Decimal("12.5"), "goods": 5,
    }
    content = page.content.decode()
    assert "存入的时间积分" in content and "捐赠爱心超市物品" in content

    client.force_login(gifts["staff"]["org_city"])
    tab = client.get(reverse("rates:tab", args=["pairing"]))
    rows = {row.pairing.pk: {s.key: v for s, v in row.delivered_by_sources} for row in tab.context["pairing_rows"]}
    assert (rows[pairing.pk]["deposits"], rows[pairing.pk]["goods"]) == (Decimal("12.5"), 5)
    assert (rows[other_pairing.pk]["deposits"], rows[other_pairing.pk]["goods"]) == (0, 0)
    last_year = client.get(reverse("rates:tab", args=["pairing"]), {"year": 2025})
    row = next(row for row in last_year.context["pairing_rows"] if row.pairing == pairing)
    assert dict((s.key, v) for s, v in row.delivered_by_sources)["goods"] == 40


def test_each_source_answers_a_page_of_pairings_in_one_query(gifts, django_assert_num_queries):
    pairings = gifts["pairings"]
    with django_assert_num_queries(1):
        deposited = credits_deposited(pairings, 2026)
    with django_assert_num_queries(1):
        donated = goods_donated(pairings, 2026)
    assert (deposited, donated) == ({pairings[0].pk: Decimal("12.5")}, {pairings[0].pk: 5})


def test_staff_name_the_donating_unit_among_the_paired_ones_on_the_goods_page(client, ledger):
    pairing, staff = ledger["pairings"][0], ledger["staff"]["community"]
    rice = bank.goods_create(user=staff, community=pairing.community, name="大米", price_tenths=50)
    client.force_login(staff)
    url = reverse("timebank:staff-goods")
    post = {"form": "donation", "donation-goods": rice.pk, "donation-quantity": 4, "donation-donor": "单位工会"}
    # Unit 1 is not paired with this community: not offered, refused.
    refused = client.post(url, {**post, "donation-donor_unit": ledger["units"][1].pk})
    assert refused.status_code == 200 and refused.context["donation_form"].errors
    assert client.post(url, {**post, "donation-donor_unit": pairing.unit_id}).status_code == 302
    assert client.post(url, {**post, "donation-donor_unit": ""}).status_code == 302
    assert figures(pairing)["goods"] == 4
