"""The browser walk of issue 17: every page of every role, at 390 px (a phone) and 1366 px (a desk).

Each page, at each width: no sideways scroll, no navigation label wrapped, no console error, no Content-Security-
Policy violation (the `browser` fixture fails the test on any), and axe-core (tests/e2e/vendor/axe.min.js, run
through the DevTools protocol, which the page's policy does not govern) finds no critical or serious violation.
Screenshots go to var/screens/ (git-ignored) for a person to look through.
"""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities.grid.models import Building, Grid
from communities.models import Notification, StaffAssignment
from registration.models import Report
from services.models import ServiceNeed
from services.requests import services as request_services
from services.requests.models import Channel
from tests import factories
from tests.activities.helpers import make_activity, sign_up
from tests.conftest import make_staff
from tests.e2e.conftest import log_in_with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
Role = StaffAssignment.Role

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
SCREENS = Path(settings.BASE_DIR) / "var" / "screens"
WIDTHS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"},
    "desk": {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"},
}
# The page's own measurements: sideways scroll, and each navigation label taller than one line and a half.
# Sideways scroll is measured against the screen: on a phone, Chromium widens the layout viewport to fit content
# wider than the screen (and zooms out), so innerWidth alone would grow with the overflow and hide it.
MEASURE = """() => {
  const scroll = Math.max(document.scrollingElement.scrollWidth, window.innerWidth) - screen.width;
  const wrapped = [];
  for (const link of document.querySelectorAll('.nav-link')) {
    if (!link.offsetParent) continue;
    const range = document.createRange();
    range.selectNodeContents(link);
    const lineHeight = parseFloat(getComputedStyle(link).lineHeight) || 24;
    if (range.getBoundingClientRect().height > 1.5 * lineHeight) wrapped.push(link.textContent.trim());
  }
  // What sticks out (its own content wider than its box, or past the screen): named in the failure.
  const culprits = [];
  if (scroll > 0) {
    for (const el of document.querySelectorAll('body *')) {
      const box = el.getBoundingClientRect();
      const spills = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible';
      // Inside a scroller of its own (a table or a tab strip scrolls sideways by design) — unless positioned
      // absolutely, when it escapes a scroller that is not its containing block (a visually hidden label).
      const position = getComputedStyle(el).position;
      let clipped = false;
      for (let up = el.parentElement; up && up !== document.body && position !== 'absolute' && position !== 'fixed';
           up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== 'visible') { clipped = true; break; }
      }
      if (!clipped && (spills || box.right > screen.width + 0.5)) {
        const name = el.tagName.toLowerCase() + '.' + [...el.classList].join('.');
        culprits.push(name + ' "' + el.textContent.trim().slice(0, 20) + '"');
      }
    }
  }
  return {scroll, wrapped, culprits: culprits.slice(0, 3)};
}"""
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                          resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


@pytest.fixture
def place():
    """One community with something on every page: a confirmed member with a claim, a record and an assessment,
    a pending report, a draft and a published need, a unit roster, a message."""
    street = factories.StreetFactory(district=factories.DistrictFactory(name="城关区"), name="酒泉路街道")
    community = factories.CommunityFactory(street=street, name="金塔巷社区")
    factories.CommunityFactory(street=street, name="中山路社区")
    unit = factories.UnitFactory(district=street.district, name="城关区财政局")
    member = factories.MemberFactory(unit=unit, name="王晓红")
    report = factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    factories.RosterEntryFactory(unit=unit, community=community)
    factories.ReportFactory(community=community, member=factories.MemberFactory(unit=unit, name="李建国"))
    need = factories.ServiceNeedFactory(community=community, title="陪独居老人看病")
    draft = factories.ServiceNeedFactory(community=community, title="楼道清理", status=ServiceNeed.Status.DRAFT)
    claim = factories.ClaimFactory(need=need, member=member)
    factories.ServiceRecordFactory(member=member, community=community, claim=claim)
    assessment = factories.AssessmentFactory(member=member, community=community, unit=unit)
    Notification.objects.create(user=member.user, kind="test", title="报到已确认")
    # An activity the member signed up for, and a resident's request in a building of the community.
    activity = make_activity(community, title="社区环境清洁日")
    sign_up(member, activity)
    grid = Grid.objects.create(community=community, name="第1网格")
    building = Building.objects.create(grid=grid, name="1号楼", address="金塔巷1号", households=40)
    resident_request = request_services.request_raise(
        community=community, category="help", text="楼道灯坏了", building=building, phone="13912345678",
        channel=Channel.PUBLIC_PAGE,
    )  # fmt: skip
    return {
        "street": street,
        "community": community,
        "unit": unit,
        "member": member,
        "report": report,
        "need": need,
        "draft": draft,
        "assessment": assessment,
        "activity": activity,
        "request": resident_request,
    }


