"""Flow 9 in a browser: a resident raises a request from the public page at phone size, the grid worker assigns it to
the building head, who answers; the resident reopens it; it is resolved and confirmed; the figures move."""

import re

import pytest
from playwright.sync_api import expect

from communities.grid.models import Building, Grid, GridWorker
from registration.models import Report
from services.requests.models import BuildingHead, ResidentRequest
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class RecordingSmsBackend:
    sent = []

    def send(self, phone, template, params, *, idempotency_key=""):
        self.sent.append((phone, template, params))


def test_a_request_from_the_public_page_to_the_residents_confirmation(live_server, browser, settings):
    settings.SMS_BACKEND = f"{__name__}.RecordingSmsBackend"
    RecordingSmsBackend.sent = []
    community = factories.CommunityFactory(name="幸福里社区")
    grid = Grid.objects.create(community=community, name="第1网格")
    building = Building.objects.create(grid=grid, name="3号楼", households=48)
    staff = make_staff("community", community=community)
    worker = factories.UserFactory(full_name="网格员王芳")
    GridWorker.objects.create(user=worker, grid=grid)
    head = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member
    head.user.full_name = "楼长李明"
    head.user.save()
    BuildingHead.objects.create(member=head, building=building, assigned_by=staff)
    resident = browser.new_context(**PHONE).new_page()
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()

    # The resident raises it at phone size, proving the phone by an SMS code.
    resident.goto(f"{live_server.url}/requests/c/{community.code}/")
    resident.get_by_label("类别").select_option(label="求助")
    resident.get_by_label("诉求内容").fill("3号楼2单元楼道灯不亮")
    resident.get_by_label("楼栋").select_option(label="3号楼")
    resident.get_by_label("接收答复的手机号").fill("13912345678")
    resident.get_by_role("button", name="获取验证码").click()
    expect(resident.get_by_text("验证码已发送至139****5678。")).to_be_visible()
    resident.get_by_label("短信验证码").fill(RecordingSmsBackend.sent[-1][2]["code"])
    resident.get_by_role("button", name="提交").click()
    resident.wait_for_url(re.compile(r"/requests/t/"))
    expect(resident.locator("[data-state]")).to_have_text("已接收")
    assert resident.evaluate("document.documentElement.scrollWidth") <= 390
    request_obj = ResidentRequest.objects.get()

    # The grid worker assigns it to the building head.
    log_in_with_password(desk, live_server, worker.username)
    desk.wait_for_url(re.compile(r"/requests/staff/"))
    desk.get_by_role("link", name=re.compile("求助")).click()
    desk.get_by_label("转为").select_option(label="已受理")
    desk.get_by_label("办理人").select_option(label="楼长李明")
    desk.get_by_label("公开说明").fill("已请3号楼楼长上门查看")
    desk.get_by_role("button", name="保存").click()
    expect(desk.locator("[data-state]")).to_have_text("已受理")
    desk.context.clear_cookies()

    # The building head answers: not resolvable by the community.
    log_in_with_password(desk, live_server, head.user.username)
    desk.wait_for_url(re.compile(r"/registration/"))
    desk.goto(f"{live_server.url}/requests/buildings/")
    desk.get_by_role("link", name=re.compile("求助")).click()
    expect(desk.locator("[data-phone]")).to_have_text("13912345678")  # the handler calls back
    desk.get_by_label("转为").select_option(label="已答复（无法解决）")
    desk.get_by_label("公开说明").fill("线路老化，需物业大修，已报物业")
    desk.get_by_role("button", name="保存").click()
    expect(desk.locator("[data-state]")).to_have_text("已答复（无法解决）")

    # The resident reads the answer and reopens it.
    resident.reload()
    expect(resident.get_by_text("线路老化，需物业大修，已报物业")).to_be_visible()
    resident.get_by_label("还有什么问题").fill("物业一直没有来")
    resident.get_by_role("button", name="重新打开").click()
    expect(resident.locator("[data-state]")).to_have_text("重新打开")

    # The building head resolves it; the resident confirms.
    desk.reload()
    desk.get_by_label("转为").select_option(label="已解决")
    desk.get_by_label("公开说明").fill("已联系物业更换线路，灯已亮")
    desk.get_by_role("button", name="保存").click()
    expect(desk.locator("[data-state]")).to_have_text("已解决")
    resident.reload()
    resident.get_by_label("满意", exact=True).check()
    resident.get_by_role("button", name="提交评价").click()
    expect(resident.get_by_text("您的评价: 满意")).to_be_visible()

    # The figures moved on the public page.
    resident.goto(f"{live_server.url}/requests/c/{community.code}/")
    expect(resident.locator('[data-figure="satisfaction_rate"]')).to_have_text("100.0%")
    expect(resident.locator('[data-figure="resolution_rate"]')).to_have_text("100.0%")
    request_obj.refresh_from_db()
    assert (request_obj.state, request_obj.satisfaction, request_obj.reopened_count) == ("resolved", "satisfied", 1)
