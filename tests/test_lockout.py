"""Login lockout (django-axes with registration.ratelimit.LoginLockoutHandler) and the per-IP registration limit,
on a moved clock (time-machine): axes and the cache counter read django.utils.timezone.now().

The rules, from config/settings/base.py: 5 failures of one account within 15 minutes lock it for 30 minutes from
the locking failure, whatever the IP; an IP with 50 failures in the last hour is refused; a refused login looks
like a wrong password. At most REGISTRATION_RATE_LIMIT registration submissions per IP and clock hour.
"""

import datetime
import zoneinfo

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings as django_settings
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from registration.models import Member
from registration.ratelimit import client_ip
from tests import factories

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, 5, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
PASSWORD = "Test2026pass"  # the factories' password
HOME_IP = "203.0.113.5"
OTHER_IP = "198.51.100.7"


@pytest.fixture(autouse=True)
def _empty_cache():
    """The registration counters live in the cache, which outlives a test."""
    cache.clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START)
    return time_machine


def attempt(username, password, ip=HOME_IP):
    """One login POST from a fresh browser; returns the response and whether it ended logged in."""
    browser = Client()
    response = browser.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)
    return response, "_auth_user_id" in browser.session


def refused_like_a_wrong_password(response, logged_in, generic_errors):
    return response.status_code == 200 and not logged_in and errors(response) == generic_errors


def errors(response):
    return list(response.context["form"].non_field_errors())


@pytest.fixture
def generic_errors(db):
    """What a wrong password shows, taken from an unrelated account."""
    response, logged_in = attempt("someone-else", "wrong-password", ip="192.0.2.250")
    assert response.status_code == 200 and not logged_in
    assert errors(response)
    return errors(response)


def fail(user, times, ip=HOME_IP):
    for _ in range(times):
        response, logged_in = attempt(user.username, "wrong-password", ip)
        assert response.status_code == 200 and not logged_in


# --- One account: 5 failures within 15 minutes lock it for 30 minutes -------------------------------------------


def test_four_failures_then_the_right_password_logs_in_and_clears_the_count(clock):
    user = factories.UserFactory()
    fail(user, 4)
    response, logged_in = attempt(user.username, PASSWORD)
    assert response.status_code == 302 and logged_in
    fail(user, 4)  # eight failures within 15 minutes, but only four since the last login
    assert attempt(user.username, PASSWORD)[1]


def test_the_fifth_failure_locks_the_account_whatever_the_ip_for_thirty_minutes(clock, generic_errors):
    user = factories.UserFactory()
    fail(user, 4)
    locking, logged_in = attempt(user.username, "wrong-password")
    assert refused_like_a_wrong_password(locking, logged_in, generic_errors)

    assert refused_like_a_wrong_password(*attempt(user.username, PASSWORD), generic_errors)
    assert refused_like_a_wrong_password(*attempt(user.username, PASSWORD, ip=OTHER_IP), generic_errors)

    clock.shift(datetime.timedelta(minutes=29))
    assert refused_like_a_wrong_password(*attempt(user.username, PASSWORD, ip=OTHER_IP), generic_errors)
    # The attempts refused above neither count nor extend the lock: it ends 30 minutes after the fifth failure.
    assert AccessFailureLog.objects.filter(username=user.username).count() == 5
    clock.shift(datetime.timedelta(minutes=1, seconds=1))
    response, logged_in = attempt(user.username, PASSWORD)
    assert response.status_code == 302 and logged_in


def test_five_failures_spread_over_more_than_fifteen_minutes_do_not_lock(clock):
    user = factories.UserFactory()
    for minute in range(5):  # at 0, 4, 8, 12 and 16 minutes: never five within 15 minutes
        fail(user, 1, ip=f"192.0.2.{minute + 1}")
        clock.shift(datetime.timedelta(minutes=4))
    assert attempt(user.username, PASSWORD)[1]


