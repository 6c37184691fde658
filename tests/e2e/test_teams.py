"""A team claims a need, in a browser at phone size: the leader opens the team, claims a need for two of its
members; a member's one-to-one service is confirmed by the resident with one tap, and staff see the mark.
Every page passes axe-core (serious and critical WCAG 2.1 A/AA) and nothing scrolls sideways at 390 px."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from services.activities.models import ServiceConfirmation
from services.models import Claim, ServiceNeed
from services.teams.models import TeamClaim
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password
from tests.e2e.test_activities import assert_accessible
from tests.teams.helpers import make_team, team_members

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    log_in_with_password(page, live_server, username)
    page.wait_for_url(re.compile(r"/(registration|admin)/"))


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_team_claims_a_need_and_a_resident_confirms_a_service_on_phones(live_server, browser):
    community = factories.CommunityFactory(name="兴国寺社区")
    staff = make_staff("community", community=community)
    team = make_team(community, staff=staff, size=3, name="医疗服务队")
    need = factories.ServiceNeedFactory(community=community, title="高龄老人上门测血压", places=2,
                                        fulfilment=ServiceNeed.Fulfilment.DIRECT)
    first, second = team_members(team)[1:]

    # The leader opens the team from the members' tab and claims the need for two members.
    leader = browser.new_context(**PHONE).new_page()
    log_in(leader, live_server, team.leader.user.username)
    leader.goto(f"{live_server.url}/teams/")
    leader.get_by_role("link", name="医疗服务队").click()
    assert_accessible(leader)
    leader.get_by_role("link", name="以服务队认领需求").click()
    leader.locator("[name=need]").select_option(str(need.pk))
    leader.get_by_label(first.name).check()
    leader.get_by_label(second.name).check()
    leader.locator("[name=commitment]").fill("每周上门为老人测量血压")
    assert_accessible(leader)
    fits(leader)
    leader.get_by_role("button", name="以服务队名义认领").click()
    expect(leader.locator(".alert-success")).to_contain_text("安排了 2 名队员")
    expect(leader.locator(".team-need")).to_contain_text("高龄老人上门测血压")
    fits(leader)
    assert sorted(Claim.objects.filter(need=need).values_list("member_id", flat=True)) == sorted([first.pk, second.pk])
    assert TeamClaim.objects.filter(team=team).count() == 2

    # The public page lists the team with what it did.
    visitor = browser.new_context(**PHONE).new_page()
    visitor.goto(f"{live_server.url}/teams/c/{community.code}/")
    expect(visitor.locator(".public-team")).to_contain_text("1 项需求")
    assert_accessible(visitor)
    fits(visitor)

    # The member logs the service; the resident confirms it with one tap, without logging in.
    claim = Claim.objects.get(need=need, member=first)
    record = factories.ServiceRecordFactory(member=first, community=community, claim=claim,
                                            served_on=need.starts_at.date())
    member = browser.new_context(**PHONE).new_page()
    log_in(member, live_server, first.user.username)
    member.goto(f"{live_server.url}/activities/confirmations/")
    member.get_by_role("link", name="向居民出示确认码").click()
    code = member.locator(".confirmation-code").inner_text().strip()
    assert_accessible(member)
    fits(member)
    resident = browser.new_context(**PHONE).new_page()
    resident.goto(f"{live_server.url}/activities/confirm/")
    resident.locator("[name=code]").fill(code.lower())
    resident.get_by_role("button", name="查找服务").click()
    expect(resident.locator("h1")).to_contain_text("确认服务")
    assert_accessible(resident)
    resident.get_by_role("button", name="是的，已为我提供此服务").click()
    expect(resident.locator(".confirmation-done")).to_be_visible()
    fits(resident)
    assert ServiceConfirmation.objects.get(record=record).method == ServiceConfirmation.Method.RESIDENT

    # Staff see the mark in their queue.
    queue = browser.new_context(**PHONE).new_page()
    log_in(queue, live_server, staff.username)
    queue.goto(f"{live_server.url}{reverse('services:staff-record-queue')}")
    expect(queue.locator(f"#record-{record.pk} .record-mark")).to_have_text("居民已确认")
    fits(queue)
