"""The one confirm step in Chromium: a consequential form asks in the <dialog> (static/js/confirm.js, under the
Content-Security-Policy); cancelling posts nothing, confirming posts once."""

import pytest
from playwright.sync_api import expect

from communities.models import StaffAssignment
from registration.models import Report
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_confirming_a_report_asks_once_and_cancel_posts_nothing(live_server, browser):
    community = factories.CommunityFactory(name="金塔巷社区")
    staff = make_staff(StaffAssignment.Role.COMMUNITY_STAFF, community=community)
    report = factories.ReportFactory(community=community, member=factories.MemberFactory(name="王晓红"))
    phone = browser.new_context(**PHONE).new_page()
    log_in_with_password(phone, live_server, staff.username)
    phone.goto(f"{live_server.url}/registration/reports/")
    posts = []
    phone.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    dialog = phone.locator("#confirm-dialog")

    phone.get_by_role("button", name="确认", exact=True).click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("确认该党员到社区报到？")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    assert posts == []
    report.refresh_from_db()
    assert report.status == Report.Status.PENDING

    phone.get_by_role("button", name="确认", exact=True).click()
    dialog.get_by_role("button", name="确认", exact=True).click()
    expect(phone.get_by_text("没有待确认的报到。")).to_be_visible()
    assert len(posts) == 1
    report.refresh_from_db()
    assert report.status == Report.Status.CONFIRMED


def test_a_members_withdrawal_asks_and_escape_cancels(live_server, browser):
    member = factories.MemberFactory()
    report = factories.ReportFactory(member=member)
    phone = browser.new_context(**PHONE).new_page()
    log_in_with_password(phone, live_server, member.user.username)
    phone.goto(f"{live_server.url}/registration/me/")
    phone.get_by_role("button", name="撤回申请").click()
    expect(phone.locator("#confirm-dialog")).to_be_visible()
    phone.keyboard.press("Escape")
    expect(phone.locator("#confirm-dialog")).to_be_hidden()
    report.refresh_from_db()
    assert report.status == Report.Status.PENDING
