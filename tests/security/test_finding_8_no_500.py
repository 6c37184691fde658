"""Issue 19, finding 8: three 500s. A login name of 256+ characters (django-axes' username column), the ledger
export with ?q=%00 (PostgreSQL refuses NUL), and next=abc on the report confirmation (saved, then NoReverseMatch)."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client
from django.urls import reverse

from communities.models import ExportRecord
from registration.models import Report
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

LONG_NAME = "1" * 300


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_a_login_name_longer_than_any_account_is_refused_by_the_form(url_name):
    response = Client().post(reverse(url_name), {"username": LONG_NAME, "password": "whatever-1"})
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    # It never reached authenticate(), so nothing was written to axes' 255-character columns.
    assert not AccessAttempt.objects.exists() and not AccessFailureLog.objects.exists()


@pytest.fixture
def staff_client():
    community = factories.CommunityFactory()
    factories.ReportFactory(community=community, status=Report.Status.CONFIRMED)
    client = Client()
    client.force_login(make_staff("community", community=community))
    return client, community


def test_a_nul_in_the_export_search_is_refused_not_sent_to_the_database(staff_client):
    client, _ = staff_client
    ignored = client.get(reverse("registration:ledger-export") + "?q=%00")
    assert ignored.status_code == 200  # a term in the URL is not read: the masked ledger, unsearched
    assert ExportRecord.objects.get().filters == {"q": ""}
    refused = client.post(reverse("registration:ledger-export"), {"q": "\x00"})
    assert refused.status_code == 302 and refused.url == reverse("registration:ledger")
    assert ExportRecord.objects.count() == 1
    searched = client.post(reverse("registration:ledger"), {"q": "李\x00"})
    assert searched.status_code == 400 and "q" in searched.context["form"].errors


@pytest.mark.parametrize("next_value", ["abc", "javascript:alert(1)", "//evil.example/x", "https://evil.example/"])
def test_a_bad_next_on_the_confirmation_goes_to_the_queue(staff_client, next_value):
    client, community = staff_client
    report = factories.ReportFactory(community=community, status=Report.Status.PENDING)
    response = client.post(reverse("registration:report-confirm", args=[report.pk]), {"next": next_value})
    assert response.status_code == 302 and response.url == reverse("registration:report-queue")
    report.refresh_from_db()
    assert report.status == Report.Status.CONFIRMED


def test_a_next_path_of_ours_is_followed(staff_client):
    client, community = staff_client
    report = factories.ReportFactory(community=community, status=Report.Status.PENDING)
    target = reverse("registration:report-queue") + "?page=2"
    response = client.post(reverse("registration:report-confirm", args=[report.pk]), {"next": target})
    assert response.url == target
