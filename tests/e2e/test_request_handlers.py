"""A request handed to a service team, in a browser at phone size: staff hand it to the team; its leader opens the
team's list from the members' tab strip and resolves it with a public note; the resident reads the team's name and
the note. Every page of the leader's passes axe-core and nothing scrolls sideways at 390 px."""

import re

import pytest
from playwright.sync_api import expect

from services.requests import services
from services.requests.models import Channel, ResidentRequest
from services.requests.workflow import State
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password
from tests.e2e.test_activities import assert_accessible
from tests.teams.helpers import make_team

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_team_leader_resolves_a_request_handed_to_the_team_on_a_phone(live_server, browser):
    community = factories.CommunityFactory(name="幸福里社区")
    staff = make_staff("community", community=community)
    team = make_team(community, staff=staff, size=2, name="水电维修服务队")
    request_obj = services.request_raise(community=community, category="help", text="5号楼水管漏水",
                                         phone="13912345678", channel=Channel.PUBLIC_PAGE)
    services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="已交水电维修服务队处理",
                            actor=staff, handler_body=("team", team.pk))
    leader = browser.new_context(**PHONE).new_page()

    log_in_with_password(leader, live_server, team.leader.user.username)
    leader.wait_for_url(re.compile(r"/registration/"))
    # On a phone the entry sits in the bottom bar's 更多 sheet (four places are pinned).
    leader.get_by_role("button", name="更多").click()
    leader.locator("#member-more").get_by_role("link", name="交给我的服务队或物业的诉求").click()
    leader.wait_for_url(re.compile(r"/requests/handed/"))
    expect(leader.locator(f'[data-request="{request_obj.pk}"]')).to_contain_text("水电维修服务队")
    fits(leader)
    assert_accessible(leader)

    leader.get_by_role("link", name=re.compile("求助")).click()
    expect(leader.locator("[data-handler]")).to_have_text("水电维修服务队")
    expect(leader.locator("[data-phone]")).to_have_text("13912345678")  # the leader calls the resident back
    leader.get_by_label("转为").select_option(label="已解决")
    leader.get_by_label("公开说明").fill("已更换5号楼2单元水管接头")
    leader.get_by_role("button", name="保存").click()
    expect(leader.locator("[data-state]")).to_have_text("已解决")
    fits(leader)
    assert_accessible(leader)

    request_obj.refresh_from_db()
    assert request_obj.state == State.RESOLVED
    assert request_obj.events.last().actor == team.leader.user

    resident = browser.new_context(**PHONE).new_page()
    resident.goto(f"{live_server.url}/requests/t/{request_obj.token}/")
    expect(resident.locator("[data-handler]")).to_contain_text("水电维修服务队")
    expect(resident.get_by_text("已更换5号楼2单元水管接头")).to_be_visible()
    assert team.leader.name not in resident.content()
    assert ResidentRequest.objects.get(pk=request_obj.pk).handler_id is None
