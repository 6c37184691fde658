"""Issue 19, finding 4, at the admin's door: /admin/login/ asks the same locally drawn CAPTCHA after failures as the
site's login (registration.forms.CaptchaAfterFailuresMixin), and without a solved one the password is not checked
and no failure is counted."""

import pytest
from axes.models import AccessFailureLog
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.accounts.support import HOME_IP, OTHER_IP, PASSWORD, asks_captcha, captcha_answer

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = reverse("admin:login")


@pytest.fixture
def admin_account():
    return factories.UserFactory(username="sysadmin01", is_staff=True, is_superuser=True)


def post(browser, username, password, ip=HOME_IP, **extra):
    return browser.post(ADMIN_LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=ip)


def test_the_admin_login_asks_the_captcha_after_failures_and_counts_nothing_without_it(admin_account):
    browser = Client()
    page = browser.get(ADMIN_LOGIN)
    assert page.status_code == 200 and not asks_captcha(page)
    for _ in range(settings.LOGIN_CAPTCHA_AFTER):
        response = post(browser, admin_account.username, "wrong-password")
        assert response.status_code == 200
    # The failure that makes it due already shows the picture, drawn by the same template as the site's.
    assert asks_captcha(response) and "captcha" not in response.context["form"].errors
    assert 'class="captcha' in response.content.decode() and 'name="captcha_1"' in response.content.decode()
    failures = AccessFailureLog.objects.filter(username=admin_account.username).count()
    assert failures == settings.LOGIN_CAPTCHA_AFTER

    for answer in ({}, {"captcha_0": "0" * 40, "captcha_1": "999"}):
        response = post(browser, admin_account.username, PASSWORD, **answer)
        assert response.status_code == 200 and "captcha" in response.context["form"].errors
        assert "_auth_user_id" not in browser.session
    assert AccessFailureLog.objects.filter(username=admin_account.username).count() == failures

    response = post(browser, admin_account.username, PASSWORD, **captcha_answer(response))
    assert response.status_code == 302 and "_auth_user_id" in browser.session


def test_the_admin_login_does_not_ask_it_before_the_failures_nor_for_another_account(admin_account):
    other = factories.UserFactory(username="sysadmin02", is_staff=True, is_superuser=True)
    for _ in range(settings.LOGIN_CAPTCHA_AFTER - 1):
        assert not asks_captcha(post(Client(), admin_account.username, "wrong-password"))
    browser = Client()
    assert post(browser, other.username, PASSWORD, ip=OTHER_IP).status_code == 302
