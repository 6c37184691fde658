"""Issue 18's flows in Chromium at 390 px, each page checked by axe-core and for sideways scroll: a member edits their
data; corrects a returned report and sends it again; prints a certificate whose QR link opens the public
verification; a unit liaison reminds the unregistered people of the roster."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from communities.models import Notification, StaffAssignment
from registration.models import Report
from registration.selfservice import services as selfservice
from services.models import ServiceRecord
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password
from tests.e2e.test_walk import AXE, AXE_RUN, MEASURE, SCREENS
from tests.selfservice.helpers import register, roster_entry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def check(page, name: str) -> list[str]:
    """No sideways scroll, no wrapped navigation label, no serious axe finding; a screenshot for a person to look at."""
    problems = []
    measured = page.evaluate(MEASURE)
    if measured["scroll"] > 0:
        problems.append(f"{name}: scrolls sideways by {measured['scroll']} px")
    if measured["wrapped"]:
        problems.append(f"{name}: navigation labels wrapped: {measured['wrapped']}")
    page.evaluate(AXE.read_text())
    problems += [f"{name}: axe {violation}" for violation in page.evaluate(AXE_RUN)]
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"selfservice-{name}-phone.png"), full_page=True)
    return problems


@pytest.fixture
def place():
    community = factories.CommunityFactory(name="金塔巷社区")
    unit = factories.UnitFactory(district=None, name="市财政局")
    factories.UnitFactory(district=None, name="市教育局")
    staff = make_staff(StaffAssignment.Role.COMMUNITY_STAFF, community=community)
    return {"community": community, "unit": unit, "staff": staff}


def member_page(browser, live_server, member):
    page = browser.new_context(**PHONE).new_page()
    log_in_with_password(page, live_server, member.user.username)
    page.wait_for_url(re.compile(r"/registration/me/|/needs/"))
    return page


def test_a_member_edits_their_data(live_server, browser, place):
    member = register(place["community"], place["unit"], 1).member
    page = member_page(browser, live_server, member)
    page.goto(f"{live_server.url}/registration/me/")
    page.get_by_role("link", name="我的资料").click()
    problems = check(page, "profile")
    page.get_by_label("现任职务").fill("副科长")
    page.get_by_label("服务意愿").fill("辅导孩子作业")
    page.get_by_role("button", name="保存我的资料").click()
    expect(page.get_by_text("您的资料已保存。")).to_be_visible()
    expect(page.locator("#profile-history")).to_contain_text("现任职务")
    member.refresh_from_db()
    assert (member.position, member.service_wishes) == ("副科长", "辅导孩子作业")
    assert not problems, "\n".join(problems)


def test_a_member_corrects_a_returned_report_and_sends_it_again(live_server, browser, place):
    registration = register(place["community"], place["unit"], 1)
    selfservice.report_return(
        report_id=registration.report.pk, user=place["staff"], reason="职务与介绍信不符", fields=["position"]
    )
    page = member_page(browser, live_server, registration.member)
    page.goto(f"{live_server.url}/registration/me/")
    page.get_by_role("link", name="更正后重新提交").click()
    # The reason stands beside the position, the field it names.
    expect(page.locator('[data-returned="position"]')).to_contain_text("职务与介绍信不符")
    problems = check(page, "correct")
    page.get_by_label("现任职务").fill("主任科员")
    page.get_by_role("button", name="更正后重新提交报到").click()
    expect(page.get_by_text("更正后的报到已重新提交社区。")).to_be_visible()
    pending = registration.member.reports.get(status=Report.Status.PENDING)
    assert pending.community == place["community"] and pending.pk != registration.report.pk
    assert not problems, "\n".join(problems)


def test_a_member_prints_a_certificate_and_its_qr_link_verifies_it(live_server, browser, place):
    member = factories.MemberFactory(unit=place["unit"], name="王晓红")
    factories.ReportFactory(member=member, community=place["community"], status=Report.Status.CONFIRMED)
    factories.ServiceRecordFactory(
        member=member, community=place["community"], served_on=timezone.localdate() - datetime.timedelta(days=1),
        hours=Decimal("3.0"), points=Decimal("7.0"), status=ServiceRecord.Status.VERIFIED, description="陪老人就医",
    )
    page = member_page(browser, live_server, member)
    page.goto(f"{live_server.url}/registration/me/")
    page.get_by_role("link", name="积分与时长明细").click()
    expect(page.locator("[data-source=records]")).to_contain_text("陪老人就医")
    problems = check(page, "points")
    page.get_by_role("link", name="服务证明").click()
    expect(page.locator(".certificate")).to_contain_text("王晓红")
    problems += check(page, "certificate")
    verify_url = page.locator(".verify-link span").inner_text()
    page.emulate_media(media="print")
    assert page.locator("nav").first.is_hidden()  # the print style leaves the site's chrome out

    public = browser.new_context(**PHONE).new_page()  # no login: what a scanning phone opens
    public.goto(verify_url)
    expect(public.locator("#verdict")).to_have_attribute("data-verdict", "agrees")
    expect(public.locator('[data-figure="hours"]')).to_have_text("3.0")
    assert "王晓红" not in public.content()
    problems += check(public, "verify")
    assert not problems, "\n".join(problems)


def test_a_liaison_reminds_the_unregistered(live_server, browser, place):
    unit = place["unit"]
    for n in range(1, 4):
        roster_entry(unit, n, phone=f"1390000{n:04d}", community=place["community"])
    liaison = make_staff(StaffAssignment.Role.UNIT_LIAISON, unit=unit)
    page = browser.new_context(**PHONE).new_page()
    log_in_with_password(page, live_server, liaison.username)
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/registration/units/{unit.pk}/roster/")
    page.get_by_role("link", name="联系和提醒未注册人员").click()
    problems = check(page, "liaison-contacts")
    page.get_by_role("button", name="一键短信提醒").click()
    page.locator("#confirm-dialog-ok").click()
    expect(page.get_by_text("已发送提醒：3人")).to_be_visible()
    expect(page.locator("#unregistered-list .badge", has_text="本周已提醒")).to_have_count(3)
    assert Notification.objects.filter(channel=Notification.Channel.SMS, kind=selfservice.LIAISON_NUDGE).count() == 3
    # Pressed again the same week: nobody hears twice.
    page.get_by_role("button", name="一键短信提醒").click()
    page.locator("#confirm-dialog-ok").click()
    expect(page.get_by_text("已发送提醒：0人")).to_be_visible()
    assert Notification.objects.filter(channel=Notification.Channel.SMS, kind=selfservice.LIAISON_NUDGE).count() == 3
    assert not problems, "\n".join(problems)
