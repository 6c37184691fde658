"""Flow 8 in a browser at phone size: staff publish an activity, members sign up, the waiting list moves up, the
organiser's page shows the changing code, a member checks in and out with it, a forwarded old code is refused,
closing marks the no-show, feedback is left by the member who came and by a resident served."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registration.models import Report
from services.activities import codes
from services.activities.models import Activity, CheckIn, Feedback, SignUp
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password
from tests.e2e.test_walk import AXE, AXE_RUN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    log_in_with_password(page, live_server, username)
    page.wait_for_url(re.compile(r"/(registration|admin)/"))


def assert_accessible(page):
    """axe-core's serious and critical WCAG 2.1 A/AA findings on the page as it is now: none."""
    page.evaluate(AXE.read_text())
    assert page.evaluate(AXE_RUN) == []


def test_an_activity_from_publication_to_closing_on_phones(live_server, browser):
    community = factories.CommunityFactory(name="兴国寺社区")
    staff = make_staff("community", community=community)
    first, second, third = (
        factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member for _ in range(3)
    )
    organiser = browser.new_context(**PHONE).new_page()
    phones = {member: browser.new_context(**PHONE).new_page() for member in (first, second, third)}

    # Staff create the activity and publish it.
    log_in(organiser, live_server, staff.username)
    organiser.goto(f"{live_server.url}/activities/staff/new/")
    start = timezone.localtime(timezone.now() + datetime.timedelta(days=2)).replace(hour=9, minute=0)
    organiser.locator("[name=title]").fill("社区环境清洁日")
    organiser.locator("[name=description]").fill("清理楼道堆物")
    organiser.locator("[name=post_type]").select_option("sanitation")
    organiser.locator("[name=place]").fill("小区南门")
    organiser.locator("[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    organiser.locator("[name=ends_at]").fill((start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    organiser.locator("[name=places]").fill("2")
    organiser.locator("[name=contact]").fill("王老师")
    organiser.get_by_role("button", name="保存为草稿").click()
    organiser.get_by_role("button", name="发布").click()
    expect(organiser.locator(".activity-status")).to_have_text("已发布")
    activity = Activity.objects.get()

    # Two members take the places; the third joins the waiting list.
    for member in (first, second, third):
        page = phones[member]
        log_in(page, live_server, member.user.username)
        page.goto(f"{live_server.url}/activities/")
        page.get_by_role("link", name="社区环境清洁日").click()
        page.get_by_role("button", name=re.compile("报名|加入候补")).click()
    expect(phones[third].locator(".my-signup-status")).to_have_text("您在候补名单中")
    expect(phones[second].locator(".my-signup-status")).to_have_text("您已获得名额")

    # The first cancels before the cut-off: the third moves up.
    phones[first].get_by_role("button", name="取消报名").click()
    phones[third].reload()
    expect(phones[third].locator(".my-signup-status")).to_have_text("您已获得名额")

    # The day comes (the clock is moved in the database: the live server runs on the real one).
    now = timezone.now()
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=2),
        signup_deadline=now - datetime.timedelta(minutes=5), cancel_cutoff=now - datetime.timedelta(minutes=5),
    )

    # The organiser's page shows the code and its QR code, and the script brings the next one.
    organiser.goto(f"{live_server.url}/activities/staff/{activity.pk}/code/")
    digits = organiser.locator("#code-digits")
    shown = digits.inner_text()
    assert re.fullmatch(r"\d{6}", shown)
    expect(organiser.locator("#code-qr svg")).to_be_visible()
    expect(digits).not_to_have_text(shown, timeout=35_000)

    # A member types the code shown now; a forwarded picture of an older code is refused.
    member_page = phones[second]
    check_in = f"{live_server.url}/activities/{activity.pk}/check-in/"
    member_page.goto(check_in)
    old = codes.code_for(activity_id=activity.pk, kind="entry", window=codes.window_at() - 3)
    member_page.locator("[name=code]").fill(old)
    member_page.get_by_role("button", name="提交").click()
    expect(member_page.locator(".invalid-feedback, .alert-danger:not(.error-summary)").first).to_contain_text("已过期")
    member_page.locator("[name=code]").fill(digits.inner_text())
    member_page.get_by_role("button", name="提交").click()
    expect(member_page.locator(".alert-success")).to_contain_text("签到成功")

    # Check-out with the exit code.
    organiser.get_by_role("link", name="签退").click()
    member_page.goto(check_in)
    member_page.get_by_label("签退").check()
    member_page.locator("[name=code]").fill(organiser.locator("#code-digits").inner_text())
    member_page.get_by_role("button", name="提交").click()
    expect(member_page.locator(".alert-success")).to_contain_text("签退成功")
    assert CheckIn.objects.filter(member=second).count() == 2

    # The organiser closes it: the third member, who never came, is a no-show.
    organiser.goto(f"{live_server.url}/activities/staff/{activity.pk}/")
    organiser.get_by_role("button", name="结束活动并记入时长").click()
    expect(organiser.locator(".alert-success")).to_contain_text("1 人缺席")
    assert SignUp.objects.get(member=third).status == SignUp.Status.NO_SHOW
    assert SignUp.objects.get(member=second).status == SignUp.Status.ATTENDED
    for page in (organiser, *phones.values()):  # nothing scrolls sideways at 390 px
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # After closing, the member who came leaves feedback from the activity's page, and a resident served from the
    # organiser's QR link without logging in; the organiser sees both. Each page passes axe at 390 px.
    member_page.goto(f"{live_server.url}/activities/{activity.pk}/")
    member_page.get_by_label("★★★★★", exact=True).check()
    member_page.locator("[name=comment]").fill("组织有序，分工清楚")
    assert_accessible(member_page)
    member_page.get_by_role("button", name="提交评价").click()
    expect(member_page.locator(".alert-success")).to_contain_text("谢谢您的评价")
    organiser.reload()
    link = organiser.locator("details a").get_attribute("href")
    resident = browser.new_context(**PHONE).new_page()
    resident.goto(link)
    resident.locator("[name=mobile]").fill("13912345678")
    resident.get_by_label("★★★★", exact=True).check()
    assert_accessible(resident)
    resident.get_by_role("button", name="提交评价").click()
    expect(resident.locator(".feedback-done")).to_be_visible()
    organiser.reload()
    expect(organiser.locator("#feedback-summary")).to_contain_text("4.5 星")
    assert_accessible(organiser)
    assert sorted(Feedback.objects.values_list("rating", flat=True)) == [4, 5]
    for page in (organiser, member_page, resident):
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
