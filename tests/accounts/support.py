"""Helpers of the account tests: the SMS codes the locmem gateway received, the login's CAPTCHA solved as a person
would (reading the picture's answer from its store), and after-commit work run at once."""

import re

import pytest
from captcha.models import CaptchaStore
from django.db import transaction
from django.test import Client
from django.urls import reverse

from communities.sms import LocmemSmsBackend

PASSWORD = "Test2026pass"  # the factories' password
HOME_IP = "203.0.113.5"
OTHER_IP = "198.51.100.7"
_CAPTCHA_KEY = re.compile(r'name="captcha_0" value="([0-9a-f]+)"')


@pytest.fixture
def sms_outbox():
    """The SMS the gateway boundary (communities.sms.LocmemSmsBackend) received during the test."""
    LocmemSmsBackend.outbox = []
    return LocmemSmsBackend.outbox


@pytest.fixture
def commit_now(monkeypatch):
    """The test runs in one transaction that never commits: run after-commit work (the queued SMS) at once, as the
    commit would."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def last_code(outbox, phone):
    """The code of the last SMS sent to `phone`."""
    sent = [message for message in outbox if message["phone"] == phone and message["template"] == "phone_code"]
    assert sent, f"no code was sent to {phone}"
    return sent[-1]["params"]["code"]


def captcha_answer(response) -> dict:
    """The CAPTCHA fields of a page, filled with the right answer."""
    key = _CAPTCHA_KEY.search(response.content.decode()).group(1)
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def asks_captcha(response) -> bool:
    return response.context is not None and "captcha" in response.context["form"].fields


def login_post(username, password, *, ip=HOME_IP, browser=None, solve=True):
    """One login as a person would make it: when the page asks for the CAPTCHA, it is solved and the form sent
    again. Returns (response, logged_in, browser)."""
    browser = browser or Client()
    data = {"username": username, "password": password}
    response = browser.post(reverse("login"), data, REMOTE_ADDR=ip)
    if solve and asks_captcha(response) and "captcha" in response.context["form"].errors:
        response = browser.post(reverse("login"), {**data, **captcha_answer(response)}, REMOTE_ADDR=ip)
    return response, "_auth_user_id" in browser.session, browser


def errors(response):
    return list(response.context["form"].non_field_errors())
