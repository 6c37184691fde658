"""The requests' part of the demo city: Party building heads (every building of the first community, a building
now and then elsewhere) and residents' requests over the last 60 days in every community, at every stage of their
handling (received, accepted by the area's grid worker or the building head, resolved or answered, rated), with
the events a resident reads. The first building head of the first community is a printed demo login."""

import base64
import datetime

from communities.demo import DEMO_PASSWORD, DemoLogin, demo_finisher, demo_logins, demo_stage
from communities.demo.loader import next_id
from registration.models import Member

from .models import BuildingHead, BuildingVisit, Category, Channel, RequestEvent, ResidentRequest, Satisfaction
from .services import due_times
from .signals import rebuild as rebuild_head_user_ids
from .workflow import State

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# Requests per community: the first community has enough to fill its pages; the others a few each.
FIRST_COMMUNITY_REQUESTS = 16
REQUESTS_PER_COMMUNITY = (0, 4)
HEAD_SHARE = 0.3  # of the other communities' first buildings
WORDS = {
    Category.CONSULTATION: ("咨询老旧小区加装电梯的补贴政策", "询问居住证办理需要哪些材料"),
    Category.HELP: ("独居老人家中水管漏水，请帮忙联系维修", "楼道灯不亮，晚上老人上下楼不安全"),
    Category.SUGGESTION: ("建议在小区门口增设非机动车停放点", "建议周末开放社区活动室给孩子们自习"),
    Category.COMPLAINT: ("楼下餐馆油烟扰民", "小区车库出入口长期堆放杂物"),
}
NOTES = {
    State.RECEIVED: "已收到您的诉求，我们会尽快联系您。",
    State.ACCEPTED: "已受理，已转网格员/楼长跟进，会电话联系您。",
    State.RESOLVED: "已上门处理完毕，请您确认。",
    State.ANSWERED: "经核实不属于社区职责范围，已向您说明情况和办理渠道。",
}


class _Writer:
    def __init__(self, *, context):
        loader = context.loader
        self.rng, self.reference_at = context.rng, context.reference_at
        self.heads = loader.writer(BuildingHead, ["id", "member", "building", "assigned_by", "assigned_at"])
        self.requests = loader.writer(ResidentRequest, [
            "id", "community", "grid", "building", "category", "text", "phone", "channel", "recorded_by", "handler",
            "state", "token", "received_at", "first_response_due_at", "resolution_due_at", "first_responded_at",
            "resolved_at", "satisfaction", "rated_at",
        ])
        self.events = loader.writer(RequestEvent, ["id", "request", "state", "note", "actor", "occurred_at"])
        self.head_id, self.request_id, self.event_id = next_id(BuildingHead), next_id(ResidentRequest), next_id(
            RequestEvent
        )

    def head(self, *, member_id, building_id, staff_id):
        self.heads.add((self.head_id, member_id, building_id, staff_id, self.reference_at - 90 * DAY))
        self.head_id += 1

    def _event(self, request_id, state, actor, at):
        self.events.add((self.event_id, request_id, state.value, NOTES[state], actor, at))
        self.event_id += 1

    def request(self, *, community_id, grid_id, building_id, staff_id, handler_id, head_user_id):
        rng, now = self.rng, self.reference_at
        category = rng.choice(list(Category))
        received = now - datetime.timedelta(seconds=rng.randrange(60 * 24 * 3600))
        first_due, resolution_due = due_times(category=category, start=received)
        channel = Channel.BUILDING_HEAD if head_user_id and rng.random() < 0.3 else rng.choice(
            [Channel.PUBLIC_PAGE, Channel.STAFF]
        )
        recorded_by = head_user_id if channel == Channel.BUILDING_HEAD else staff_id if channel == Channel.STAFF \
            else None
        state, handler, responded, closed, satisfaction, rated = State.RECEIVED, None, None, None, "", None
        request_id = self.request_id
        self._event(request_id, State.RECEIVED, recorded_by, received)
        # Most are answered within the limit, some late, a few never (they show as overdue).
        if rng.random() < 0.9:
            responded = received + HOUR * (rng.choice((0.5, 2, 5, 20)) if rng.random() < 0.85 else rng.choice((30, 60)))
        if responded is not None and responded <= now:
            state, handler = State.ACCEPTED, handler_id
            self._event(request_id, State.ACCEPTED, staff_id, responded)
            roll = rng.random()
            closing = responded + HOUR * rng.choice((4, 24, 72, 150, 300))
            if roll < 0.8 and closing <= now:
                state = State.RESOLVED if roll < 0.65 else State.ANSWERED
                closed = closing
                self._event(request_id, state, handler, closed)
                if rng.random() < 0.6 and closed + DAY <= now:
                    rated = closed + DAY
                    satisfaction = rng.choice(
                        [Satisfaction.SATISFIED] * 6 + [Satisfaction.FAIRLY] * 3 + [Satisfaction.UNSATISFIED]
                    ).value
        else:
            responded = None
        token = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
        phone = f"139{rng.randrange(10**8):08d}"
        self.requests.add((
            request_id, community_id, grid_id, building_id, category.value, rng.choice(WORDS[category]), phone,
            channel.value, recorded_by, handler, state.value, token, received, first_due, resolution_due, responded,
            closed, satisfaction, rated,
        ))
        self.request_id += 1


