"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) against a live server."""

import os
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


@pytest.fixture(scope="session")
def browser():
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


@pytest.fixture
def phone(browser):
    """A page the size of a phone screen (390 × 844)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()
