"""The teams' part of the demo city (communities.demo): in every community with enough members confirmed there,
a team that the leader admits members to (the demo member login leads its community's, so that the leader's
pages can be tried) with a member waiting for the leader's answer, and an open team; the first team holds the
places its members have on one of the community's one-off activities, as if its leader had signed them up."""

import datetime

from communities.demo import demo_stage
from communities.demo.loader import next_id
from services.activities.models import SignUp

from .models import Membership, Team, TeamSignUp

DAY = datetime.timedelta(days=1)
TEAMS = (
    ("医疗护理", "党员医疗服务队", "为社区老人测量血压血糖，讲解慢病防治，陪同就医。", False),
    ("法律咨询", "党员法律服务队", "婚姻家庭、劳动合同、物业纠纷等免费法律咨询，参与矛盾调解。", True),
)
MIN_MEMBERS = 6


@demo_stage(
    order=430, label="党员志愿服务队、队员、服务队报名", tables=(Team, Membership, TeamSignUp),
    summary=((Team, "服务队"), (Membership, "服务队队员")),
)
def teams(context):
    rng, loader = context.rng, context.loader
    city, membership = context.need("city"), context.need("membership")
    skill_ids, staff_user_ids = context.need("skill_ids"), context.need("staff_user_ids")
    created_at = context.reference_at - 20 * DAY
    team_writer = loader.writer(Team, ["id", "community", "name", "speciality", "leader", "description", "is_open",
                                       "created_by", "created_at"])
    member_writer = loader.writer(Membership, ["id", "team", "member", "status", "created_at", "decided_at"])
    next_team, next_membership = next_id(Team), next_id(Membership)
    first_teams = {}  # community id → (team id, member ids, leader's user id)
    for index, community in enumerate(city.communities):
        confirmed = list(membership.confirmed_by_community[index])
        if len(confirmed) < MIN_MEMBERS:
            continue
        if membership.login_member_id in confirmed:  # the demo member login leads the first team
            confirmed.remove(membership.login_member_id)
            confirmed.insert(0, membership.login_member_id)
        for number, (skill, name, description, is_open) in enumerate(TEAMS):
            team_id, next_team = next_team, next_team + 1
            leader = confirmed[0] if number == 0 else rng.choice(confirmed[1:])
            others = rng.sample([member for member in confirmed if member != leader], min(len(confirmed) - 1, 5))
            team_writer.add((team_id, community.id, name, skill_ids[skill], leader, description, is_open,
                             staff_user_ids[index], created_at))
            members = [leader, *others[:4]]
            for member_id in members:
                member_writer.add((next_membership, team_id, member_id, Membership.Status.ACCEPTED.value,
                                   created_at, created_at + DAY))
                next_membership += 1
            if not is_open and len(others) > 4:  # one application waiting for the leader
                member_writer.add((next_membership, team_id, others[4], Membership.Status.APPLIED.value,
                                   context.reference_at - DAY, None))
                next_membership += 1
            if number == 0:
                first_teams[community.id] = (team_id, set(members), staff_user_ids[index])
    loader.flush()  # the activities' sign-ups are in the database from here
    _team_sign_ups(loader, first_teams, assigned_at=context.reference_at - 2 * DAY)


def _team_sign_ups(loader, first_teams, *, assigned_at):
    """Each first team holds its members' places on one one-off activity of its community."""
    member_ids = {member for _team, members, _user in first_teams.values() for member in members}
    rows = (
        SignUp.objects.filter(member_id__in=member_ids, status=SignUp.Status.SIGNED_UP,
                              activity__series__isnull=True)
        .order_by("activity__starts_at", "pk")
        .values_list("pk", "member_id", "activity_id", "activity__community_id")
    )
    writer = loader.writer(TeamSignUp, ["id", "team", "signup", "assigned_by", "created_at"])
    next_row, chosen = next_id(TeamSignUp), {}
    for signup_id, member_id, activity_id, community_id in rows.iterator():
        if community_id not in first_teams:
            continue
        team_id, members, user_id = first_teams[community_id]
        if member_id not in members or chosen.setdefault(community_id, activity_id) != activity_id:
            continue
        writer.add((next_row, team_id, signup_id, user_id, assigned_at))
        next_row += 1
