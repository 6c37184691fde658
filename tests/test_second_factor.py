"""The second factor (TOTP, django-otp) through the real flow: password login, then enrolment or the code.

These tests log in through the login form, never with force_login (which passes the second factor: see
tests/conftest.py). Codes are computed here with django_otp.oath.TOTP from the device's key, at a frozen time.
"""

import datetime
import logging
from base64 import b32encode

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities import second_factor
from communities.audit import Action
from communities.models import AuditEvent, SecondFactorDevice, StaffAssignment
from tests import factories
from tests.concurrency import race
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
Role = StaffAssignment.Role
PASSWORD = "Test2026pass"
# A moment at the start of a 30-second TOTP step, so that a test has the whole step before the code changes.
NOW = datetime.datetime(2026, 11, 20, 9, 0, 0, tzinfo=datetime.UTC)
CHECK = reverse("communities:second-factor")
ENROL = reverse("communities:second-factor-enrol")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def code_of(device, *, at=None) -> str:
    """The code an authenticator app shows for this device now (or `at` seconds from now)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = NOW.timestamp() + at
    return f"{totp.token():0{device.digits}d}"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def password_login(user, *, next_url=None) -> tuple[Client, object]:
    client = Client()
    target = reverse("login") + (f"?next={next_url}" if next_url else "")
    response = client.post(target, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password step itself is unchanged"
    return client, response


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


@pytest.fixture
def org(db):
    return make_staff(Role.ORG_DEPARTMENT, is_staff=True)


# --- Who ----------------------------------------------------------------------------------------------------------


def test_who_needs_a_second_factor(city):
    needs = [
        factories.UserFactory(is_superuser=True, is_staff=True),
        make_staff(Role.ORG_DEPARTMENT, is_staff=True),
        make_staff(Role.ORG_DEPARTMENT, is_staff=True, district=city["districts"][0]),
        make_staff(Role.SYSTEM_ADMIN, is_staff=True),
        make_staff(Role.SECURITY_ADMIN, is_staff=True),
        make_staff(Role.AUDIT, is_staff=True),
        make_staff(Role.ORG_DEPARTMENT),  # the role decides, not the admin flag
        # They confirm reports and export the ledger with full ID numbers (issue 19, finding 10).
        make_staff(Role.COMMUNITY_STAFF, community=city["communities"][0]),
        make_staff(Role.STREET_STAFF, street=city["streets"][0]),
    ]
    password_only = [
        factories.MemberFactory().user,
        make_staff(Role.UNIT_LIAISON, unit=city["units"][0]),
        factories.UserFactory(is_staff=True),  # an admin-site account with no role
    ]
    inactive = make_staff(Role.ORG_DEPARTMENT, is_staff=True)
    inactive.is_active = False
    assert [second_factor.requires_second_factor(user) for user in needs] == [True] * len(needs)
    assert [second_factor.requires_second_factor(user) for user in password_only] == [False] * len(password_only)
    assert not second_factor.requires_second_factor(inactive)


@pytest.mark.parametrize("role", ["member", "unit"])
def test_members_and_unit_liaisons_are_never_asked(city, role):
    if role == "member":
        user = factories.ReportFactory(community=city["communities"][0]).member.user
        home = reverse("registration:member-home")
    else:
        user = make_staff(Role.UNIT_LIAISON, unit=city["units"][0])
        home = reverse("registration:unit-home")
    client, response = password_login(user)
    assert client.get(response.url, follow=True).redirect_chain[-1][0] == home
    assert client.get(home).status_code == 200
    # The second-factor pages have nothing to ask them: straight home.
    assert client.get(CHECK).url == reverse("home")
    assert client.get(ENROL).url == reverse("home")
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(action__startswith="second_factor").exists()


# --- Held until verified ------------------------------------------------------------------------------------------


def test_an_org_login_is_held_and_sent_to_enrolment(org):
    client, response = password_login(org, next_url="/admin/rates/")
    assert response.url == "/admin/rates/"
    held = client.get("/admin/rates/")
    assert held.status_code == 302
    assert held.url == f"{CHECK}?next=%2Fadmin%2Frates%2F"
    assert client.get(held.url).url == f"{ENROL}?next=%2Fadmin%2Frates%2F"  # no device yet: enrol first


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/admin/",
        "/admin/rates/",
        "/admin/registration/report/",
        "/assessment/admin/",
        "/registration/communities/",
        "/inbox/",
        "/password/",
    ],
)
def test_every_page_is_refused_until_the_second_factor_is_passed(org, url):
    client, _ = password_login(org)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(CHECK)
    assert client.post(url, {"x": "1"}).url.startswith(CHECK)


def test_an_admin_site_login_is_held_as_well(org):
    client = Client()
    response = client.post(reverse("admin:login"), {"username": org.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).url.startswith(CHECK)


def test_logout_and_static_files_stay_open_while_held(org):
    client, _ = password_login(org)
    page = client.get(ENROL)
    assert page.status_code == 200
    content = page.content.decode()
    assert "退出登录" in content  # the header offers logging out, and nothing else
    assert reverse("communities:inbox") not in content and reverse("password-change") not in content
    assert not client.get("/static/css/site.css").get("Location", "").startswith(CHECK)
    assert client.post(reverse("logout")).url == reverse("login")
    assert client.get("/admin/").url.startswith(reverse("admin:login"))  # logged out, not held


def test_an_htmx_request_is_sent_to_the_whole_page(org):
    client, _ = password_login(org)
    response = client.get("/inbox/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith(CHECK)


def test_the_next_page_must_be_ours(org):
    device = enrolled(org)
    client, _ = password_login(org)
    response = client.post(f"{CHECK}?next=https://evil.example/", {"code": code_of(device)})
    assert response.url == reverse("home")


# --- Enrolment ----------------------------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_made_here_and_the_secret(org):
    client, _ = password_login(org)
    page = client.get(ENROL)
    device = TOTPDevice.objects.get(user=org)
    assert not device.confirmed
    content = page.content.decode()
    qr = content.split('class="otp-qr')[1].split("</div>")[0]
    assert "<svg" in qr and "<path" in qr and "<img" not in qr and "src=" not in qr  # drawn here, fetched from nowhere
    secret = b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in content
    assert org.username in content
    assert page["Cache-Control"].startswith("max-age=0")  # never cached: it holds the secret
    # A reload shows the same device, so a scanned code stays good.
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=org).count() == 1


def test_the_enrolment_uri_is_a_standard_otpauth_uri(org):
    device = second_factor.enrolment_device(org)
    assert device.config_url.startswith("otpauth://totp/")
    assert f"secret={b32encode(device.bin_key).decode()}" in device.config_url
    assert "digits=6" in device.config_url and "period=30" in device.config_url


def test_enrolment_with_a_wrong_code_is_refused_next_to_the_field(org):
    client, _ = password_login(org)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=org)
    typed = wrong(code_of(device))
    response = client.post(ENROL, {"code": typed})
    assert response.status_code == 200
    assert "动态验证码不正确" in response.context["form"].errors["code"][0]
    assert "动态验证码不正确" in response.content.decode()
    assert f'value="{typed}"' in response.content.decode()  # what was typed is kept
    device.refresh_from_db()
    assert not device.confirmed
    event = AuditEvent.objects.get(action=Action.SECOND_FACTOR_FAILURE)
    assert (event.user, event.outcome, event.detail) == (org, "failure", {"step": "enrol", "failures": 1})
    assert client.get("/admin/").url.startswith(CHECK)  # still held


def test_a_code_of_the_wrong_shape_is_refused_before_any_check(org):
    client, _ = password_login(org)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "12ab"})
    assert response.context["form"].errors["code"] == ["请输入验证器应用显示的 6 位数字。"]
    assert TOTPDevice.objects.get(user=org).throttling_failure_count == 0


def test_enrolment_with_the_right_code_verifies_the_session(org):
    client, _ = password_login(org)
    client.get(f"{ENROL}?next=/admin/rates/")
    device = TOTPDevice.objects.get(user=org)
    response = client.post(f"{ENROL}?next=/admin/rates/", {"code": " ".join(code_of(device))})  # spaces are fine
    assert response.url == "/admin/rates/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/rates/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/assessment/admin/").status_code == 200
    event = AuditEvent.objects.get(action=Action.SECOND_FACTOR_ENROL)
    assert (event.user, event.outcome, event.object_type, event.object_id) == (
        org,
        "success",
        "otp_totp.totpdevice",
        str(device.pk),
    )


def test_an_enrolled_account_cannot_enrol_again_with_its_password_alone(org):
    device = enrolled(org)
    client, _ = password_login(org)
    assert client.get(ENROL).url.startswith(CHECK)
    assert client.post(ENROL, {"code": code_of(device)}).url.startswith(CHECK)
    assert list(TOTPDevice.objects.filter(user=org)) == [device]


# --- Later logins -------------------------------------------------------------------------------------------------


def test_the_next_login_asks_for_the_code_and_it_lets_the_account_in(org, frozen_clock):
    client, _ = password_login(org)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=org)
    client.post(ENROL, {"code": code_of(device)})
    client.post(reverse("logout"))

    frozen_clock.shift(30)  # the next step: a new code
    client, _ = password_login(org, next_url="/admin/")
    page = client.get(client.get("/admin/").url)
    assert page.status_code == 200
    assert page.templates[0].name == "communities/second_factor.html"  # the code, not enrolment again
    response = client.post(f"{CHECK}?next=/admin/", {"code": code_of(device)})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR, user=org, outcome="success").count() == 1


def test_a_code_is_accepted_once(org, frozen_clock):
    device = enrolled(org)
    code = code_of(device)
    client, _ = password_login(org)
    assert client.post(CHECK, {"code": code}).status_code == 302
    client.post(reverse("logout"))

    frozen_clock.shift(5)  # the same 30-second step: the app still shows the same code
    client, _ = password_login(org)
    response = client.post(CHECK, {"code": code})
    assert response.status_code == 200
    assert "已经使用过" in response.context["form"].errors["code"][0]
    assert client.get("/admin/").url.startswith(CHECK)

    frozen_clock.shift(30)
    assert client.post(CHECK, {"code": code_of(device)}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_logging_out_and_in_again_asks_for_the_code_again(org, frozen_clock):
    device = enrolled(org)
    client, _ = password_login(org)
    client.post(CHECK, {"code": code_of(device)})
    assert client.get("/admin/").status_code == 200
    client.post(reverse("logout"))
    frozen_clock.shift(60)
    client.post(reverse("login"), {"username": org.username, "password": PASSWORD})
    assert client.get("/admin/").url.startswith(CHECK)


def test_wrong_codes_are_throttled_and_recorded(org, frozen_clock):
    device = enrolled(org)
    client, _ = password_login(org)
    for _ in range(3):
        response = client.post(CHECK, {"code": wrong(code_of(device))})
        assert "不正确" in response.context["form"].errors["code"][0]
        frozen_clock.shift(5)  # waits out the delay of 1, 2, then 4 seconds
    device.refresh_from_db()
    assert device.throttling_failure_count == 3

    response = client.post(CHECK, {"code": wrong(code_of(device))})  # the 4th: the next waits 8 seconds
    frozen_clock.shift(3)
    response = client.post(CHECK, {"code": code_of(device)})  # even the right code, too early
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["错误次数过多：请等待 5 秒，再输入当前的动态验证码。"]
    assert client.get("/admin/").url.startswith(CHECK)

    frozen_clock.shift(5)
    assert client.post(CHECK, {"code": code_of(device)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0  # passed: the count starts again
    failures = AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILURE, user=org)
    assert sorted(failures.values_list("outcome", flat=True)) == ["failure"] * 4 + ["refused"]
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR, user=org).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_code_at_once_pass_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL row locks")
    device = enrolled(org)
    code = code_of(device)

    def submit():
        second_factor.second_factor_verify(user=org, device_id=device.pk, code=code)
        return "passed"

    results, errors = race(submit, submit)
    assert (results, [type(error).__name__ for error in errors]) == (["passed"], ["ValidationError"])


# --- Reset by the security administrator --------------------------------------------------------------------------


def admin_url(action, *args):
    return reverse(f"admin:communities_secondfactordevice_{action}", args=args)


def test_the_security_administrator_resets_a_device_and_the_account_enrols_again(org):
    device = enrolled(org)
    client, _ = password_login(org)
    client.post(CHECK, {"code": code_of(device)})
    assert client.get("/admin/").status_code == 200

    security = Client()
    security.force_login(make_staff(Role.SECURITY_ADMIN, is_staff=True))
    listed = security.get(admin_url("changelist"))
    assert device in [row for row in listed.context["cl"].result_list]
    assert security.post(admin_url("delete", device.pk), {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=org).exists()

    # The org user's session loses its verification at once and the account enrols again.
    assert client.get("/admin/").url.startswith(CHECK)
    assert client.get(CHECK).url.startswith(ENROL)
    event = AuditEvent.objects.get(action=Action.SECOND_FACTOR_RESET)
    assert (event.object_id, event.detail, event.role) == (str(device.pk), {"user_id": org.pk}, "security")
    assert AuditEvent.objects.filter(action=Action.ADMIN_DELETE, object_id=str(device.pk)).exists()


def test_the_device_page_never_shows_the_key(org):
    device = enrolled(org)
    security = Client()
    security.force_login(make_staff(Role.SECURITY_ADMIN, is_staff=True))
    secret = b32encode(device.bin_key).decode()
    for url in (admin_url("changelist"), admin_url("change", device.pk), admin_url("delete", device.pk)):
        content = security.get(url).content.decode()
        assert device.key not in content and secret not in content, url
    # django-otp's own pages for the device's QR code are not there at all.
    assert security.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 404
    assert security.get(admin_url("add")).status_code == 403
    assert security.post(admin_url("change", device.pk), {"confirmed": ""}).status_code == 403


def test_only_the_security_administrator_resets_and_never_their_own_nor_a_superusers(org):
    device = enrolled(org)
    security = make_staff(Role.SECURITY_ADMIN, is_staff=True)
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    own, superusers = enrolled(security), enrolled(superuser)
    client = Client()
    client.force_login(security)
    listed = list(client.get(admin_url("changelist")).context["cl"].result_list)
    assert device in listed and own not in listed and superusers not in listed
    assert client.post(admin_url("delete", own.pk), {"post": "yes"}).status_code == 302  # "no such device"
    assert TOTPDevice.objects.filter(pk=own.pk).exists()
    for role in (Role.SYSTEM_ADMIN, Role.AUDIT, Role.ORG_DEPARTMENT):
        other = Client()
        other.force_login(make_staff(role, is_staff=True))
        assert other.get(admin_url("changelist")).status_code == 403, role
        assert other.post(admin_url("delete", device.pk), {"post": "yes"}).status_code == 403, role
    assert SecondFactorDevice.objects.filter(pk=device.pk).exists()


# --- Nothing secret anywhere --------------------------------------------------------------------------------------


def test_no_key_or_code_in_the_logs_or_the_audit_trail(org, caplog, frozen_clock):
    caplog.set_level(logging.DEBUG)
    client, _ = password_login(org)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=org)
    codes = [wrong(code_of(device)), code_of(device)]
    for code in codes:
        client.post(ENROL, {"code": code})
        frozen_clock.shift(2)
    device.refresh_from_db()
    assert device.confirmed
    secret = b32encode(device.bin_key).decode()
    logged = caplog.text
    rows = " ".join(str(row) for row in AuditEvent.objects.values())
    for text in (device.key, secret, *codes):
        assert text not in logged and text not in rows


# --- The test client's force_login (tests/conftest.py) ------------------------------------------------------------


def test_force_login_passes_the_second_factor_and_the_unverified_one_does_not(org):
    client = Client()
    client.force_login(org)
    assert client.get("/admin/").status_code == 200
    held = Client()
    held.force_login_unverified(org)
    assert held.get("/admin/").url.startswith(CHECK)
