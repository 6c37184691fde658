"""Issue 19, finding 7 (the rest): admin changelist searches by GET put full phones and ID numbers into access logs
and browser history; PostgreSQL's log printed phones on unique conflicts. Now every admin search is POSTed and
shown under a reference (communities.admin_search), and a check reports a PostgreSQL server that would log a refused
row's values (communities.security_checks)."""

import pytest
from django.core import checks
from django.db import connection
from django.test import Client
from django.urls import reverse

from communities.security_checks import SAFE_VALUES
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

ID_NUMBER = factories.valid_id_number(777)


@pytest.fixture
def org_client():
    member = factories.MemberFactory(phone="13987654321", id_number=ID_NUMBER)
    other = factories.MemberFactory(phone="13911110000")
    client = Client()
    client.force_login(make_staff("org", is_staff=True))
    return client, member, other


@pytest.mark.parametrize("term", ["13987654321", ID_NUMBER])
def test_an_admin_search_by_phone_or_id_number_keeps_it_out_of_every_url(org_client, term):
    client, member, _other = org_client
    url = reverse("admin:registration_member_changelist")
    response = client.post(url + "?gender=M", {"q": term})
    assert response.status_code == 302
    location = response["Location"]
    assert term not in location and "_s=" in location and "gender=M" in location
    page = client.get(location)
    assert [row.pk for row in page.context["cl"].result_list] == [member.pk]
    body = page.content.decode()
    # The term is in the search box only; the rows' links and the filters carry the reference.
    assert body.count(term) == 1 and f'value="{term}"' in body
    assert "_changelist_filters=" in body


def test_a_term_in_the_url_is_not_read_and_a_foreign_reference_is_empty(org_client):
    client, _member, _other = org_client
    url = reverse("admin:registration_member_changelist")
    assert client.get(url, {"q": "13987654321"}).context["cl"].result_count == 2
    reference = client.post(url, {"q": "13987654321"})["Location"].split("_s=")[1]
    stranger = Client()
    stranger.force_login(make_staff("org", is_staff=True))
    assert stranger.get(url, {"_s": reference}).context["cl"].result_count == 2


def test_admin_actions_still_post_to_the_list(org_client):
    client, member, _other = org_client
    url = reverse("admin:registration_member_changelist")
    response = client.post(url, {"action": "delete_selected", "_selected_action": [member.pk]})
    assert response.status_code in (200, 302, 403)  # handled by Django's action machinery, not taken for a search
    assert "_s=" not in response.get("Location", "")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL server's settings")
def test_a_postgres_server_that_logs_refused_values_is_reported():
    with connection.cursor() as cursor:
        values = {}
        for name in SAFE_VALUES:
            cursor.execute(f"SHOW {name}")
            values[name] = cursor.fetchone()[0].lower()
    unsafe = any(values[name] not in safe for name, safe in SAFE_VALUES.items())
    found = [message.id for message in checks.run_checks(databases=["default"])]
    assert ("communities.W019" in found) == unsafe
    assert unsafe  # the test server keeps PostgreSQL's defaults: default verbosity, statements of errors logged
