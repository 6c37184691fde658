"""The 爱心超市: donations in, redemptions at the counter (entered by staff, confirmed by the member), reversal with
the goods back on the shelf, stock counts, the monthly statement; reconcile finds stock and payments apart."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from services.timebank import selectors
from services.timebank import services as bank
from services.timebank.models import Account, Goods, Redemption, StockMove, Transfer
from services.timebank.reconcile import reconcile
from tests import factories

from .helpers import community_staff, verified_record


def findings():
    return {check: found for check, found in reconcile().items() if found}


@pytest.fixture
def rice(community, staff):
    goods = bank.goods_create(user=staff, community=community, name="大米 5kg", price_tenths=30)
    bank.goods_donate(user=staff, goods_id=goods.pk, quantity=3, donor="幸福超市")
    return goods


def test_a_donation_puts_goods_on_the_shelf_with_who_gave_them(rice):
    rice.refresh_from_db()
    assert rice.stock == 3
    move = StockMove.objects.get(goods=rice)
    assert (move.kind, move.quantity, move.donor) == ("donation", 3, "幸福超市")


def test_a_redemption_entered_at_the_counter_moves_nothing_until_the_member_confirms(member, community, staff, rice):
    verified_record(member, community, "8.0")
    redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=2)
    rice.refresh_from_db()
    assert rice.stock == 3 and not Transfer.objects.filter(kind="redeem").exists()
    bank.redemption_confirm(member=member, redemption_id=redemption.pk)
    rice.refresh_from_db()
    assert rice.stock == 1
    assert Account.objects.get(member=member, value="credit").balance == 20
    assert Account.objects.get(community=community, kind="market").balance == 60
    redemption.refresh_from_db()
    assert redemption.status == "confirmed"
    assert findings() == {}


def test_a_redemption_is_confirmed_once(member, community, staff, rice):
    verified_record(member, community, "8.0")
    redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=1)
    bank.redemption_confirm(member=member, redemption_id=redemption.pk)
    with pytest.raises(ValidationError, match="已经处理过了"):
        bank.redemption_confirm(member=member, redemption_id=redemption.pk)
    assert Transfer.objects.filter(kind="redeem").count() == 1


def test_a_member_without_enough_credits_cannot_confirm(member, community, staff, rice):
    verified_record(member, community, "2.0")
    redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=1)
    with pytest.raises(ValidationError, match="积分不足"):
        bank.redemption_confirm(member=member, redemption_id=redemption.pk)
    rice.refresh_from_db()
    assert rice.stock == 3 and not StockMove.objects.filter(kind="redemption").exists()


def test_the_counter_cannot_enter_more_than_the_shelf_holds(member, staff, rice):
    with pytest.raises(ValidationError, match="只剩 3 件"):
        bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=4)


def test_the_last_item_goes_to_the_first_member_who_confirms(community, staff, rice):
    from .helpers import confirmed_member

    first, second = confirmed_member(community), confirmed_member(community)
    for person in (first, second):
        verified_record(person, community, "10.0")
    one = bank.redemption_start(user=staff, member=first, goods_id=rice.pk, quantity=3)
    two = bank.redemption_start(user=staff, member=second, goods_id=rice.pk, quantity=1)
    bank.redemption_confirm(member=first, redemption_id=one.pk)
    with pytest.raises(ValidationError, match="只剩 0 件"):
        bank.redemption_confirm(member=second, redemption_id=two.pk)


def test_an_unconfirmed_redemption_expires(member, community, staff, rice):
    verified_record(member, community, "8.0")
    redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=1)
    Redemption.objects.filter(pk=redemption.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    with pytest.raises(ValidationError, match="已过期"):
        bank.redemption_confirm(member=member, redemption_id=redemption.pk)


def test_another_member_cannot_confirm_my_redemption(member, community, staff, rice):
    from .helpers import confirmed_member

    redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=1)
    with pytest.raises(Redemption.DoesNotExist):
        bank.redemption_confirm(member=confirmed_member(community), redemption_id=redemption.pk)


def test_reversing_a_redemption_puts_the_goods_back_and_returns_the_credits(member, community, staff, rice):
    verified_record(member, community, "8.0")
    redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=2)
    bank.redemption_confirm(member=member, redemption_id=redemption.pk)
    bank.redemption_reverse(user=staff, redemption_id=redemption.pk, reason="拿错了商品")
    rice.refresh_from_db()
    assert rice.stock == 3
    assert Account.objects.get(member=member, value="credit").balance == 80
    assert Account.objects.get(community=community, kind="market").balance == 0
    with pytest.raises(ValidationError):
        bank.redemption_reverse(user=staff, redemption_id=redemption.pk, reason="again")
    assert findings() == {}


def test_a_redemption_is_reversed_only_at_the_counter(member, community, staff, rice):
    verified_record(member, community, "8.0")
    redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=1)
    bank.redemption_confirm(member=member, redemption_id=redemption.pk)
    paid = Transfer.objects.get(kind="redeem")
    with pytest.raises(ValidationError, match="在兑换柜台冲正"):
        bank.transfer_reverse(user=staff, transfer_id=paid.pk, reason="x")


def test_a_stock_count_writes_the_difference(staff, rice):
    move = bank.stock_count(user=staff, goods_id=rice.pk, counted=2, note="破损一袋")
    assert (move.kind, move.quantity) == ("count", -1)
    rice.refresh_from_db()
    assert rice.stock == 2
    assert bank.stock_count(user=staff, goods_id=rice.pk, counted=2) is None
    assert findings() == {}


def test_staff_of_another_community_cannot_work_this_counter(member, rice):
    other = community_staff(factories.CommunityFactory())
    with pytest.raises(PermissionDenied):
        bank.redemption_start(user=other, member=member, goods_id=rice.pk, quantity=1)
    with pytest.raises(PermissionDenied):
        bank.goods_donate(user=other, goods_id=rice.pk, quantity=1, donor="x")


def test_the_monthly_statement_adds_up(member, community, staff, rice):
    verified_record(member, community, "10.0")
    for quantity in (1, 2):
        redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=quantity)
        bank.redemption_confirm(member=member, redemption_id=redemption.pk)
    bank.redemption_reverse(user=staff, redemption_id=redemption.pk, reason="退货")
    today = timezone.localdate()
    [row] = selectors.market_month(community=community, year=today.year, month=today.month)
    assert (row.opening, row.donated, row.redeemed, row.returned, row.closing) == (0, 3, 3, 2, 2)
    assert row.credits == 90
    rice.refresh_from_db()
    assert row.closing == rice.stock


def test_reconcile_finds_a_redemption_without_goods_out_and_stock_apart_from_its_movements(member, community, staff,
                                                                                             rice):
    verified_record(member, community, "8.0")
    redemption = bank.redemption_start(user=staff, member=member, goods_id=rice.pk, quantity=1)
    bank.redemption_confirm(member=member, redemption_id=redemption.pk)
    Goods.objects.filter(pk=rice.pk).update(stock=5)
    assert "redemptions equal stock out" in findings()
    Goods.objects.filter(pk=rice.pk).update(stock=2)
    assert findings() == {}
    Redemption.objects.filter(pk=redemption.pk).update(quantity=2)
    assert any("leaving the shelf" in line for line in findings()["redemptions equal stock out"])
