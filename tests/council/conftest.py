"""A council with its four parties seated, for the council's tests: the community's staff (who keep it), a Party
branch member, a residents' representative and the property company's contact (accounts made by the services)."""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from communities.models import StaffAssignment
from services.council import services
from services.council.models import Council, CouncilMember, Party, PropertyCompany
from tests import factories

Role = StaffAssignment.Role
PASSWORD = "Test2026pass"  # noqa: S105  # the project's test password


@dataclass
class World:
    council: Council
    company: PropertyCompany
    staff: object
    branch: object
    resident: object
    contact: object
    members: dict  # party -> CouncilMember


def phone_staff(community, phone):
    user = factories.UserFactory(username=phone)
    StaffAssignment.objects.create(user=user, role=Role.COMMUNITY_STAFF, community=community)
    return user


def seat_council(community, *, staff, phone_prefix="139") -> World:
    council = services.council_create(community=community, actor=staff)
    company = services.property_company_create(
        name=f"物业{community.code}", contact_name="王经理", contact_phone=f"{phone_prefix}00000001",
        password=PASSWORD, actor=staff)
    services.council_set_company(council_id=council.pk, company_id=company.pk, actor=staff)
    seats = {
        Party.BRANCH: dict(full_name="李支书", phone=f"{phone_prefix}00000002"),
        Party.RESIDENTS: dict(full_name="赵代表", phone=f"{phone_prefix}00000003"),
        Party.PROPERTY: dict(full_name="王经理", phone=f"{phone_prefix}00000001"),
        # The staff's own account (its username is its phone), seated for the staff party.
        Party.STAFF: dict(full_name=staff.full_name, phone=staff.username),
    }
    members = {}
    for party, values in seats.items():
        members[party] = services.council_member_add(council_id=council.pk, party=party, password=PASSWORD,
                                                     actor=staff, **values)
    return World(council=council, company=company, staff=staff, branch=members[Party.BRANCH].user,
                 resident=members[Party.RESIDENTS].user, contact=company.contact, members=members)


@pytest.fixture
def world(city) -> World:
    community = city["communities"][0]
    return seat_council(community, staff=phone_staff(community, "13900000004"))


@pytest.fixture
def other_world(city) -> World:
    """A council of another street's community, with a company and members of its own."""
    staff = phone_staff(city["communities"][2], "13800000004")
    return seat_council(city["communities"][2], staff=staff, phone_prefix="138")


def long_ago(days=10):
    return timezone.now() - datetime.timedelta(days=days)


def announce(world, *, topics=None, now=None):
    """A meeting announced ten days ago for five days ago, with one topic (or `topics`)."""
    now = now or long_ago(10)
    if topics is None:
        topics = [services.topic_raise(council_id=world.council.pk, title="电动车充电桩",
                                       description="楼道充电隐患，议定安装充电桩。", actor=world.staff, now=now)]
    return services.meeting_announce(
        council_id=world.council.pk, starts_at=now + datetime.timedelta(days=5), place="社区议事厅",
        topic_ids=[t.pk for t in topics], actor=world.staff, now=now)


def hold(world, meeting, *, parties=tuple(Party.values)):
    present = [world.members[party].pk for party in parties]
    return services.meeting_hold(meeting_id=meeting.pk, present_member_ids=present, minutes="四方到会，逐项议定。",
                                 actor=world.staff)


def pass_resolution(world, *, due_on=None, executor="company"):
    """A topic raised, a meeting announced and held with all four parties, a resolution passed 4-0."""
    meeting = announce(world)
    hold(world, meeting)
    item = meeting.items.get()
    due_on = due_on or timezone.localdate() + datetime.timedelta(days=30)
    services.item_decide(
        item_id=item.pk, actor=world.staff, positions={p: "for" for p in Party.values},
        resolution_text="物业在北门安装20个充电桩。", due_on=due_on,
        executor_company_id=Council.objects.get(pk=world.council.pk).property_company_id
        if executor == "company" else None,
        executor_user=world.staff if executor != "company" else None,
    )
    item.refresh_from_db()
    return item.resolution


def member_of(world, party) -> CouncilMember:
    return world.members[party]
