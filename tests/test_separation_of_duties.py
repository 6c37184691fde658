"""三权分立: the system, security and audit administrators each do their own part of the administration, no
account holds two of the roles, and none of them reaches members' personal data."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from communities.audit import Action
from communities.models import AuditEvent, Community, StaffAssignment
from registration.models import User
from tests import factories
from tests.conftest import make_staff, pass_second_factor

pytestmark = pytest.mark.django_db
Role = StaffAssignment.Role
PASSWORD = "Test2026pass"


def url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admins(db):
    return {
        "system": make_staff(Role.SYSTEM_ADMIN, is_staff=True),
        "security": make_staff(Role.SECURITY_ADMIN, is_staff=True),
        "audit": make_staff(Role.AUDIT, is_staff=True),
    }


def admin_models(user) -> list[str]:
    index = client_for(user).get(reverse("admin:index"))
    assert index.status_code == 200
    return sorted(model["object_name"] for app in index.context["app_list"] for model in app["models"])


# --- No account holds two -------------------------------------------------------------------------------------


def test_the_database_refuses_a_second_administrator_role_for_one_account(admins):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffAssignment.objects.create(user=admins["system"], role=Role.AUDIT)


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.COMMUNITY_STAFF])
def test_an_administrator_can_hold_no_other_role(admins, city, role):
    place = {"community": city["communities"][0]} if role == Role.COMMUNITY_STAFF else {}
    with pytest.raises(ValidationError):
        StaffAssignment(user=admins["system"], role=role, **place).full_clean()


def test_a_staff_member_cannot_also_become_an_administrator_nor_a_superuser(staff_users):
    with pytest.raises(ValidationError):
        StaffAssignment(user=staff_users["community"], role=Role.SECURITY_ADMIN).full_clean()
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    with pytest.raises(ValidationError):
        StaffAssignment(user=superuser, role=Role.AUDIT).full_clean()


def test_an_administrator_role_covers_no_place(city):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffAssignment.objects.create(
            user=factories.UserFactory(), role=Role.SYSTEM_ADMIN, district=city["districts"][0]
        )


# --- What each administrator sees ------------------------------------------------------------------------------


def test_each_administrator_sees_only_their_part_of_the_admin(admins):
    assert admin_models(admins["system"]) == sorted(
        [
            "AccessAttempt",
            "AccessFailureLog",
            "Building",
            "ClockedSchedule",
            "Community",
            "CrontabSchedule",
            "District",
            "Grid",
            "IntervalSchedule",
            "Notification",
            "Pairing",
            "PeriodicTask",
            "PropertyCompany",
            "ReminderSent",
            "Skill",
            "SolarSchedule",
            "Street",
            "Unit",
            "User",
        ]
    )
    assert admin_models(admins["security"]) == ["GridWorker", "SecondFactorDevice", "StaffAssignment", "User"]
    assert admin_models(admins["audit"]) == [
        "AccessFailureLog",
        "AccessLog",
        "AuditEvent",
        "ExportRecord",
        "ExportRequest",
    ]


@pytest.mark.parametrize("role", ["system", "security", "audit"])
@pytest.mark.parametrize(
    "page",
    [
        "registration_member",
        "registration_rosterentry",
        "registration_report",
        "services_servicerecord",
        "resident_requests_residentrequest",
        "resident_requests_buildingvisit",
    ],
)
def test_no_administrator_reaches_personal_data(admins, role, page):
    assert client_for(admins[role]).get(reverse(f"admin:{page}_changelist")).status_code == 403


def test_groups_are_not_offered_roles_are_the_one_rule():
    assert Group not in admin.site._registry


def test_administrators_are_sent_to_the_admin_from_home(admins):
    for user in admins.values():
        assert client_for(user).get(reverse("home")).url == reverse("admin:index")


# --- The system administrator: accounts and settings ---------------------------------------------------------


def test_the_system_administrator_creates_a_staff_account(admins):
    response = client_for(admins["system"]).post(
        url(User, "add"), {"username": "new-staff", "password1": "Longer2026pass", "password2": "Longer2026pass"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert User.objects.get(username="new-staff").check_password("Longer2026pass")


def test_the_system_administrator_grants_no_privilege_and_no_role(admins, staff_users):
    system = client_for(admins["system"])
    target = staff_users["community"]
    form = {"username": target.username, "full_name": "改名", "is_active": "on", "is_staff": "on"}
    response = system.post(url(User, "change", target.pk), {**form, "is_superuser": "on"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.full_name == "改名" and target.is_staff and not target.is_superuser  # the flag is read-only

    assert system.get(url(StaffAssignment, "add")).status_code == 403
    assert (
        system.post(url(StaffAssignment, "delete", target.staff_assignments.get().pk), {"post": "yes"}).status_code
        == 403
    )
    assert target.staff_assignments.exists()


@pytest.mark.parametrize("victim", ["security", "audit", "superuser"])
def test_the_system_administrator_cannot_take_over_another_administrator(admins, victim):
    target = admins.get(victim) or factories.UserFactory(is_superuser=True, is_staff=True)
    system = client_for(admins["system"])
    response = system.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"password1": "Taken2026over", "password2": "Taken2026over"},
    )
    assert response.status_code in (403, 404)  # refused, or not even found
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


def test_the_system_administrator_does_not_see_members_accounts(admins):
    member = factories.MemberFactory()
    listed = client_for(admins["system"]).get(url(User, "changelist")).context["cl"].result_list
    assert member.user not in listed and admins["security"] in listed
    assert client_for(admins["system"]).get(url(User, "change", member.user.pk)).status_code == 302  # "no such"


def test_the_system_administrator_keeps_places_but_does_not_delete_them(admins, city):
    community = city["communities"][0]
    system = client_for(admins["system"])
    form = {"code": community.code, "name": "新名字社区", "street": community.street_id}
    assert system.post(url(Community, "change", community.pk), form).status_code == 302
    community.refresh_from_db()
    assert community.name == "新名字社区"
    assert system.post(url(Community, "delete", community.pk), {"post": "yes"}).status_code == 403


# --- The security administrator: roles -----------------------------------------------------------------------


def test_the_security_administrator_grants_a_role_and_it_is_audited(admins, city):
    newcomer = factories.UserFactory(is_staff=False)
    response = client_for(admins["security"]).post(
        url(StaffAssignment, "add"),
        {"user": newcomer.pk, "role": Role.COMMUNITY_STAFF, "community": city["communities"][1].pk},
    )
    assert response.status_code == 302
    assert StaffAssignment.objects.filter(user=newcomer, community=city["communities"][1]).exists()
    event = AuditEvent.objects.get(action=Action.ROLE_GRANT, user=admins["security"])
    assert event.detail["user_id"] == newcomer.pk


def test_the_security_administrator_cannot_grant_themself_or_stack_administrator_roles(admins):
    security = client_for(admins["security"])
    for user, role in [(admins["security"], Role.AUDIT), (admins["system"], Role.AUDIT)]:
        response = security.post(url(StaffAssignment, "add"), {"user": user.pk, "role": role})
        assert response.status_code == 200 and response.context["adminform"].form.errors
    assert StaffAssignment.objects.filter(role=Role.AUDIT).count() == 1


def test_the_security_administrator_does_not_touch_their_own_roles_or_accounts(admins, staff_users):
    security = client_for(admins["security"])
    own = admins["security"].staff_assignments.get()
    assert security.post(url(StaffAssignment, "delete", own.pk), {"post": "yes"}).status_code == 302  # not found
    assert StaffAssignment.objects.filter(pk=own.pk).exists()
    target = staff_users["community"]
    assert security.post(url(User, "change", target.pk), {"username": "x"}).status_code == 403
    assert security.get(url(User, "add")).status_code == 403


# --- Sessions end when a password changes -------------------------------------------------------------------


def login(username, password=PASSWORD) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": username, "password": password}).status_code == 302
    return pass_second_factor(client, User.objects.get(username=username))


def test_changing_ones_password_deletes_the_accounts_other_sessions(staff_users):
    user = staff_users["community"]
    here, elsewhere = login(user.username), login(user.username)
    other_key = elsewhere.session.session_key
    assert Session.objects.filter(session_key=other_key).exists()

    response = here.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": "Fresh2026words", "new_password2": "Fresh2026words"},
    )
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=other_key).exists()
    assert elsewhere.get(reverse("registration:community-home")).status_code == 302  # to the login page
    assert here.get(reverse("registration:community-home")).status_code == 200


def test_a_password_set_by_the_system_administrator_ends_all_of_the_accounts_sessions(admins, staff_users):
    user = staff_users["community"]
    session_key = login(user.username).session.session_key
    response = client_for(admins["system"]).post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "Reset2026words", "password2": "Reset2026words"},
    )
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()


def test_logging_out_forgets_the_session(staff_users):
    from communities.models import AccountSession

    client = login(staff_users["community"].username)
    assert AccountSession.objects.filter(user=staff_users["community"]).count() == 1
    client.post(reverse("logout"))
    assert not AccountSession.objects.exists()


def test_a_login_drops_the_rows_of_the_accounts_sessions_that_ended_without_a_logout(staff_users):
    from communities.models import AccountSession

    user = staff_users["community"]
    first = login(user.username).session.session_key
    import_module(settings.SESSION_ENGINE).SessionStore().delete(first)  # expired and cleared, never logged out
    second = login(user.username).session.session_key
    assert set(AccountSession.objects.filter(user=user).values_list("session_key", flat=True)) == {second}
