"""Issue 19, finding 10 (audit): logs went to the console only, as plain text, and nothing told anyone of lockouts,
bulk exports or 500s. Now every record can be one JSON object a line for a central collector, with mobile and ID
card numbers masked (communities.log_format), and the security administrators get an email (Django's locmem backend
here: the mail boundary) on a lockout, a full or bulk export and a 500 (communities.alerts)."""

import json
import logging

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import path, reverse

from communities.audit import Action, audit
from communities.log_format import PersonalDataFilter, ServiceJsonFormatter
from registration.models import Report
from tests import factories
from tests.conftest import make_staff
from tests.export_approval import full_export

pytestmark = pytest.mark.django_db
PHONE = "13912345678"
ID_NUMBER = factories.valid_id_number(42)


def record(message, *args, exc_info=None):
    return logging.LogRecord("party.test", logging.WARNING, __file__, 1, message, args, exc_info)


def test_a_record_is_one_json_object_with_personal_numbers_masked():
    entry = record("login by %s with %s", PHONE, ID_NUMBER)
    assert PersonalDataFilter().filter(entry)
    line = ServiceJsonFormatter().format(entry)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "WARNING" and data["logger"] == "party.test" and data["service"] == "party"
    assert data["message"] == f"login by 139****5678 with {ID_NUMBER[:3]}{'*' * 11}{ID_NUMBER[-4:]}"
    assert data["time"][:4].isdigit() and data["time"][-6] in "+-"  # ISO 8601 with its offset
    assert PHONE not in line and ID_NUMBER not in line


def test_an_exception_is_kept_in_the_object():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        line = ServiceJsonFormatter().format(record("failed", exc_info=sys.exc_info()))
    assert "ValueError: boom" in json.loads(line)["exc_info"]


def test_the_settings_log_json_when_debug_is_off():
    # The console handler of the settings: the JSON formatter with DJANGO_LOG_FORMAT=json (the production default).
    handler = settings.LOGGING["handlers"]["console"]
    assert "personal_data" in handler["filters"]
    assert settings.LOGGING["formatters"]["json"]["()"] == "communities.log_format.ServiceJsonFormatter"


@pytest.fixture
def security_admin():
    user = make_staff("security", is_staff=True)
    user.email = "security@example.org"
    user.save()
    return user


def test_a_lockout_emails_the_security_administrator(security_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        audit(action=Action.LOCKOUT, username="139****5678", outcome="refused", detail={"failures": 5})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["security@example.org"] and "锁定" in message.subject + message.body
    assert PHONE not in message.body
    # One email per kind within the throttle: an attack does not flood the mailbox.
    with django_capture_on_commit_callbacks(execute=True):
        audit(action=Action.LOCKOUT, username="138****0000", outcome="refused")
    assert len(mail.outbox) == 1


def test_a_full_export_emails_and_a_small_masked_one_does_not(
    security_admin, settings, django_capture_on_commit_callbacks
):
    settings.SECURITY_ALERT_EMAILS = ["soc@example.org"]
    community = factories.CommunityFactory()
    factories.ReportFactory(community=community, status=Report.Status.CONFIRMED)
    staff = Client()
    staff_user = make_staff("community", community=community)
    staff.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.get(reverse("registration:ledger-export")).status_code == 200
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert full_export(staff, staff_user, community).status_code == 200
    assert len(mail.outbox) == 1 and set(mail.outbox[0].to) == {"security@example.org", "soc@example.org"}


def test_a_bulk_export_emails(security_admin, settings, django_capture_on_commit_callbacks):
    settings.ALERT_BULK_EXPORT_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        audit(action=Action.EXPORT, user=security_admin, detail={"rows": 1})
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        audit(action=Action.EXPORT, user=security_admin, detail={"rows": 2})
    assert len(mail.outbox) == 1


def _boom(request):
    raise RuntimeError(f"failed for {PHONE}")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.urls(__name__)
def test_a_500_emails_the_security_administrator_without_the_request(security_admin):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/?phone=" + PHONE)
    assert response.status_code == 500
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "GET /boom/" in body and "RuntimeError" in body and PHONE not in body
