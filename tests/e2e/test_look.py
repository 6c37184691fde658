"""The design tokens as a person meets them (issue 17): 16 px text, 14 px badges and 44 px targets; the large-text
mode (长辈版) switched on from the header, 24 px text and 60 px targets, staying on from page to page; after a form
error the focus on a summary of what to correct, and the cleared password said so."""

import pytest
from playwright.sync_api import expect

from registration.models import Report
from tests import factories
from tests.e2e.conftest import PHONE, log_in_with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = """(selector) => [...document.querySelectorAll(selector)].filter(e => e.offsetParent)
  .map(e => ({text: (e.textContent || e.name || '').trim().slice(0, 20), height: e.getBoundingClientRect().height,
              font: parseFloat(getComputedStyle(e).fontSize)}))"""
TARGETS = ".btn, .nav-link, .form-control, .form-select, .form-check"


def smallest(page, selector, key):
    sizes = page.evaluate(SIZES, selector)
    assert sizes, f"nothing matches {selector}"
    return min(sizes, key=lambda size: size[key])


def test_text_badges_and_targets_are_large_enough_and_the_large_text_mode_stays_on(live_server, browser):
    member = factories.MemberFactory()
    factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    phone = browser.new_context(**PHONE).new_page()
    log_in_with_password(phone, live_server, member.user.username)
    phone.goto(f"{live_server.url}/registration/me/")
    assert phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    assert smallest(phone, ".badge", "font")["font"] >= 14
    assert round(smallest(phone, TARGETS, "height")["height"], 2) >= 44

    phone.get_by_role("link", name="长辈版").click()
    phone.wait_for_url(f"{live_server.url}/registration/me/")
    assert phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 24
    assert round(smallest(phone, TARGETS, "height")["height"], 2) >= 60
    phone.goto(f"{live_server.url}/needs/")
    expect(phone.locator("html")).to_have_class("large-text")
    phone.get_by_role("link", name="标准版").click()
    phone.wait_for_url(f"{live_server.url}/needs/")
    expect(phone.locator("html")).not_to_have_class("large-text")


def test_a_form_error_moves_the_focus_to_a_summary_and_says_the_password_was_cleared(live_server, browser):
    member = factories.MemberFactory()
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(f"{live_server.url}/login/")
    phone.get_by_label("手机号或用户名").fill(member.user.username)
    phone.get_by_label("密码").fill("not-the-password")
    phone.get_by_role("button", name="登录").click()
    summary = phone.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("请修改以下各项")
    expect(phone.locator(".password-cleared")).to_have_text("为了安全，密码已清空，请重新输入。")
    expect(phone.get_by_label("手机号或用户名")).to_have_value(member.user.username)
