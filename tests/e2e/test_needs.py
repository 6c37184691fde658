import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registration.models import Report
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    log_in_with_password(page, live_server, username)
    page.wait_for_url(re.compile(r"/(registration|admin)/"))


def test_staff_publish_a_member_claims_and_serves_staff_verify_and_the_hours_move(live_server, browser):
    community = factories.CommunityFactory(name="兴国寺社区")
    staff = make_staff("community", community=community)
    member = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    phone = browser.new_context(**PHONE).new_page()

    # Staff post a need and publish it.
    log_in(desk, live_server, staff.username)
    desk.goto(f"{live_server.url}/staff/needs/new/")
    desk.get_by_label("标题").fill("独居老人代购药品")
    desk.get_by_label("内容").fill("每周一次，为独居老人到药店代购常用药")
    desk.get_by_label("岗位类别").select_option(label="扶弱济困岗")
    desk.get_by_label("名额").fill("2")
    # Started yesterday and ends in a week: open for claims, and today's service lies in its window.
    today = timezone.localdate()
    desk.get_by_label("开始时间").fill(f"{today - datetime.timedelta(days=1)}T09:00")
    desk.get_by_label("结束时间").fill(f"{today + datetime.timedelta(days=7)}T18:00")
    desk.get_by_role("button", name="保存").click()
    desk.get_by_role("button", name="发布").click()
    desk.locator("#confirm-dialog").get_by_role("button", name="发布").click()  # the one confirm step
    expect(desk.locator(".need-status")).to_have_text("已发布")

    # The member finds it on the board and claims it; the card changes in place.
    log_in(phone, live_server, member.user.username)
    phone.goto(f"{live_server.url}/needs/")
    phone.evaluate("window.sameDocument = true")
    card = phone.locator(".need-card", has_text="独居老人代购药品")
    card.locator("summary").click()
    card.get_by_label("我的承诺").fill("每周六上午去药店")
    card.get_by_role("button", name="承诺并认领").click()
    expect(phone.locator(".need-card .claimed")).to_have_text("您已认领")
    expect(phone.locator(".need-card .places-left")).to_have_text("剩余 1 / 2 个名额")
    assert phone.evaluate("window.sameDocument") is True

    # The member logs the service.
    phone.goto(f"{live_server.url}/records/new/")
    phone.get_by_label("对应的认领").select_option(label="独居老人代购药品")
    phone.get_by_label("时长（小时）").fill("2.5")
    phone.get_by_label("服务内容").fill("代购降压药两盒")
    phone.get_by_role("button", name="提交服务记实").click()
    phone.wait_for_url(f"{live_server.url}/me/service/")
    expect(phone.locator(".time-bank")).to_have_text("0 小时")

    # Staff verify it, and return another, without a page reload: htmx swaps the row in place under the
    # Content-Security-Policy (a marker on the window would not survive the plain form post it falls back to).
    factories.ServiceRecordFactory(member=member, community=community, description="帮忙搬家")
    desk.goto(f"{live_server.url}/staff/records/")
    desk.evaluate("window.sameDocument = true")
    row = desk.locator(".record-row", has_text="代购降压药两盒")
    row.get_by_role("button", name="审核通过").click()
    desk.locator("#confirm-dialog").get_by_role("button", name="审核通过").click()
    expect(row.locator(".record-status")).to_have_text("已审核")
    other = desk.locator(".record-row", has_text="帮忙搬家")
    other.get_by_placeholder("退回原因").fill("不是社区服务")
    other.get_by_role("button", name="退回").click()
    desk.locator("#confirm-dialog").get_by_role("button", name="退回").click()
    expect(other.locator(".record-status")).to_have_text("已退回")
    assert desk.evaluate("window.sameDocument") is True

    # The member's hours and points have moved.
    phone.reload()
    expect(phone.locator(".time-bank")).to_have_text("2.5 小时")
    expect(phone.locator(".points")).to_have_text("2.5")