@demo_stage(order=460, label="党员楼长与民情日记", tables=(ResidentRequest, RequestEvent, BuildingHead, BuildingVisit),
            summary=((BuildingHead, "党员楼长"), (ResidentRequest, "民情诉求")))
def resident_requests(context):
    rng = context.rng
    city, membership = context.need("city"), context.need("membership")
    staff_user_ids, buildings = context.need("staff_user_ids"), context.need("buildings")
    grid_workers = context.need("grid_workers")
    writer = _Writer(context=context)
    heads = {}  # building id → member id
    for index, community in enumerate(city.communities):
        places = buildings.get(community.id, [])
        confirmed = [member for member in membership.confirmed_by_community[index]
                     if member != membership.login_member_id]
        if not places or not confirmed:
            continue
        chosen = places if index == 0 else places[:1] if rng.random() < HEAD_SHARE else []
        for number, (_grid_id, building_id) in enumerate(chosen[:len(confirmed)]):
            writer.head(member_id=confirmed[number], building_id=building_id, staff_id=staff_user_ids[index])
            heads[building_id] = confirmed[number]
    context.loader.flush()
    head_users = dict(Member.objects.filter(pk__in=set(heads.values())).values_list("pk", "user_id"))
    for index, community in enumerate(city.communities):
        places = buildings.get(community.id, [])
        if not places:
            continue
        count = FIRST_COMMUNITY_REQUESTS if index == 0 else rng.randint(*REQUESTS_PER_COMMUNITY)
        for _request in range(count):
            grid_id, building_id = rng.choice(places)
            head_user_id = head_users.get(heads.get(building_id))
            # The area's grid worker handles it, else the building's head, else the community's staff.
            handler_id = grid_workers.get(grid_id) or head_user_id or staff_user_ids[index]
            writer.request(community_id=community.id, grid_id=grid_id, building_id=building_id,
                           staff_id=staff_user_ids[index], handler_id=handler_id, head_user_id=head_user_id)
    context.loader.flush()


@demo_finisher(order=460, label="党员楼长名单缓存")
def head_cache(context):
    """Heads were loaded in bulk, past the signal that keeps the cached set of heads (their tab) in step."""
    rebuild_head_user_ids()


@demo_logins(order=460)
def building_head_login():
    head = (
        BuildingHead.objects.select_related("member__user", "building__grid__community")
        .order_by("building__grid__community__code", "building_id")
        .first()
    )
    if head is None:
        return [DemoLogin(username="（无）", password=DEMO_PASSWORD,
                          description="党员楼长（缺失：请运行 seed_demo --reset 重建演示数据）")]
    building = head.building
    return [DemoLogin(username=head.member.user.username, password=DEMO_PASSWORD,
                      description=f"党员楼长 {head.member.name}（{building.grid.community.name}{building.name}）")]
