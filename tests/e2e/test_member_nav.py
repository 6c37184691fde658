"""The members' bottom navigation walked at 390 px (issue 17): five places on one line that do not scroll
sideways, targets of 44 px (60 px in the large-text mode), the "More" sheet opening and its links working, the
current page marked in it, and axe-core finding no serious violation with the sheet open."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from communities.models import Notification
from communities.platform import navigation
from registration.models import Report
from tests import factories
from tests.e2e.conftest import PHONE, log_in_with_password
from tests.e2e.test_walk import AXE, AXE_RUN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BAR = """() => {
  const bar = document.querySelector('.member-bar');
  const box = bar.getBoundingClientRect();
  const places = [...bar.querySelectorAll('.nav-link')].map(link => {
    const range = document.createRange();
    range.selectNodeContents(link);
    const lineHeight = parseFloat(getComputedStyle(link).lineHeight) || 24;
    const rect = link.getBoundingClientRect();
    const text = [...link.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    return {text, height: rect.height, width: rect.width, right: rect.right,
            wrapped: range.getBoundingClientRect().height > 1.5 * lineHeight,
            clipped: link.scrollWidth > link.clientWidth + 1};
  });
  return {places, scroll: document.scrollingElement.scrollWidth - window.innerWidth,
          barScroll: bar.scrollWidth - bar.clientWidth, width: window.innerWidth,
          bottom: Math.round(window.innerHeight - box.bottom)};
}"""


def measure(page):
    measured = page.evaluate(BAR)
    assert measured["scroll"] <= 0, f"the page scrolls sideways by {measured['scroll']} px"
    assert measured["barScroll"] <= 0, f"the bar scrolls sideways by {measured['barScroll']} px"
    assert measured["bottom"] == 0, "the bar is not at the bottom of the screen"
    assert [place["text"] for place in measured["places"]] == ["首页", "需求", "我的服务", "消息", "更多"]
    for place in measured["places"]:
        assert not place["wrapped"] and not place["clipped"], f"{place['text']} wraps or is cut: {place}"
        assert place["right"] <= measured["width"], measured
    return measured["places"]


def test_the_bottom_bar_fits_a_phone_and_more_opens_a_sheet_whose_links_work(live_server, browser):
    member = factories.MemberFactory()
    factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    page = browser.new_context(**PHONE).new_page()
    log_in_with_password(page, live_server, member.user.username)
    page.goto(f"{live_server.url}/registration/me/")

    assert page.evaluate("window.innerWidth") == 390
    for place in measure(page):
        # Rounded to a hundredth of a pixel: layout may land a hair under (43.9999 for a 44 px minimum).
        assert round(place["height"], 2) >= 44 and round(place["width"], 2) >= 44, place
    expect(page.locator(".member-bar [aria-current=page]")).to_have_text("首页")

    under_more = [e for e in navigation.member_tabs.for_user(member.user) if e.bar_label is None]
    sheet = page.locator("#member-more")
    expect(sheet).to_be_hidden()
    page.get_by_role("button", name="更多").click()
    expect(sheet).to_be_visible()
    links = sheet.get_by_role("link")
    expect(links).to_have_count(len(under_more))
    for link in links.all():
        assert round(link.bounding_box()["height"], 2) >= 44
    page.evaluate(AXE.read_text())
    assert page.evaluate(AXE_RUN) == []

    target = under_more[-1]
    sheet.get_by_role("link", name=str(target.label)).click()
    page.wait_for_url(re.compile(re.escape(target_path(target))))
    measure(page)
    expect(page.locator(".member-bar .nav-link.active")).to_have_text(re.compile("更多"))
    page.get_by_role("button", name=re.compile("更多")).click()
    expect(sheet.locator("[aria-current=page]")).to_have_text(str(target.label))
    page.get_by_role("button", name="关闭").click()
    expect(sheet).to_be_hidden()

    page.get_by_role("link", name="需求").click()
    page.wait_for_url(re.compile("/needs/"))
    expect(page.locator(".member-bar [aria-current=page]")).to_have_text("需求")


def test_in_the_large_text_mode_the_bar_still_fits_with_60_px_targets(live_server, browser):
    member = factories.MemberFactory()
    factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    for number in range(12):  # a two-digit unread count on 消息
        Notification.objects.create(user=member.user, kind="test", title=f"消息{number}")
    context = browser.new_context(**PHONE)
    context.add_cookies([{"name": "large_text", "value": "1", "url": live_server.url}])
    page = context.new_page()
    log_in_with_password(page, live_server, member.user.username)
    page.goto(f"{live_server.url}/registration/me/")

    for place in measure(page):
        assert round(place["height"], 2) >= 60, place
    expect(page.locator(".member-bar").get_by_role("link", name="消息，12 条未读")).to_be_visible()
    page.get_by_role("button", name="更多").click()
    for link in page.locator("#member-more").get_by_role("link").all():
        assert round(link.bounding_box()["height"], 2) >= 60


def target_path(entry) -> str:
    return reverse(entry.url_name)
