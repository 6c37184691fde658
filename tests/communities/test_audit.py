"""The audit trail: one row per audited action with the right user, role, IP and outcome; nothing secret or personal
in any row; read-only in the admin for superusers and audit administrators; append-only on PostgreSQL; kept at least
180 days by the purge."""

import datetime
import json
from decimal import Decimal

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities.audit import Action, Outcome, audit, audit_purge
from communities.models import AuditEvent, Pairing, StaffAssignment
from communities.platform import jobs
from communities.tasks import audit_purge_task
from registration import services as registration_services
from registration.audit_actions import Action as RegistrationAction
from registration.models import Member, Report, Skill
from services.assessment import runs as assessment_runs
from services.assessment.audit_actions import Action as AssessmentAction
from services.assessment.models import Assessment, AssessmentRun, Grade
from services.audit_actions import Action as ServiceAction
from services.models import ServiceRecord
from tests import factories
from tests.accounts.support import login_post
from tests.conftest import make_staff, pass_second_factor
from tests.export_approval import full_export

pytestmark = pytest.mark.django_db

Role = StaffAssignment.Role
PASSWORD = "Test2026pass"  # the factories' password
NEW_PASSWORD = "Hongqi2026go"
IP = "203.0.113.9"
PHONE = "13812340001"


def only(action, **filters) -> AuditEvent:
    """The one event of this action (and filters); fails if there are none or several."""
    rows = list(AuditEvent.objects.filter(action=action, **filters))
    assert len(rows) == 1, (action, filters, rows)
    return rows[0]


def browser(user=None) -> Client:
    """A client whose every request comes from IP, logged in as user (force_login's own event has no IP)."""
    client = Client(REMOTE_ADDR=IP)
    if user is not None:
        client.force_login(user)
    return client


def login(username, password):
    """One login from IP, the CAPTCHA solved when the page asks for it (after a few failures: issue 19, finding 4)."""
    return login_post(username, password, ip=IP, browser=browser())[0]


@pytest.fixture
def member(city):
    """A member who logs in with their mobile number, as registration makes them, with a pending report."""
    user = factories.UserFactory(username=PHONE)
    member = factories.MemberFactory(user=user, phone=PHONE, unit=city["units"][0])
    factories.ReportFactory(member=member, community=city["communities"][0])
    return member


# --- Logins -----------------------------------------------------------------------------------------------------


def test_login_and_logout_are_recorded_with_user_role_and_ip(staff_users):
    staff = staff_users["community"]
    client = browser()
    client.post(reverse("login"), {"username": staff.username, "password": PASSWORD})
    client.post(reverse("logout"))

    for action in (Action.LOGIN, Action.LOGOUT):
        event = only(action, user=staff)
        assert (event.username, event.role, event.ip, event.outcome) == (staff.username, "community", IP, "success")


def test_a_members_username_is_kept_masked(member):
    login(PHONE, PASSWORD)

    event = only(Action.LOGIN, user=member.user)
    assert event.username == "138****0001"
    assert event.role == ""


def test_a_login_failure_names_the_account_but_never_the_password(staff_users):
    staff = staff_users["street"]
    login(staff.username, "wrong-password-1")

    event = only(Action.LOGIN_FAILURE)
    assert (event.user, event.role, event.ip, event.outcome) == (staff, "street", IP, "failure")
    assert "wrong-password-1" not in json.dumps(row_values(event), default=str)


def test_a_login_failure_of_an_unknown_account_keeps_only_the_masked_attempt(db):
    login("zhangsan-typo", "wrong-password-1")
    login("110101198506150013", "wrong-password-1")  # an ID number typed as the username

    first, second = AuditEvent.objects.filter(action=Action.LOGIN_FAILURE).order_by("pk")
    assert (first.user, first.username, first.ip, first.outcome) == (None, "zh*********po", IP, "failure")
    assert second.username == "11" + "*" * 12 + "13"


