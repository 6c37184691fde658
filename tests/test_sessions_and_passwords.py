"""Authentication rules: password policy, session key at login, staff idle and absolute limits, logout."""

import time
from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registration.models import User
from tests import factories
from tests.conftest import make_staff, pass_second_factor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password",
    ["short1a", "abcdefghijkl", "1234567890123", "password123", "13912345678x"],
)
def test_weak_passwords_are_refused(password):
    user = User(username="13912345678", full_name="王晓红")
    with pytest.raises(ValidationError):
        validate_password(password, user)


@pytest.mark.parametrize("password", ["红旗渠精神2026代代传", "Hongqi2026go", "a1" * 40])
def test_chinese_and_long_passwords_are_accepted(password):
    validate_password(password, User(username="13912345678", full_name="王晓红"))


def log_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "Test2026pass"})
    if response.status_code == 302:
        pass_second_factor(client, user)
    return response


def test_logging_in_gives_a_new_session_key(client):
    user = factories.UserFactory()
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    log_in(client, user)
    assert client.session.session_key != before


def age_session(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = int(time.time()) - ago
    session.save()


def test_staff_are_logged_out_after_thirty_idle_minutes(client):
    staff = make_staff("community", community=factories.CommunityFactory())
    log_in(client, staff)
    assert client.get(reverse("registration:community-home")).status_code == 200
    age_session(client, last_seen_at=31 * 60)
    response = client.get(reverse("registration:community-home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get(reverse("registration:community-home")).status_code == 302


def test_staff_are_logged_out_twelve_hours_after_login_even_when_busy(client):
    staff = make_staff("community", community=factories.CommunityFactory())
    log_in(client, staff)
    age_session(client, started_at=12 * 3600 + 1)
    assert client.get(reverse("registration:community-home")).status_code == 302


def test_members_keep_their_session_when_idle(client):
    member = factories.MemberFactory()
    log_in(client, member.user)
    age_session(client, last_seen_at=31 * 60)
    assert client.get(reverse("registration:member-home")).status_code == 200


def test_logout_deletes_the_server_side_session(client):
    log_in(client, factories.UserFactory())
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()


@pytest.fixture(params=["db", "cached_db"])
def session_engine(request, settings):
    # cached_db is what production runs with a shared cache (CACHE_URL): see config/settings/base.py.
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{request.param}"
    return settings.SESSION_ENGINE


def test_after_logout_the_old_session_cookie_opens_nothing(session_engine, client):
    member = factories.MemberFactory()
    log_in(client, member.user)
    home = reverse("registration:member-home")
    assert client.get(home).status_code == 200
    old_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    assert not import_module(session_engine).SessionStore().exists(old_key)
    client.cookies[django_settings.SESSION_COOKIE_NAME] = old_key  # the cookie kept, e.g. by a copied browser
    assert client.get(home)["Location"].startswith(reverse("login"))


def test_sessions_in_a_shared_cache_save_a_query_on_every_page(settings):
    member = factories.MemberFactory()
    home = reverse("registration:member-home")

    def queries_of_a_page(engine):
        settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
        client = Client()  # a new one: the session middleware picks its engine when it is loaded
        log_in(client, member.user)
        client.get(home)  # the first read after login may fill the cache
        with CaptureQueriesContext(connection) as queries:
            assert client.get(home).status_code == 200
        return [query["sql"] for query in queries]

    in_the_database, in_the_cache = queries_of_a_page("db"), queries_of_a_page("cached_db")
    assert len(in_the_cache) == len(in_the_database) - 1
    assert not any("django_session" in sql for sql in in_the_cache)


def test_an_unknown_host_is_refused(client, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["party.example.org"]
    assert client.get(reverse("login"), HTTP_HOST="evil.example").status_code == 400
