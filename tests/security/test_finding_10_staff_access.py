"""Issue 19, finding 10 (access): community and street staff, who can export full ID numbers, logged in with a
password only; staff accounts had no limit on concurrent sessions; the admin answered every address. Now community
and street staff pass the second factor too (communities.second_factor), a staff account keeps at most
STAFF_MAX_SESSIONS sessions (communities.sessions), and ADMIN_ALLOWED_NETWORKS, when set, closes the admin to other
addresses (communities.admin_allowlist)."""

import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities.admin_allowlist import AdminAllowListMiddleware
from communities.models import AccountSession, AuditEvent
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
PASSWORD = "Test2026pass"
NOW = datetime.datetime(2026, 11, 20, 9, 0, 0, tzinfo=datetime.UTC)
CHECK = reverse("communities:second-factor")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def password_login(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def code_of(device) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def places(city):
    return {"community": city["communities"][0], "street": city["streets"][0]}


@pytest.mark.parametrize("role", ["community", "street"])
def test_community_and_street_staff_are_held_until_their_code(places, role):
    staff = make_staff(role, **{role: places[role]})
    ledger = reverse("registration:ledger")
    client = password_login(staff)
    held = client.get(ledger)
    assert held.status_code == 302 and held.url.startswith(CHECK)
    assert client.post(reverse("registration:ledger-export"), {"full": "1"}).url.startswith(CHECK)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    assert client.post(CHECK, {"code": code_of(device)}).status_code == 302
    assert client.get(ledger).status_code == 200


@pytest.mark.parametrize("role", ["community", "street"])
def test_the_test_helper_verifies_a_staff_session(places, role):
    # tests/conftest.py's force_login passes the second factor, as the second-factor page does.
    client = Client()
    client.force_login(make_staff(role, **{role: places[role]}))
    assert client.get(reverse("registration:ledger")).status_code == 200


@override_settings(STAFF_MAX_SESSIONS=2)
def test_a_new_staff_login_ends_the_oldest_session_beyond_the_limit(places):
    staff = make_staff("community", community=places["community"])
    first, second = password_login(staff), password_login(staff)
    first_key = first.session.session_key
    third = password_login(staff)
    assert AccountSession.objects.filter(user=staff).count() == 2
    assert not Session.objects.filter(session_key=first_key).exists()
    assert first.get(reverse("registration:ledger")).url.startswith(reverse("login"))
    assert {second.session.session_key, third.session.session_key} <= set(
        AccountSession.objects.filter(user=staff).values_list("session_key", flat=True)
    )
    event = AuditEvent.objects.get(action="session_limit")
    assert event.detail == {"ended": 1, "limit": 2} and event.user_id == staff.pk


@override_settings(STAFF_MAX_SESSIONS=1)
def test_members_sessions_are_not_limited(places):
    from tests import factories

    member = factories.MemberFactory()
    clients = [password_login(member.user) for _ in range(3)]
    assert all(client.get(reverse("registration:member-home")).status_code == 200 for client in clients)


def test_the_admin_answers_only_the_allowed_networks(settings):
    admin_user = make_staff("system", is_staff=True)
    client = Client()
    client.force_login(admin_user)
    admin = reverse("admin:index")
    assert client.get(admin, REMOTE_ADDR="203.0.113.9").status_code == 200  # no list: every address
    settings.ADMIN_ALLOWED_NETWORKS = ["10.20.0.0/16", "192.0.2.7"]
    for address, status in [("203.0.113.9", 404), ("10.20.3.4", 200), ("192.0.2.7", 200), ("192.0.2.8", 404)]:
        assert client.get(admin, REMOTE_ADDR=address).status_code == status, address
    assert Client().get(reverse("admin:login"), REMOTE_ADDR="203.0.113.9").status_code == 404
    assert client.get(reverse("registration:ledger"), REMOTE_ADDR="203.0.113.9").status_code != 404  # the admin only


def test_a_wrong_network_setting_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.ADMIN_ALLOWED_NETWORKS = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match="ADMIN_ALLOWED_NETWORKS"):
        AdminAllowListMiddleware(lambda request: None)