def test_a_lockout_is_recorded_once_and_attempts_during_it_are_refused(staff_users):
    staff = staff_users["community"]
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        login(staff.username, "wrong-password-1")
    login(staff.username, PASSWORD)  # the right password, refused during the lock

    lockout = only(Action.LOCKOUT)
    assert (lockout.user, lockout.role, lockout.ip, lockout.outcome) == (staff, "community", IP, "refused")
    assert lockout.detail == {"failures": django_settings.AXES_FAILURE_LIMIT}
    outcomes = list(AuditEvent.objects.filter(action=Action.LOGIN_FAILURE).order_by("pk").values_list("outcome"))
    assert outcomes == [("failure",)] * django_settings.AXES_FAILURE_LIMIT + [("refused",)]
    assert not AuditEvent.objects.filter(action=Action.LOGIN).exists()


def test_the_ip_follows_the_trusted_proxy_rule_of_the_login_limits(settings, staff_users):
    settings.TRUSTED_PROXY_COUNT = 1
    staff = staff_users["community"]
    Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.7").post(
        reverse("login"), {"username": staff.username, "password": PASSWORD}
    )

    assert only(Action.LOGIN, user=staff).ip == "192.0.2.7"


def test_a_staff_session_that_expires_is_logged_out_with_the_reason(settings, staff_users):
    settings.STAFF_SESSION_MAX_SECONDS = -1
    staff = staff_users["community"]
    client = browser()
    client.post(reverse("login"), {"username": staff.username, "password": PASSWORD})
    client.get(reverse("registration:report-queue"))

    assert only(Action.LOGOUT, user=staff).detail == {"reason": "max-age"}


# --- Passwords and roles ------------------------------------------------------------------------------------


def test_the_password_page_changes_the_password_and_records_it(member):
    client = browser(member.user)
    assert client.get(reverse("password-change")).status_code == 200

    wrong = client.post(
        reverse("password-change"),
        {"old_password": "not-it-2026", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert not AuditEvent.objects.filter(action=Action.PASSWORD_CHANGE).exists()

    response = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.url == reverse("home")
    event = only(Action.PASSWORD_CHANGE)
    assert (event.user, event.ip, event.outcome) == (member.user, IP, "success")
    assert (event.object_type, event.object_id, event.object_label) == (
        "registration.user",
        str(member.user.pk),
        f"user:{member.user.pk}",
    )
    member.user.refresh_from_db()
    assert member.user.check_password(NEW_PASSWORD)


def test_a_password_set_by_an_administrator_names_the_administrator(staff_users):
    admin_user = factories.UserFactory(is_superuser=True, is_staff=True)
    target = staff_users["unit"]
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    browser(admin_user).post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})

    event = only(Action.PASSWORD_CHANGE)
    assert (event.user, event.role, event.ip, event.object_id) == (admin_user, "superuser", IP, str(target.pk))


def test_a_save_that_leaves_the_password_alone_records_nothing(staff_users):
    user = staff_users["unit"]
    user.full_name = "改名"
    user.save()
    login(user.username, PASSWORD)  # the last_login update of a login

    assert not AuditEvent.objects.filter(action__in=[Action.PASSWORD_CHANGE, Action.ROLE_CHANGE]).exists()


def test_role_grants_changes_and_revocations_are_recorded(city):
    admin_user = factories.UserFactory(is_superuser=True, is_staff=True)
    target = factories.UserFactory()
    client = browser(admin_user)
    community = city["communities"][0]

    client.post(
        reverse("admin:communities_staffassignment_add"),
        {"user": target.pk, "role": "community", "community": community.pk},
    )
    assignment = StaffAssignment.objects.get(user=target)
    grant = only(Action.ROLE_GRANT)
    assert (grant.user, grant.role, grant.ip, grant.object_id) == (admin_user, "superuser", IP, str(assignment.pk))
    assert grant.detail == {"user_id": target.pk, "role": "community", "place": f"community:{community.pk}"}

    client.post(reverse("admin:communities_staffassignment_delete", args=[assignment.pk]), {"post": "yes"})
    assert only(Action.ROLE_REVOKE).detail["user_id"] == target.pk

    target.is_staff = True
    target.save()  # no request: no actor
    change = only(Action.ROLE_CHANGE)
    assert (change.user, change.object_id, change.detail) == (
        None,
        str(target.pk),
        {"user_id": target.pk, "is_staff": True},
    )