def watch_errors(page) -> list[str]:
    """The page's console errors and uncaught exceptions, as they come."""
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    return errors


def walk(browser, live_server, role, paths, *, log_in, widths=WIDTHS, axe=True, large_text=False):
    """Open each path at each width after `log_in(page)` (with the large-text mode on, if asked); return what
    failed, page by page."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    axe_source = AXE.read_text()
    problems = []
    for width, options in widths.items():
        context = browser.new_context(**options)
        if large_text:
            context.add_cookies([{"name": "large_text", "value": "1", "url": live_server.url}])
            width = f"{width}-large"
        page = context.new_page()
        errors = watch_errors(page)
        log_in(page)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            where = f"{role} {width} {path}"
            if response is None or response.status >= 400:
                problems.append(f"{where}: status {response and response.status}")
                continue
            measured = page.evaluate(MEASURE)
            if measured["scroll"] > 0:
                problems.append(f"{where}: scrolls sideways by {measured['scroll']} px ({measured['culprits']})")
            if measured["wrapped"]:
                problems.append(f"{where}: navigation labels wrapped: {measured['wrapped']}")
            if axe:
                page.evaluate(axe_source)
                for violation in page.evaluate(AXE_RUN):
                    problems.append(f"{where}: axe {violation}")
            slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
            page.screenshot(path=str(SCREENS / f"{role}-{slug}-{width}.png"), full_page=True)
        problems += errors
        context.close()
    return problems


def test_public_pages(live_server, browser, place):
    code = place["community"].code
    paths = [
        "/",
        f"/find/?district={place['street'].district_id}",
        "/find/?q=金塔",
        f"/c/{code}/board/",
        f"/c/{code}/board/print/",
        f"/activities/c/{code}/",
        f"/requests/c/{code}/",
        "/login/",
        "/registration/register/",
    ]
    problems = walk(browser, live_server, "public", paths, log_in=lambda page: None)
    assert not problems, "\n".join(problems)


def test_a_members_pages(live_server, browser, place):
    member, report = place["member"], place["report"]

    def log_in(page):
        log_in_with_password(page, live_server, member.user.username)
        page.wait_for_url(re.compile(r"/registration/me/|/needs/"))

    paths = [
        "/registration/me/",
        "/needs/",
        f"/needs/{place['need'].pk}/",
        "/me/service/",
        "/records/new/",
        "/assessment/me/",
        "/registration/me/change-community/",
        "/registration/me/withdraw/",
        "/registration/me/public-board/",
        f"/registration/letters/{report.pk}/",
        "/inbox/",
        "/password/",
        "/activities/",
        "/activities/mine/",
        f"/activities/{place['activity'].pk}/",
        "/requests/mine/",
    ]
    problems = walk(browser, live_server, "member", paths, log_in=log_in)
    # The large-text mode (长辈版) on a phone: still no sideways scroll and no wrapped label.
    problems += walk(
        browser,
        live_server,
        "member",
        paths,
        log_in=log_in,
        widths={"phone": WIDTHS["phone"]},
        axe=False,
        large_text=True,
    )
    assert not problems, "\n".join(problems)


def staff_log_in(live_server, user):
    def log_in(page):
        log_in_with_password(page, live_server, user.username)
        page.wait_for_load_state()

    return log_in


def test_community_staffs_pages(live_server, browser, place):
    staff = make_staff(Role.COMMUNITY_STAFF, community=place["community"])
    pending = Report.objects.get(status=Report.Status.PENDING)
    paths = [
        "/registration/communities/",
        "/registration/reports/",
        f"/registration/reports/{pending.pk}/",
        "/registration/ledger/",
        "/staff/needs/",
        "/staff/needs/new/",
        f"/staff/needs/{place['need'].pk}/",
        f"/staff/needs/{place['draft'].pk}/edit/",
        "/staff/records/",
        "/staff/dashboard/",
        "/assessment/staff/",
        f"/assessment/staff/{place['assessment'].pk}/",
        "/inbox/",
        "/activities/staff/",
        "/activities/staff/new/",
        f"/activities/staff/{place['activity'].pk}/",
        "/requests/staff/",
        "/requests/staff/new/",
        f"/requests/staff/{place['request'].pk}/",
        "/requests/staff/figures/",
        "/requests/staff/buildings/",
        f"/c/{place['community'].code}/board/print/",
    ]
    problems = walk(browser, live_server, "community", paths, log_in=staff_log_in(live_server, staff))
    assert not problems, "\n".join(problems)


def test_street_staffs_pages(live_server, browser, place):
    staff = make_staff(Role.STREET_STAFF, street=place["street"])
    paths = [
        "/registration/communities/",
        "/registration/rates/",
        f"/registration/rates/communities/{place['community'].pk}/",
        "/registration/reports/",
        "/registration/ledger/",
        "/staff/needs/",
        "/staff/records/",
        "/staff/dashboard/",
        "/activities/staff/",
        "/requests/staff/",
        "/requests/staff/figures/",
        f"/c/{place['community'].code}/board/print/",
    ]
    problems = walk(browser, live_server, "street", paths, log_in=staff_log_in(live_server, staff))
    assert not problems, "\n".join(problems)


def test_a_unit_liaisons_pages(live_server, browser, place):
    liaison = make_staff(Role.UNIT_LIAISON, unit=place["unit"])
    unit = place["unit"].pk
    paths = [
        "/registration/units/",
        f"/registration/units/{unit}/roster/",
        f"/registration/units/{unit}/roster/upload/",
        "/assessment/units/",
        f"/assessment/units/{unit}/",
    ]
    problems = walk(browser, live_server, "unit", paths, log_in=staff_log_in(live_server, liaison))
    assert not problems, "\n".join(problems)


def test_the_organisation_departments_admin_pages(live_server, browser, place):
    org = make_staff(Role.ORG_DEPARTMENT, is_staff=True)
    device = TOTPDevice.objects.create(user=org, name="phone", confirmed=True)
    steps = iter(range(10))

    def log_in(page):
        log_in_with_password(page, live_server, org.username, second_factor=False)
        page.wait_for_url(re.compile(r"/login/second-factor/"))
        # Each context logs in once; a code is accepted once, so the second login types the next step's code.
        totp = TOTP(device.bin_key)
        totp.time = time.time() + 30 * next(steps)
        page.get_by_label("6 位动态验证码").fill(f"{totp.token():06d}")
        page.get_by_role("button", name="确认").click()
        page.wait_for_url(f"{live_server.url}/admin/")

    paths = [
        "/admin/",
        "/admin/rates/",
        "/admin/rates/units/",
        f"/admin/rates/communities/{place['community'].pk}/",
        "/assessment/admin/",
        "/admin/registration/member/",
        "/admin/services/serviceneed/",
    ]
    problems = walk(browser, live_server, "org", paths, log_in=log_in)
    assert not problems, "\n".join(problems)
