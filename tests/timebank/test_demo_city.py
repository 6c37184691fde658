"""The time bank in the demo city: the 爱心超市 stocked by donations, every verified record credited, and the
ledger reconciles."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from services.models import ServiceRecord
from services.timebank.models import Account, Goods, StockMove, Transfer
from services.timebank.reconcile import reconcile

pytestmark = pytest.mark.django_db


def test_the_demo_city_has_a_stocked_market_and_a_ledger_that_reconciles():
    call_command("seed_demo", members=300, reset=True, stdout=io.StringIO())
    assert Goods.objects.exists()
    for goods in Goods.objects.all():
        assert goods.stock == StockMove.objects.filter(goods=goods).aggregate(total=Sum("quantity"))["total"]
    verified = ServiceRecord.objects.filter(status="verified")
    assert verified.exists()
    assert Transfer.objects.filter(kind="earn").count() == verified.count()
    hours = verified.aggregate(total=Sum("hours"))["total"]
    assert Account.objects.filter(kind="member", value="credit").aggregate(total=Sum("balance"))["total"] == round(
        hours * 10)
    assert {check: found for check, found in reconcile().items() if found} == {}