# --- Exports ------------------------------------------------------------------------------------------------


def test_every_export_is_recorded_and_full_values_apart(member, staff_users):
    staff = staff_users["community"]
    Report.objects.filter(member=member).update(status=Report.Status.CONFIRMED)
    client = browser(staff)
    client.post(reverse("registration:ledger-export"), {"q": "李"})  # masked: a search term goes in the body
    full_export(client, staff, member.reports.get().community)

    masked = only(Action.EXPORT)
    assert (masked.user, masked.role, masked.ip, masked.outcome) == (staff, "community", IP, "success")
    assert masked.detail == {"kind": "member-ledger", "filters": {"q": "李"}, "rows": 1, "full_values": False}
    assert masked.object_type == "communities.exportrecord"
    full = only(Action.EXPORT_FULL)
    assert full.detail["full_values"] is True and full.detail["rows"] == 1
    assert member.id_number not in json.dumps(full.detail)  # the search term is masked in the trail


def test_an_export_and_its_event_are_written_together_or_not_at_all(monkeypatch, staff_users):
    from communities import exports

    def broken(**kwargs):
        raise DatabaseError("the audit table is unavailable")

    monkeypatch.setattr(exports, "audit", broken)
    with pytest.raises(DatabaseError):
        exports.xlsx_export(
            user=staff_users["community"],
            kind="k",
            title="t",
            header=["a"],
            rows=[[1]],
            filters={},
            place="p",
            period="y",
        )
    assert not exports.ExportRecord.objects.exists()


def test_only_a_superusers_explicit_reveal_shows_full_values_and_it_is_recorded(member, staff_users):
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    url = reverse("admin:registration_member_change", args=[member.pk])
    masked = browser(superuser).get(url).content.decode()
    assert PHONE not in masked and member.home_address not in masked and "?reveal=1" in masked
    assert not AuditEvent.objects.filter(action=Action.FULL_VALUE_VIEW).exists()
    assert PHONE not in browser(staff_users["org_city"]).get(url + "?reveal=1").content.decode()
    assert not AuditEvent.objects.filter(action=Action.FULL_VALUE_VIEW).exists()

    revealed = browser(superuser).get(url + "?reveal=1").content.decode()
    assert PHONE in revealed and member.home_address in revealed

    event = only(Action.FULL_VALUE_VIEW)
    assert (event.user, event.role, event.ip, event.object_type, event.object_id) == (
        superuser,
        "superuser",
        IP,
        "registration.member",
        str(member.pk),
    )
    assert event.detail == {"fields": ["phone", "home_address"]}


# --- Decisions ----------------------------------------------------------------------------------------------


def test_report_confirm_and_reject_are_recorded(city, staff_users):
    staff = staff_users["community"]
    first, second = (factories.ReportFactory(community=city["communities"][0]) for _ in range(2))
    client = browser(staff)
    client.post(reverse("registration:report-confirm", args=[first.pk]))
    client.post(reverse("registration:report-reject", args=[second.pk]), {"reason": "信息不全，请补充"})

    confirm, reject = only(RegistrationAction.REPORT_CONFIRM), only(RegistrationAction.REPORT_REJECT)
    assert (confirm.user, confirm.role, confirm.ip, confirm.outcome) == (staff, "community", IP, "success")
    assert (confirm.object_type, confirm.object_id) == ("registration.report", str(first.pk))
    assert (reject.object_label, reject.outcome) == (f"report:{second.pk}", "success")
    assert "信息不全" not in json.dumps(reject.detail)


def test_a_refused_and_a_failed_confirmation_are_recorded_as_such(city, staff_users):
    report = factories.ReportFactory(community=city["communities"][0])
    browser(staff_users["street"]).post(reverse("registration:report-confirm", args=[report.pk]))  # reads, not acts
    refused = only(RegistrationAction.REPORT_CONFIRM)
    assert (refused.user, refused.role, refused.outcome) == (staff_users["street"], "street", "refused")

    client = browser(staff_users["community"])
    client.post(reverse("registration:report-confirm", args=[report.pk]))
    client.post(reverse("registration:report-confirm", args=[report.pk]))  # already dealt with
    events = AuditEvent.objects.filter(action=RegistrationAction.REPORT_CONFIRM)
    assert list(events.order_by("pk").values_list("outcome")) == [("refused",), ("success",), ("failure",)]
    assert events.get(outcome="failure").detail == {"errors": ["__all__"]}


