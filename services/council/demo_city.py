"""The council's part of the demo city (communities.demo): the first community (the `community` login's) has its
four-party council: a Party member confirmed there for the branch, a residents' representative and a property
company with its contact (two demo logins), and the staff login. A meeting held two weeks ago passed a resolution
on electric-bike charging, handed to the company and 60 % done; another meeting is announced for next week.
Written through the council's own services (the state tables, the messages and the audit trail as in real use),
with the clock set relative to the demo city's reference time."""

import datetime

from django.contrib.auth import get_user_model

from communities.demo import demo_stage
from communities.demo.loader import finish_tables
from communities.models import Community
from registration.models import Member

from . import services
from .models import (
    AgendaItem,
    Attendance,
    Council,
    CouncilMember,
    Meeting,
    Party,
    PartyPosition,
    ProgressPhoto,
    PropertyCompany,
    Resolution,
    ResolutionUpdate,
    Topic,
)

# The representative's and the contact's logins (password: the demo password), listed in docs/COUNCIL.md; not
# printed by seed_demo, whose list is the staff logins and the member's.
REPRESENTATIVE = "13800138101"
PROPERTY_CONTACT = "13800138102"
COMPANY = "康居物业服务有限公司"
DAY = datetime.timedelta(days=1)


def _account(username: str, full_name: str, password_hash: str):
    user, _created = get_user_model().objects.get_or_create(
        username=username, defaults={"full_name": full_name, "password": password_hash})
    return user


@demo_stage(
    order=470, label="四方议事会（第一个社区：议题、会议、决议与进展）",
    tables=(PropertyCompany, Council, CouncilMember, Topic, Meeting, AgendaItem, Attendance, PartyPosition,
            Resolution, ResolutionUpdate, ProgressPhoto),
    summary=((Council, "四方议事会"), (Resolution, "议事会决议")),
)
def council(context):
    context.loader.flush()  # the rows of earlier stages, which the services read
    # Users were loaded with ids assigned in Python: move the sequence past them before the ORM adds two (PostgreSQL).
    finish_tables(model_list=[get_user_model()])
    city, membership = context.need("city"), context.need("membership")
    staff = get_user_model().objects.get(pk=context.need("staff_user_ids")[0])
    community = Community.objects.get(pk=city.communities[0].id)
    now = context.reference_at
    council_obj = services.council_create(community=community, actor=staff)
    contact = _account(PROPERTY_CONTACT, "王建国", context.password_hash)
    company = PropertyCompany.objects.create(name=COMPANY, contact=contact)
    services.council_set_company(council_id=council_obj.pk, company_id=company.pk, actor=staff)
    resident = _account(REPRESENTATIVE, "赵秀英", context.password_hash)
    branch_member = Member.objects.select_related("user").get(pk=membership.confirmed_by_community[0][0])
    seats = [(Party.BRANCH, branch_member.user, branch_member.phone), (Party.RESIDENTS, resident, REPRESENTATIVE),
             (Party.PROPERTY, contact, PROPERTY_CONTACT), (Party.STAFF, staff, "")]
    for party, user, phone in seats:
        services.council_member_add(council_id=council_obj.pk, party=party, user=user, phone=phone, actor=staff)
    charging = services.topic_raise(
        council_id=council_obj.pk, title="电动自行车充电难、楼道充电隐患", actor=resident, now=now - 25 * DAY,
        description="居民反映楼道内私拉电线给电动车充电，存在火灾隐患；小区充电桩不足。建议增设集中充电点。")
    meeting = services.meeting_announce(council_id=council_obj.pk, starts_at=now - 14 * DAY, place="社区议事厅",
                                        topic_ids=[charging.pk], actor=staff, now=now - 20 * DAY)
    services.meeting_hold(
        meeting_id=meeting.pk, actor=staff, now=now - 14 * DAY + datetime.timedelta(hours=2),
        present_member_ids=list(council_obj.members.values_list("pk", flat=True)),
        minutes="四方代表到会。物业介绍北门空地条件，居民代表转达住户意见，社区党组织提出由物业出资、社区协调供电。")
    item = meeting.items.get()
    services.item_decide(
        item_id=item.pk, actor=staff, now=now - 14 * DAY + datetime.timedelta(hours=2),
        positions={Party.BRANCH: "for", Party.RESIDENTS: "for", Party.PROPERTY: "for", Party.STAFF: "for"},
        resolution_text="在小区北门空地建设集中充电点，安装20个智能充电桩，禁止楼道充电。",
        executor_company_id=company.pk, due_on=(now + 16 * DAY).date())
    resolution = Resolution.objects.get(item=item)
    services.resolution_progress(resolution_id=resolution.pk, percent=60, actor=contact, now=now - 3 * DAY,
                                 note="充电棚已搭建，12个充电桩已安装调试，其余8个等待供电增容。")
    parking = services.topic_raise(council_id=council_obj.pk, title="小区停车位划线与收费", actor=staff,
                                   now=now - 2 * DAY, description="重新规划地面停车位，讨论收费标准及公示办法。")
    services.meeting_announce(council_id=council_obj.pk, starts_at=now + 5 * DAY, place="社区议事厅",
                              topic_ids=[parking.pk], actor=staff, now=now - 1 * DAY)
