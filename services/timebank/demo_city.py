"""The time bank's part of the demo city (communities.demo): every community's 爱心超市 stocked with a few donated
articles; after the build, every verified service record credited (honour hours and credits), so the members'
balances, statements and the monthly statement have something to show and `reconcile_ledger` has a ledger to
prove."""

import datetime

from communities.demo import demo_finisher, demo_stage
from communities.demo.loader import next_id

from . import crediting
from .models import Goods, StockMove

# (article, price in tenths of a credit, how many a donation brings, who gives)
GOODS = (
    ("大米 5kg", 30, 20, "爱心粮油店"),
    ("食用油 1.8L", 25, 15, "辖区共建单位"),
    ("洗衣液 2kg", 15, 24, "社区便民超市"),
    ("毛巾", 5, 40, "热心居民"),
    ("牙膏", 5, 40, "爱心企业"),
    ("保温杯", 40, 10, "辖区共建单位"),
)


@demo_stage(order=470, label="爱心超市物品与捐赠入库", tables=(Goods, StockMove),
            summary=((Goods, "爱心超市物品"), (StockMove, "爱心超市出入库")))
def market(context):
    city, staff_user_ids = context.need("city"), context.need("staff_user_ids")
    goods = context.loader.writer(Goods, ["id", "community", "name", "price", "stock", "is_active", "created_at"])
    moves = context.loader.writer(StockMove, ["id", "goods", "kind", "quantity", "donor", "note", "created_by",
                                              "created_at"])
    goods_id, move_id = next_id(Goods), next_id(StockMove)
    donated_at = context.reference_at - datetime.timedelta(days=20)
    for index, community in enumerate(city.communities):
        for name, price, quantity, donor in context.rng.sample(GOODS, 4):
            goods.add((goods_id, community.id, name, price, quantity, True, donated_at))
            moves.add((move_id, goods_id, StockMove.Kind.DONATION.value, quantity, donor, "", staff_user_ids[index],
                       donated_at))
            goods_id, move_id = goods_id + 1, move_id + 1


@demo_finisher(order=460, label="时间银行：已审核服务记入荣誉时长与时间积分")
def credit(context):
    """The crediting job, as beat runs it: every verified record of the demo city, once."""
    crediting.credit_all()