def test_record_verify_and_reject_are_recorded(member, city, staff_users):
    staff = staff_users["community"]
    community = city["communities"][0]
    verified, returned = (factories.ServiceRecordFactory(member=member, community=community) for _ in range(2))
    client = browser(staff)
    client.post(reverse("services:staff-record-verify", args=[verified.pk]))
    client.post(reverse("services:staff-record-reject", args=[returned.pk]), {"reason": "时长有误"})

    verify, reject = only(ServiceAction.RECORD_VERIFY), only(ServiceAction.RECORD_REJECT)
    assert (verify.user, verify.role, verify.ip, verify.object_id) == (staff, "community", IP, str(verified.pk))
    assert verify.detail == {"community_id": community.pk, "hours": "2.0", "points": str(verified_points(verified))}
    assert (reject.object_type, reject.object_id, reject.outcome) == (
        "services.servicerecord",
        str(returned.pk),
        "success",
    )


def verified_points(record) -> Decimal:
    return ServiceRecord.objects.values_list("points", flat=True).get(pk=record.pk)


def test_assessment_review_and_acceptance_are_recorded(member, city, staff_users):
    staff = staff_users["community"]
    community = city["communities"][0]
    reviewed = factories.AssessmentFactory(member=member, community=community, unit=member.unit)
    factories.AssessmentFactory(community=community, year=2026)
    client = browser(staff)
    client.post(
        reverse("assessment:staff-review", args=[reviewed.pk]), {"grade": Grade.EXCELLENT, "remark": "表现突出"}
    )
    client.post(reverse("assessment:staff-accept"), {"community": community.pk, "year": 2026})

    review = only(AssessmentAction.ASSESSMENT_REVIEW)
    assert (review.user, review.role, review.ip, review.object_id) == (staff, "community", IP, str(reviewed.pk))
    assert review.detail == {
        "community_id": community.pk,
        "grade": "excellent",
        "proposed": "qualified",
        "records_waiting": 0,
    }
    accept = only(AssessmentAction.ASSESSMENT_ACCEPT)
    assert (accept.object_type, accept.object_id, accept.detail) == (
        "communities.community",
        str(community.pk),
        {"year": 2026, "reviewed": 1, "records_waiting": 0},
    )


def test_assessment_run_and_finalise_are_recorded(city, staff_users):
    org = staff_users["org_city"]
    factories.AssessmentFactory(community=city["communities"][0], status=Assessment.Status.REVIEWED)
    client = browser(org)
    client.post(reverse("assessment:admin-run"), {"year": 2026})
    client.post(reverse("assessment:admin-finalise"), {"year": 2026})

    run = only(AssessmentAction.ASSESSMENT_RUN)
    assert (run.user, run.role, run.ip, run.outcome) == (org, "org", IP, "success")
    assert run.object_type == "assessment.assessmentrun"
    assert run.detail["year"] == 2026 and run.detail["district_id"] is None
    finalise = only(AssessmentAction.ASSESSMENT_FINALISE)
    assert finalise.object_id == str(AssessmentRun.objects.get(kind=AssessmentRun.Kind.FINALISE).pk)
    assert finalise.detail["include_drafts"] is False


def test_a_refused_finalisation_is_recorded(staff_users):
    with pytest.raises(PermissionDenied):
        assessment_runs.assessment_finalise(user=staff_users["community"], year=2026)
    event = only(AssessmentAction.ASSESSMENT_FINALISE)
    assert (event.user, event.outcome, event.detail["year"]) == (staff_users["community"], "refused", 2026)


def test_a_run_from_the_command_line_is_recorded_without_a_user(db):
    assessment_runs.assessment_run_start(year=2026)
    assert only(AssessmentAction.ASSESSMENT_RUN).user is None


