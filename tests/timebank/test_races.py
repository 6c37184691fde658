"""Races on PostgreSQL with real threads (SQLite serialises writers): two redemptions of the last item, two spends
of the same credits, a verification's crediting against the chunked job, two reversals of one transfer."""

import pytest
from django.core.exceptions import ValidationError

from services.timebank import crediting
from services.timebank import services as bank
from services.timebank.models import Account, Goods, Redemption, StockMove, Transfer
from services.timebank.reconcile import reconcile
from tests.concurrency import race

from .helpers import community_staff, confirmed_member, verified_record

pytestmark = pytest.mark.django_db(transaction=True)


def findings():
    return {check: found for check, found in reconcile().items() if found}


def test_two_redemptions_of_the_last_item_hand_out_one(postgresql, community):
    staff = community_staff(community)
    goods = bank.goods_create(user=staff, community=community, name="食用油", price_tenths=20)
    bank.goods_donate(user=staff, goods_id=goods.pk, quantity=1, donor="爱心企业")
    members = [confirmed_member(community) for _ in range(2)]
    redemptions = []
    for member in members:
        verified_record(member, community, "5.0")
        redemptions.append(bank.redemption_start(user=staff, member=member, goods_id=goods.pk, quantity=1))
    results, errors = race(*(
        (lambda member=member, redemption=redemption:
         bank.redemption_confirm(member=member, redemption_id=redemption.pk))
        for member, redemption in zip(members, redemptions, strict=True)
    ))
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert Goods.objects.get(pk=goods.pk).stock == 0
    assert Redemption.objects.filter(status="confirmed").count() == 1
    assert StockMove.objects.filter(kind="redemption").count() == 1
    assert Account.objects.get(community=community, kind="market").balance == 20
    assert findings() == {}


def test_two_spends_of_the_same_credits_succeed_once(postgresql, community):
    member = confirmed_member(community)
    verified_record(member, community, "2.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    results, errors = race(
        lambda: bank.gift_to_family(member=member, family_id=mother.pk, tenths=20),
        lambda: bank.service_request_create(member=member, community=community, title="上门理发", description="",
                                            tenths=20),
    )
    assert len(results) == 1 and len(errors) == 1
    assert "积分不足" in str(errors[0])
    assert Account.objects.get(member=member, value="credit").balance == 0
    assert findings() == {}


def test_eight_gifts_at_once_never_overdraw(postgresql, community):
    member = confirmed_member(community)
    verified_record(member, community, "5.0")
    family = [bank.family_add(member=member, name=f"家人{n}", relation="亲属") for n in range(2)]
    results, errors = race(*(
        (lambda person=family[n % 2]: bank.gift_to_family(member=member, family_id=person.pk, tenths=10))
        for n in range(8)
    ))
    assert len(results) == 5 and len(errors) == 3
    assert Account.objects.get(member=member, value="credit").balance == 0
    assert findings() == {}


def test_crediting_one_record_from_two_workers_and_the_job_credits_it_once(postgresql, community):
    members = [confirmed_member(community) for _ in range(3)]
    records = [verified_record(member, community, "1.5", credit=False) for member in members for _ in range(4)]
    target = records[5].pk
    results, errors = race(
        lambda: crediting.credit_record(record_id=target),
        lambda: crediting.credit_record(record_id=target),
        lambda: crediting.credit_all(chunk=3),
    )
    assert errors == []
    assert Transfer.objects.filter(kind="earn").count() == len(records)
    assert Transfer.objects.filter(kind="earn", source_id=target).count() == 1
    assert findings() == {}


def test_two_reversals_of_one_gift_post_one(postgresql, community):
    member = confirmed_member(community)
    staff, second = community_staff(community), community_staff(community)
    verified_record(member, community, "3.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    gift = bank.gift_to_family(member=member, family_id=mother.pk, tenths=10)
    results, errors = race(
        lambda: bank.transfer_reverse(user=staff, transfer_id=gift.pk, reason="误操作"),
        lambda: bank.transfer_reverse(user=second, transfer_id=gift.pk, reason="误操作"),
    )
    assert len(results) == 1 and len(errors) == 1
    assert Transfer.objects.filter(reverses=gift).count() == 1
    assert findings() == {}
