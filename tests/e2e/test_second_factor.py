"""The second factor in Chromium: an org-department account enrols at its first login (reading the secret off
the page, as a person types it into an app), and types a code at the next one; a superuser with a device types
its code. Codes are computed here with django_otp.oath.TOTP."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
DESK = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


def code_for(key: bytes, *, steps_ahead: int = 0) -> str:
    """The app's code; one step ahead is still accepted (django-otp's tolerance) when this step's was used."""
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_an_org_account_enrols_at_its_first_login_and_types_a_code_at_the_next(live_server, browser):
    org = make_staff("org", is_staff=True)
    phone = browser.new_context(**PHONE).new_page()
    log_in_with_password(phone, live_server, org.username, second_factor=False)
    phone.wait_for_url(re.compile(r"/login/second-factor/enrol/"))
    expect(phone.get_by_role("heading", name="设置双因素认证")).to_be_visible()
    expect(phone.locator(".otp-qr svg")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
    key = b32decode(phone.locator(".otp-secret").inner_text().replace(" ", ""))

    code = code_for(key)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    phone.get_by_label("6 位动态验证码").fill(wrong)
    phone.get_by_role("button", name="确认并继续").click()
    expect(phone.locator("#id_code").locator("xpath=..").get_by_text("动态验证码不正确")).to_be_visible()
    time.sleep(1.1)  # the throttle's one second after a wrong code
    phone.get_by_label("6 位动态验证码").fill(code_for(key))
    phone.get_by_role("button", name="确认并继续").click()
    phone.wait_for_url(f"{live_server.url}/admin/")
    expect(phone.get_by_text("双因素认证已启用")).to_be_visible()
    phone.context.close()
    assert TOTPDevice.objects.get(user=org).confirmed

    desk = browser.new_context(**DESK).new_page()
    desk.goto(f"{live_server.url}/admin/rates/")  # the admin's own login page, then the second factor
    desk.get_by_label("用户名").fill(org.username)
    desk.get_by_label("密码").fill("Test2026pass")
    desk.get_by_role("button", name="登录").click()
    desk.wait_for_url(re.compile(r"/login/second-factor/\?next="))
    expect(desk.get_by_role("heading", name="双因素认证")).to_be_visible()
    desk.get_by_label("6 位动态验证码").fill(code_for(key, steps_ahead=1))  # this step's code was used
    desk.get_by_role("button", name="确认").click()
    desk.wait_for_url(f"{live_server.url}/admin/rates/")
    expect(desk.get_by_role("heading", name=re.compile("报到率"))).to_be_visible()
    desk.context.close()


def test_a_superuser_with_a_device_types_its_code_through_the_login_form(live_server, browser):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    desk = browser.new_context(**DESK).new_page()
    log_in_with_password(desk, live_server, admin.username, second_factor=False)
    desk.wait_for_url(re.compile(r"/login/second-factor/"))
    desk.get_by_label("6 位动态验证码").fill(code_for(device.bin_key))
    desk.get_by_role("button", name="确认").click()
    desk.wait_for_url(f"{live_server.url}/admin/")
    desk.context.close()