def test_member_withdrawal_is_recorded_without_personal_data(member):
    browser(member.user).post(reverse("registration:member-withdraw"), {"password": PASSWORD})

    event = only(RegistrationAction.MEMBER_WITHDRAW)
    assert (event.user, event.ip, event.object_id) == (member.user, IP, str(member.pk))
    assert event.username.startswith("withdrawn-")
    assert PHONE not in event.username


def test_admin_add_change_and_delete_are_recorded(city):
    admin_user = factories.UserFactory(is_superuser=True, is_staff=True)
    client = browser(admin_user)
    unit, community = city["units"][0], city["communities"][0]
    client.post(
        reverse("admin:communities_pairing_add"), {"unit": unit.pk, "community": community.pk, "started_year": 2025}
    )
    pairing = Pairing.objects.get()
    client.post(
        reverse("admin:communities_pairing_change", args=[pairing.pk]),
        {"unit": unit.pk, "community": community.pk, "started_year": 2024},
    )
    client.post(reverse("admin:communities_pairing_delete", args=[pairing.pk]), {"post": "yes"})

    for action in (Action.ADMIN_ADD, Action.ADMIN_CHANGE, Action.ADMIN_DELETE):
        event = only(action)
        assert (event.user, event.role, event.ip, event.outcome) == (admin_user, "superuser", IP, "success")
        assert (event.object_type, event.object_id, event.object_label) == (
            "communities.pairing",
            str(pairing.pk),
            f"pairing:{pairing.pk}",
        )


def test_deleting_several_objects_at_once_records_each(db):
    admin_user = factories.UserFactory(is_superuser=True, is_staff=True)
    skills = [factories.SkillFactory() for _ in range(3)]
    browser(admin_user).post(
        reverse("admin:registration_skill_changelist"),
        {"action": "delete_selected", "_selected_action": [skills[0].pk, skills[1].pk], "post": "yes"},
    )

    assert set(Skill.objects.all()) == {skills[2]}
    deleted = AuditEvent.objects.filter(action=Action.ADMIN_DELETE)
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted([str(skills[0].pk), str(skills[1].pk)])
    assert set(deleted.values_list("user", "ip")) == {(admin_user.pk, IP)}


def test_a_log_entry_written_outside_the_admin_is_recorded_with_its_user(city):
    admin_user = factories.UserFactory(is_superuser=True, is_staff=True)
    LogEntry.objects.log_actions(admin_user.pk, [city["communities"][0]], ADDITION)

    event = only(Action.ADMIN_ADD)
    assert (event.user, event.ip, event.object_type) == (admin_user, None, "communities.community")


# --- Nothing secret or personal -----------------------------------------------------------------------------


def row_values(event) -> list:
    return [getattr(event, field.attname) for field in AuditEvent._meta.concrete_fields]


def test_no_password_id_number_phone_name_or_session_key_in_any_row(member, city, staff_users):
    """Every audited action above, then every field of every row searched."""
    staff = staff_users["community"]
    community = city["communities"][0]
    report = member.reports.get()
    id_number, name = member.id_number, member.name
    login(PHONE, "wrong-password-1")
    member_client = browser()
    member_client.post(reverse("login"), {"username": PHONE, "password": PASSWORD})
    member_client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    staff_client = browser()
    staff_client.post(reverse("login"), {"username": staff.username, "password": PASSWORD})
    pass_second_factor(staff_client, staff)
    staff_client.post(reverse("registration:report-confirm", args=[report.pk]))
    staff_client.post(reverse("registration:ledger-export"), {"q": member.phone})
    full_export(staff_client, staff, community)
    record = factories.ServiceRecordFactory(member=member, community=community)
    staff_client.post(reverse("services:staff-record-reject", args=[record.pk]), {"reason": f"{name}请补充"})
    assessment = factories.AssessmentFactory(member=member, community=community)
    staff_client.post(reverse("assessment:staff-review", args=[assessment.pk]), {"grade": "excellent", "remark": "x"})
    session_keys = [member_client.session.session_key, staff_client.session.session_key]
    member_client.post(reverse("registration:member-withdraw"), {"password": NEW_PASSWORD})
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        login(PHONE, id_number)  # a password that is an ID number

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {Action.LOGIN_FAILURE, Action.LOCKOUT, Action.PASSWORD_CHANGE, Action.EXPORT_FULL} <= actions
    secrets = [PASSWORD, NEW_PASSWORD, "wrong-password-1", id_number, PHONE, name, *session_keys]
    for event in AuditEvent.objects.all():
        text = json.dumps(row_values(event), default=str, ensure_ascii=False)
        for secret in secrets:
            assert secret not in text, (event.action, secret)


