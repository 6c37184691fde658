"""The pairing ledger's part of the demo city: every pairing pledges one to three things for this year (a resource,
a project, or one of the community's needs), and about half of the pledges already have a delivery recorded by
the community's staff."""

import datetime
from decimal import Decimal

from communities.demo import demo_stage
from communities.demo.loader import next_id
from communities.models import Pairing
from services.models import ServiceNeed

from .models import Delivery, Pledge

RESOURCES = (("捐赠图书", "册", 100, 500), ("提供党群活动场地", "次", 4, 12), ("资助困难家庭", "元", 2000, 20000))
PROJECTS = ("共建“红色物业”议事平台", "联合开展法律进社区", "青年党员志愿服务月", "结对帮扶独居老人")


@demo_stage(order=480, label="双报到共建承诺与兑现", tables=(Pledge, Delivery),
            summary=((Pledge, "共建承诺"), (Delivery, "兑现记录")))
def pairing_ledger(context):
    rng, at = context.rng, context.reference_at
    year = at.year
    staff_user_ids = context.need("staff_user_ids")
    city = context.need("city")
    index_of = {community.id: index for index, community in enumerate(city.communities)}
    needs = {}
    for need_id, community_id in ServiceNeed.objects.exclude(status="draft").values_list("pk", "community_id"):
        needs.setdefault(community_id, need_id)
    pledges = context.loader.writer(Pledge, [
        "id", "pairing", "year", "kind", "title", "description", "quantity", "quantity_unit", "need", "created_at",
    ])
    deliveries = context.loader.writer(Delivery, [
        "id", "pledge", "delivered_on", "description", "quantity", "need", "recorded_by", "recorded_at",
    ])
    pledge_id, delivery_id = next_id(Pledge), next_id(Delivery)
    start = datetime.date(year, 1, 1)
    days_so_far = max((at.date() - start).days, 1)
    for pairing_id, community_id in Pairing.objects.order_by("pk").values_list("pk", "community_id"):
        for _number in range(rng.randint(1, 3)):
            roll, need_id, quantity, counted = rng.random(), None, None, ""
            if roll < 0.5:
                title, counted, low, high = rng.choice(RESOURCES)
                quantity = Decimal(rng.randrange(low, high + 1, max(1, (high - low) // 10)))
                kind, description = Pledge.Kind.RESOURCE, ""
            elif roll < 0.8 or community_id not in needs:
                kind, title, description = Pledge.Kind.PROJECT, rng.choice(PROJECTS), "全年分季度开展，每季度至少一次。"
            else:
                kind, title, need_id = Pledge.Kind.NEED, "承接社区需求", needs[community_id]
                description = "组织单位党员认领并完成该需求。"
            made_at = at - datetime.timedelta(days=rng.randrange(days_so_far))
            pledges.add((pledge_id, pairing_id, year, kind.value, title, description, quantity, counted, need_id,
                         made_at))
            if rng.random() < 0.5 and made_at.date() < at.date():
                days_since = (at.date() - made_at.date()).days
                delivered_on = made_at.date() + datetime.timedelta(days=rng.randrange(days_since))
                part = None if quantity is None else (quantity / 2).quantize(Decimal("1"))
                deliveries.add((delivery_id, pledge_id, delivered_on, f"{title}：已完成一部分", part or None, need_id,
                                staff_user_ids[index_of[community_id]], at))
                delivery_id += 1
            pledge_id += 1
    context.loader.flush()