def test_five_failures_within_fifteen_minutes_from_several_ips_lock(clock, generic_errors):
    user = factories.UserFactory()
    for minute in range(5):  # at 0, 3, 6, 9 and 12 minutes
        fail(user, 1, ip=f"192.0.2.{minute + 1}")
        clock.shift(datetime.timedelta(minutes=3))
    assert refused_like_a_wrong_password(*attempt(user.username, PASSWORD), generic_errors)


def test_deleting_the_accounts_access_attempts_lifts_the_lock(clock):
    user = factories.UserFactory()
    fail(user, 5)
    assert not attempt(user.username, PASSWORD)[1]
    AccessAttempt.objects.filter(username=user.username).delete()  # what the admin and axes_reset_username do
    assert attempt(user.username, PASSWORD)[1]


# --- One IP: 50 failures in an hour and every further attempt is refused ---------------------------------------------


def test_an_ip_with_fifty_failures_in_the_last_hour_is_refused_until_they_age(clock, generic_errors):
    user = factories.UserFactory()
    for n in range(49):  # different accounts, none of them locked
        response, logged_in = attempt(f"guess{n}", "wrong-password")
        assert response.status_code == 200 and not logged_in
    # A success does not clear the IP's count.
    assert attempt(user.username, PASSWORD)[1]
    attempt("guess49", "wrong-password")

    assert refused_like_a_wrong_password(*attempt(user.username, PASSWORD), generic_errors)  # the 51st
    assert refused_like_a_wrong_password(*attempt(user.username, PASSWORD), generic_errors)  # the 52nd
    assert attempt(user.username, PASSWORD, ip=OTHER_IP)[1]  # the account itself is not locked
    assert AccessFailureLog.objects.filter(ip_address=HOME_IP).count() == 50  # refusals are not counted

    clock.shift(datetime.timedelta(minutes=59))
    assert not attempt(user.username, PASSWORD)[1]
    clock.shift(datetime.timedelta(minutes=1, seconds=1))
    response, logged_in = attempt(user.username, PASSWORD)
    assert response.status_code == 302 and logged_in


def test_behind_a_trusted_proxy_the_client_address_is_the_one_the_proxy_saw(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"  # the header is not trusted by default
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.7"  # not the forged left-most hop
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="nonsense")) is None


# --- Registration: REGISTRATION_RATE_LIMIT submissions per IP and hour ---------------------------------------------


@pytest.fixture
def place():
    return factories.CommunityFactory(), factories.UnitFactory(district=None)


def register(data, ip=HOME_IP):
    return Client().post(reverse("registration:register"), data, REMOTE_ADDR=ip)


def test_the_default_registration_limit_is_twenty_an_hour():
    assert django_settings.REGISTRATION_RATE_LIMIT == 20


def test_registration_over_the_limit_is_refused_with_a_message_and_saves_nothing(clock, settings, place):
    settings.REGISTRATION_RATE_LIMIT = 3
    valid = factories.registration_form_data(*place)
    incomplete = {**valid, "consent": ""}
    for _ in range(3):  # submissions count whether they succeed or not
        assert register(incomplete).status_code == 200
    for _ in range(2):  # posts that only narrow a list are not submissions
        assert register({**incomplete, "narrow": "district"}).status_code == 200

    response = register(valid)
    assert response.status_code == 429
    assert [message.level for message in response.context["messages"]] == [message_levels.ERROR]
    page = response.content.decode()
    assert 'value="王晓红"' in page and valid["password1"] not in page  # what was typed stays, passwords do not
    assert Member.objects.count() == 0

    assert register(valid, ip=OTHER_IP).status_code == 302  # another IP is not affected
    assert Member.objects.count() == 1

    clock.shift(datetime.timedelta(hours=1))
    other = factories.registration_form_data(*place, id_number=factories.valid_id_number(7), phone="13912345679")
    assert register(other).status_code == 302  # the next hour starts a new count
    assert Member.objects.count() == 2
