"""The Content-Security-Policy in a real browser: the watch of conftest.py catches violations, and the admin pages
the project adds (and the package template it replaces) run under the policy with their static styles and scripts."""

import re

import pytest
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from communities.second_factor import requires_second_factor
from registration.models import Report
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password
from tests.e2e.test_second_factor import code_for
from tests.test_admin import READ_ONLY, REGISTERED, admin_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOSTILE_PAGE = """<!doctype html><html><head><style>p { color: red }</style></head><body>
<p style="color: blue">styled inline</p><script>document.title = "ran"</script>
<button type="button" onclick="document.title = 'clicked'">go</button></body></html>"""


def test_the_browser_watch_reports_what_the_policy_refuses(browser):
    page = browser.new_context().new_page()
    policy = "default-src 'self'; script-src 'self'; style-src 'self'"
    page.route(
        "http://csp.test/",
        lambda route: route.fulfill(
            status=200, headers={"Content-Type": "text/html", "Content-Security-Policy": policy}, body=HOSTILE_PAGE
        ),
    )
    page.goto("http://csp.test/")
    page.get_by_role("button", name="go").click()
    assert page.title() == ""  # neither the inline script nor the handler ran
    browser.close_contexts()
    refused = [problem for problem in browser.problems if "Content Security Policy" in problem]
    assert any("inline style" in problem for problem in refused), browser.problems
    assert any("inline script" in problem for problem in refused), browser.problems
    assert any("inline event handler" in problem for problem in refused), browser.problems
    browser.problems.clear()  # seen on purpose: the fixture's check after the test must not fail on them


def log_in(page, live_server, user, landing=r"/admin/"):
    """Password, then the second factor if the account needs one (with a confirmed device made here)."""
    needs_code = requires_second_factor(user)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True) if needs_code else None
    log_in_with_password(page, live_server, user.username, second_factor=False)
    if device is not None:
        page.wait_for_url(re.compile(r"/login/second-factor/"))
        page.get_by_label("6 位动态验证码").fill(code_for(device.bin_key))
        page.get_by_role("button", name="确认").click()
    page.wait_for_url(re.compile(landing))


def test_the_reporting_rate_pages_and_the_assessment_run_under_the_policy(live_server, browser):
    community = factories.CommunityFactory(name="卧虎湾社区")
    factories.RosterEntryFactory(community=community)  # one person on a roster, never registered: under the line
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    log_in(desk, live_server, make_staff("org", is_staff=True))

    desk.goto(f"{live_server.url}/admin/")
    expect(desk.locator("#reporting-rates-link h2").first).to_have_css("font-size", "16px")  # admin.css
    desk.get_by_role("link", name=re.compile("报到率统计")).click()
    expect(desk.locator(".rate-chart svg .bar")).not_to_have_count(0)
    expect(desk.locator(".rate-line .below-label")).to_have_css("color", "rgb(186, 33, 33)")
    desk.get_by_role("link", name="按单位", exact=True).click()
    expect(desk.locator("#rate-table")).to_be_visible()
    desk.goto(f"{live_server.url}/admin/rates/communities/{community.pk}/")
    expect(desk.locator("#rate-figures")).to_be_visible()
    desk.goto(f"{live_server.url}/assessment/admin/")
    full_width = "(table) => table.getBoundingClientRect().width === table.parentElement.getBoundingClientRect().width"
    assert desk.locator("#assessment-runs").evaluate(full_width)  # width: 100% from admin.css


def test_the_periodic_task_form_says_the_crontab_in_words_under_the_policy(live_server, browser):
    crontab = CrontabSchedule.objects.create(minute="0", hour="9", timezone="Asia/Shanghai")
    admin_user = factories.UserFactory(is_superuser=True, is_staff=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    log_in(desk, live_server, admin_user)

    desk.goto(f"{live_server.url}/admin/django_celery_beat/periodictask/add/")
    desk.locator("#id_crontab").select_option(str(crontab.pk))
    expect(desk.locator(".field-crontab .help")).to_contain_text(crontab.human_readable)


def test_every_admin_page_runs_under_the_policy(live_server, browser, populated):
    """Django's admin and its scripts (filters, actions, widgets, related-object links) as well as our markup:
    the changelist, add and change page of every registered model, in one session."""
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    log_in(desk, live_server, factories.UserFactory(is_superuser=True, is_staff=True))
    for model in REGISTERED:
        obj = model._default_manager.first()
        urls = [admin_url(model, "changelist"), None if model in READ_ONLY else admin_url(model, "add")]
        urls.append(admin_url(model, "change", obj.pk) if obj else None)
        for url in filter(None, urls):
            assert desk.goto(f"{live_server.url}{url}").status == 200, url


def test_the_pages_of_each_role_run_under_the_policy(live_server, browser):
    """Members, community staff, unit liaisons and anyone: each page once, beyond those the other tests walk."""
    community = factories.CommunityFactory()
    unit = factories.UnitFactory()
    report = factories.ReportFactory(community=community, member__unit=unit, status=Report.Status.CONFIRMED)
    member = report.member
    pending = factories.ReportFactory(community=community, member__unit=unit)
    need = factories.ServiceNeedFactory(community=community)
    factories.ClaimFactory(need=need, member=member)
    factories.ServiceRecordFactory(member=member, community=community)
    assessment = factories.AssessmentFactory(member=member, community=community, unit=unit)
    factories.RosterEntryFactory(unit=unit, community=community)
    visits = {
        None: [
            reverse("services:public-board", args=[community.code]),
            reverse("services:public-board-print", args=[community.code]),
            reverse("services:public-board", args=[community.public_slug]),
            reverse("services:public-board-print", args=[community.public_slug]),
        ],
        member.user: [
            reverse("registration:member-home"),
            reverse("registration:letter", args=[report.pk]),
            reverse("registration:change-community"),
            reverse("registration:member-withdraw"),
            reverse("registration:member-public-listing"),
            reverse("services:need-detail", args=[need.pk]),
            reverse("services:my-service"),
            reverse("assessment:my-result"),
            reverse("communities:inbox"),
            reverse("password-change"),
        ],
        make_staff("community", community=community): [
            reverse("registration:community-home"),
            reverse("registration:report-queue"),
            reverse("registration:report-review", args=[pending.pk]),
            reverse("registration:ledger"),
            reverse("services:staff-need-list"),
            reverse("services:staff-need-detail", args=[need.pk]),
            reverse("services:staff-need-edit", args=[need.pk]),
            reverse("services:staff-dashboard"),
            reverse("assessment:staff-list"),
            reverse("assessment:staff-review", args=[assessment.pk]),
        ],
        make_staff("street", street=community.street): [
            reverse("registration:community-home"),
            reverse("street-rates:places"),
            reverse("street-rates:community", args=[community.pk]),
            reverse("registration:report-queue") + f"?community={community.pk}",
        ],
        make_staff("unit", unit=unit): [
            reverse("registration:unit-home"),
            reverse("registration:unit-roster", args=[unit.pk]),
            reverse("registration:roster-upload", args=[unit.pk]),
            reverse("assessment:unit-list"),
            reverse("assessment:unit-results", args=[unit.pk]),
        ],
    }
    for user, urls in visits.items():
        page = browser.new_context(**PHONE).new_page()
        if user is not None:
            log_in(page, live_server, user, landing=r"/(registration|needs|staff|assessment)/")
        for url in urls:
            assert page.goto(f"{live_server.url}{url}").status == 200, url
        page.context.close()