def test_id_and_mobile_numbers_in_a_detail_are_masked_and_long_lists_shortened(db):
    event = audit(action=Action.EXPORT, detail={"q": "110101198506150013 13812345678", "rows": list(range(50))})

    assert event.detail == {"q": "11" + "*" * 12 + "13 138****5678", "rows": "<50 items>"}


# --- Reading the trail --------------------------------------------------------------------------------------


@pytest.fixture
def auditor(db):
    return make_staff(Role.AUDIT, is_staff=True)


def changelist():
    return reverse("admin:communities_auditevent_changelist")


def test_the_audit_role_covers_no_place(db):
    user = factories.UserFactory()
    StaffAssignment.objects.create(user=user, role=Role.AUDIT)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffAssignment.objects.create(user=user, role=Role.AUDIT, community=factories.CommunityFactory())


def test_an_audit_administrator_reads_the_trail_with_filters(auditor, staff_users):
    login(staff_users["community"].username, "wrong-password-1")
    client = browser(auditor)

    page = client.get(changelist())
    assert page.status_code == 200
    assert AuditEvent.objects.get(action=Action.LOGIN_FAILURE) in page.context["cl"].result_list
    failures = client.get(changelist(), {"action__exact": "login_failure", "outcome__exact": "failure"})
    assert [event.action for event in failures.context["cl"].result_list] == ["login_failure"]
    # Admin searches are POSTed and shown under a reference (communities.admin_search).
    found = client.post(changelist(), {"q": staff_users["community"].username}, follow=True)
    assert {event.action for event in found.context["cl"].result_list} == {"login_failure"}
    assert client.post(changelist(), {"q": IP}, follow=True).context["cl"].result_list
    event = AuditEvent.objects.first()
    assert client.get(reverse("admin:communities_auditevent_change", args=[event.pk])).status_code == 200


def test_an_event_page_shows_a_members_account_by_id_not_by_name_or_phone(auditor, member):
    login(PHONE, PASSWORD)
    event = only(Action.LOGIN, user=member.user)

    page = browser(auditor).get(reverse("admin:communities_auditevent_change", args=[event.pk])).content.decode()
    assert f"#{member.user.pk}" in page and "138****0001" in page
    assert PHONE not in page and member.user.full_name not in page


def test_the_audit_administrator_gets_nothing_else(auditor, city):
    client = browser(auditor)
    index = client.get(reverse("admin:index"))
    listed = sorted(model["object_name"] for app in index.context["app_list"] for model in app["models"])
    # Records, all read-only (the full export requests: registration.export_approvals).
    assert listed == ["AccessFailureLog", "AccessLog", "AuditEvent", "ExportRecord", "ExportRequest"]
    assert client.get(reverse("admin:registration_report_changelist")).status_code == 403
    assert client.get(reverse("admin:communities_exportrecord_add")).status_code == 403
    assert client.get(reverse("registration:ledger")).status_code == 403
    assert client.get(reverse("home")).url == reverse("admin:index")  # no page of its own outside the admin


def test_community_staff_and_the_org_department_cannot_read_the_trail(staff_users):
    assert browser(staff_users["community"]).get(changelist()).status_code == 302  # to the admin login
    assert browser(staff_users["org_city"]).get(changelist()).status_code == 403


def test_an_audit_role_without_staff_status_cannot_enter_the_admin(db):
    assert browser(make_staff(Role.AUDIT)).get(changelist()).status_code == 302


