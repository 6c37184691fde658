"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) against a live server.

Every test's browser reports Content-Security-Policy violations and uncaught script errors of every page it opens:
a test that leaves any fails, naming them.
"""

import os
import re
import time
from pathlib import Path

import pytest

from tests.services_required import require_or_skip

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def log_in_with_password(page, live_server, username, *, second_factor=True):
    """The login form, filled and sent as a person would (every test account's password is Test2026pass); then, for an
    account that needs a second factor (community and street staff, the organisation department, administrators),
    the code of its authenticator, as a person would type it (a device is made for an account without one).
    `second_factor=False` stops after the password: for tests of the second factor itself."""
    device = _second_factor_device(username) if second_factor else None
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("手机号或用户名").fill(username)
    page.get_by_label("密码").fill("Test2026pass")
    page.get_by_role("button", name="登录").click()
    if device is not None:
        page.wait_for_url(re.compile(r"/login/second-factor/"))
        page.get_by_label("6 位动态验证码").fill(_unused_code(device))
        page.get_by_role("button", name="确认").click()
        page.wait_for_url(lambda url: "/login/second-factor/" not in url)


def _second_factor_device(username):
    from django.contrib.auth import get_user_model

    from communities.second_factor import confirmed_device, requires_second_factor

    user = get_user_model().objects.filter(username=username).first()
    if user is None or not requires_second_factor(user):
        return None
    # A wide tolerance: a test may log the same account in several times within one 30-second step.
    return confirmed_device(user) or user.totpdevice_set.create(name="e2e", confirmed=True, tolerance=10)


def _unused_code(device) -> str:
    """A code the device accepts now and has not accepted yet (a code passes once)."""
    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    while device.last_t - totp.t() >= device.tolerance:  # every step within reach was used: wait for the next
        time.sleep(1)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if totp.t() <= device.last_t:
        totp.time = time.time() + device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        require_or_skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", in_ci=True)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


class WatchedBrowser:
    """The session's Chromium, whose new contexts report policy violations and script errors to `problems`.

    Chromium writes a refused inline script, style or handler to the console as "Refused to ... because it
    violates the following Content Security Policy directive"; the page itself goes on, only broken.
    """

    def __init__(self, browser):
        self._browser = browser
        self.contexts = []
        self.problems = []

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(f"script error: {error.error}"))
        self.contexts.append(context)
        return context

    def new_page(self, **options):
        # Browser.new_page would open a context of its own, out of sight of the watch.
        return self.new_context(**options).new_page()

    def _console(self, message):
        if "Content Security Policy" in message.text:
            where = message.page.url if message.page else message.location.get("url", "")
            self.problems.append(f"{where}: {message.text}")

    def close_contexts(self):
        # Closing lets the events still on their way arrive before the problems are read.
        for context in self.contexts:
            context.close()
        self.contexts.clear()

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture
def browser(chromium):
    watched = WatchedBrowser(chromium)
    yield watched
    watched.close_contexts()
    assert not watched.problems, "the browser reported:\n" + "\n".join(watched.problems)


@pytest.fixture
def phone(browser):
    """A page the size of a phone screen (390 × 844)."""
    return browser.new_context(**PHONE).new_page()
