"""The activities' part of the demo city (communities.demo): in every community, a weekly 相约民情日 for the next
four weeks and two one-off activities, published, with sign-ups from the members confirmed there (the first full,
with a waiting list), and a draft. The demo member login has a place on its community's first activity.
Nothing in the past: hours are credited by closing an activity, which staff do on the day."""

import datetime

from communities.demo import demo_stage
from communities.demo.loader import next_id
from services.models import PostType

from .models import Activity, ActivitySeries, SignUp

DAY = datetime.timedelta(days=1)
WEEKLY = ("相约民情日", "倾听居民心声，收集意见建议，现场解答政策问题。", PostType.CONVENIENCE, "社区党群服务中心")
ONE_OFF = (
    ("社区环境清洁日", "清理楼道堆物、绿化带垃圾，整治小区环境卫生。", PostType.SANITATION, "小区南门集合"),
    ("法律咨询进社区", "为居民提供婚姻家庭、劳动合同、物业纠纷等免费法律咨询。", PostType.POLICY_LEGAL,
     "社区议事厅"),
    ("关爱独居老人上门探访", "结对走访独居老人，检查水电燃气安全，陪伴聊天。", PostType.HELPING_VULNERABLE,
     "社区居委会门口集合"),
    ("义诊健康服务", "测量血压血糖，讲解慢病防治知识。", PostType.HEALTH, "社区卫生服务站"),
)
DRAFT = ("文明交通志愿劝导", "在路口劝导行人、非机动车遵守交通规则。", PostType.PUBLIC_SAFETY, "十字路口岗亭")
WEEKS = 4


class _Writer:
    def __init__(self, *, loader, reference_at):
        self.reference_at = reference_at
        # Writers flush in the order they are opened: a series before its activities, those before sign-ups.
        self.series = loader.writer(ActivitySeries, ["id", "community", "frequency", "occurrences", "created_at"])
        self.activities = loader.writer(Activity, [
            "id", "community", "title", "description", "post_type", "place", "starts_at", "ends_at", "places",
            "signed_up_count", "last_position", "signup_deadline", "cancel_cutoff", "contact", "status", "series",
            "created_by", "created_at", "published_at",
        ])
        self.signups = loader.writer(SignUp, ["id", "activity", "member", "status", "position", "created_at"])
        self.next_activity, self.next_series, self.next_signup = (
            next_id(Activity), next_id(ActivitySeries), next_id(SignUp)
        )

    def activity(self, *, community_id, staff_id, words, starts_at, hours, places, members, status="published",
                 series_id=None):
        """One activity and its sign-ups: the first `places` members get a place, the rest wait in turn."""
        activity_id = self.next_activity
        self.next_activity += 1
        title, description, post_type, place = words
        created_at = self.reference_at - 3 * DAY
        placed = members[:places] if status == "published" else []
        waiting = members[places:] if status == "published" else []
        self.activities.add((
            activity_id, community_id, title, description, post_type.value, place, starts_at,
            starts_at + datetime.timedelta(hours=hours), places, len(placed), len(waiting), starts_at - DAY,
            starts_at - DAY, "社区党委 联系电话见公示栏", status, series_id, staff_id, created_at,
            created_at if status == "published" else None,
        ))
        for position, member_id in enumerate(placed + waiting):
            is_waiting = position >= len(placed)
            self.signups.add((
                self.next_signup, activity_id, member_id, "waiting" if is_waiting else "signed_up",
                position - len(placed) + 1 if is_waiting else None, created_at + DAY,
            ))
            self.next_signup += 1
        return activity_id


@demo_stage(
    order=420, label="志愿活动、系列活动、报名与候补", tables=(ActivitySeries, Activity, SignUp),
    summary=((Activity, "志愿活动"), (SignUp, "活动报名")),
)
def activities(context):
    rng = context.rng
    city, membership = context.need("city"), context.need("membership")
    staff_user_ids = context.need("staff_user_ids")
    writer = _Writer(loader=context.loader, reference_at=context.reference_at)
    morning = context.reference_at.replace(hour=9, minute=0)
    for index, community in enumerate(city.communities):
        confirmed = list(membership.confirmed_by_community[index])
        if membership.login_member_id in confirmed:  # the demo member login has a place on the first one
            confirmed.remove(membership.login_member_id)
            confirmed.insert(0, membership.login_member_id)
        staff_id = staff_user_ids[index]
        series_id = writer.next_series
        writer.next_series += 1
        writer.series.add((series_id, community.id, ActivitySeries.Frequency.WEEKLY.value, WEEKS,
                           context.reference_at - 3 * DAY))
        first_day = morning + (2 + rng.randrange(5)) * DAY
        for week in range(WEEKS):
            sample = rng.sample(confirmed, min(len(confirmed), rng.randrange(0, 6))) if week else confirmed[:4]
            writer.activity(community_id=community.id, staff_id=staff_id, words=WEEKLY,
                            starts_at=first_day + 7 * week * DAY, hours=3, places=3, members=sample,
                            series_id=series_id)
        for words in rng.sample(ONE_OFF, 2):
            sample = rng.sample(confirmed, min(len(confirmed), rng.randrange(0, 12)))
            writer.activity(community_id=community.id, staff_id=staff_id, words=words,
                            starts_at=morning + (3 + rng.randrange(20)) * DAY, hours=2 + rng.randrange(3),
                            places=10 + 5 * rng.randrange(4), members=sample)
        writer.activity(community_id=community.id, staff_id=staff_id, words=DRAFT,
                        starts_at=morning + 25 * DAY, hours=2, places=8, members=[], status="draft")
