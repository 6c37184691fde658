import pytest

from registration.models import Report
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import log_in_with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_member_logs_in_on_a_phone_and_sees_their_report(live_server, phone):
    community = factories.CommunityFactory(name="卧虎湾社区")
    report = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED)
    log_in_with_password(phone, live_server, report.member.user.username)

    phone.wait_for_url(f"{live_server.url}/registration/me/")
    assert phone.get_by_text("卧虎湾社区").is_visible()
    assert phone.get_by_text("已确认").is_visible()
    # Mobile first: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    phone.get_by_role("button", name="退出登录").click()
    phone.wait_for_url(f"{live_server.url}/login/")


def test_community_staff_land_on_their_communities_and_a_wrong_password_is_explained(live_server, phone):
    community = factories.CommunityFactory(name="兴国寺社区")
    staff = make_staff("community", community=community)

    phone.goto(f"{live_server.url}/login/")
    phone.get_by_label("手机号或用户名").fill(staff.username)
    phone.get_by_label("密码").fill("not-the-password")
    phone.get_by_role("button", name="登录").click()
    assert phone.get_by_text("请输入一个正确的").is_visible()
    assert phone.get_by_label("手机号或用户名").input_value() == staff.username

    log_in_with_password(phone, live_server, staff.username)
    phone.wait_for_url(f"{live_server.url}/registration/communities/")
    assert phone.get_by_role("cell", name="兴国寺社区").is_visible()
