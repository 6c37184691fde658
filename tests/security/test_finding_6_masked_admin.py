"""Issue 19, finding 6: administrators read personal data in django-axes' pages: the audit administrator full phone
numbers in the login log, the system administrator whatever was typed as a user name (mistyped passwords included)
in the lockouts. Now every axes page shows the typed user name masked and not the form data that repeats it."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
TYPED_PASSWORD = "Mistyped2026secret"  # a password typed into the user name field


@pytest.fixture
def rows():
    now = timezone.now()
    common = {"ip_address": "10.0.0.9", "user_agent": "probe", "http_accept": "*/*", "path_info": "/login/"}
    AccessLog.objects.create(username=PHONE, attempt_time=now, **common)
    AccessFailureLog.objects.create(username=TYPED_PASSWORD, attempt_time=now, **common)
    attempt = AccessAttempt.objects.create(
        username=PHONE,
        attempt_time=now,
        failures_since_start=5,
        get_data="",
        post_data=f"username={PHONE}",
        **common,
    )
    return attempt


def admin_client(role):
    client = Client()
    client.force_login(make_staff(role, is_staff=True))
    return client


@pytest.mark.parametrize(
    "role,model",
    [
        ("audit", AccessLog),
        ("audit", AccessFailureLog),
        ("system", AccessFailureLog),
        ("system", AccessAttempt),
    ],
)
def test_lists_and_change_pages_show_the_typed_user_name_masked(rows, role, model):
    client = admin_client(role)
    opts = model._meta
    listing = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert listing.status_code == 200
    text = listing.content.decode()
    assert PHONE not in text and TYPED_PASSWORD not in text
    assert "139****5678" in text or "Mi" + "*" * 12 in text
    for obj in model.objects.all():
        page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert page.status_code == 200
        body = page.content.decode()
        assert PHONE not in body and TYPED_PASSWORD not in body


def test_an_account_is_found_by_its_exact_user_name_without_it_in_the_url(rows):
    client = admin_client("system")
    url = reverse("admin:axes_accessattempt_changelist")
    response = client.post(url, {"q": PHONE})
    assert response.status_code == 302 and PHONE not in response["Location"]
    found = client.get(response["Location"])
    assert found.status_code == 200 and found.context["cl"].result_count == 1
    assert PHONE not in found.content.decode().replace(f'value="{PHONE}"', "")  # only the search box holds it
    assert client.get(url + "?q=1391").context["cl"].result_count == 1  # a partial match finds nothing by URL...
    assert client.post(url, {"q": "1391"}, follow=True).context["cl"].result_count == 0  # ...nor by POST