def test_nobody_adds_changes_or_deletes_an_event_through_the_admin(auditor):
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    event = audit(action=Action.EXPORT, user=superuser, detail={"rows": 1})
    for user in (auditor, superuser):
        client = browser(user)
        assert client.get(reverse("admin:communities_auditevent_add")).status_code == 403
        change = reverse("admin:communities_auditevent_change", args=[event.pk])
        assert client.post(change, {"action": "login", "outcome": "failure"}).status_code == 403
        delete = reverse("admin:communities_auditevent_delete", args=[event.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        bulk = client.post(changelist(), {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
        assert bulk.status_code in (200, 302)
    event.refresh_from_db()
    assert (event.action, event.outcome) == ("export", "success")


# --- Keeping: the purge and the append-only rule --------------------------------------------------------------


def event_aged(days: float) -> AuditEvent:
    return AuditEvent.objects.create(action=Action.LOGIN, occurred_at=timezone.now() - datetime.timedelta(days=days))


def test_the_purge_never_removes_rows_younger_than_180_days():
    kept, recent = event_aged(179.9), event_aged(1)
    event_aged(200)

    assert audit_purge_task.delay().get() == 1
    assert set(AuditEvent.objects.all()) == {kept, recent}
    assert audit_purge() == 0  # idempotent


def test_the_purge_keeps_rows_for_the_longer_retention_set(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    event_aged(200)
    assert audit_purge() == 0
    assert AuditEvent.objects.count() == 1


def test_the_purge_refuses_a_retention_under_180_days(settings):
    settings.AUDIT_RETENTION_DAYS = 90
    event_aged(100)
    with pytest.raises(ImproperlyConfigured):
        audit_purge()
    assert AuditEvent.objects.count() == 1


def test_the_purge_runs_every_day_at_half_past_three():
    entry = jobs.beat_schedule()["audit-purge"]
    assert entry["task"] == audit_purge_task.name
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {30}


def require_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only; CI runs this suite on PostgreSQL too")


def raw_sql(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_postgresql_refuses_to_update_or_delete_an_event():
    require_postgresql()
    event = event_aged(1)
    attempts = [
        lambda: AuditEvent.objects.filter(pk=event.pk).update(outcome=Outcome.FAILURE),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: connection.cursor().execute(
            "UPDATE communities_auditevent SET ip = '10.0.0.1' WHERE id = %s", [event.pk]
        ),
        lambda: connection.cursor().execute("DELETE FROM communities_auditevent WHERE id = %s", [event.pk]),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    event.refresh_from_db()
    assert event.outcome == "success" and event.ip is None


def test_postgresql_refuses_to_rewrite_an_old_event_but_lets_the_purge_delete_it():
    require_postgresql()
    old, young = event_aged(181), event_aged(179)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=old.pk).update(action=Action.LOGOUT)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=young.pk).delete()  # even a purge with a short retention could not

    assert audit_purge() == 1
    assert list(AuditEvent.objects.all()) == [young]


def test_postgresql_lets_a_deleted_user_leave_their_events_nameless():
    require_postgresql()
    user = factories.UserFactory()
    event = audit(action=Action.LOGIN, user=user)
    user.delete()

    event.refresh_from_db()
    assert (event.user_id, event.username) == (None, user.username)


def test_the_trigger_is_installed_by_a_migration_only_on_postgresql():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = 'communities_auditevent_append_only'")
            assert cursor.fetchone() == (1,)
        else:
            event = event_aged(1)
            AuditEvent.objects.filter(pk=event.pk).delete()  # SQLite has no trigger: the rule is PostgreSQL's
            assert not AuditEvent.objects.exists()


def test_a_validation_error_is_recorded_by_field_never_by_message(staff_users, city):
    report = factories.ReportFactory(community=city["communities"][0])
    with pytest.raises(ValidationError):
        registration_services.report_reject(report_id=report.pk, user=staff_users["community"], reason="  ")

    event = only(RegistrationAction.REPORT_REJECT)
    assert (event.outcome, event.detail) == ("failure", {"errors": ["reason"]})
    assert Member.objects.filter(pk=report.member_id).exists()
