"""Issue 19, finding 7 (parts): pages with personal data had no `Cache-Control: no-store`; members' session cookies
lasted two weeks on shared phones; ledger searches by GET put full phones and ID numbers into access logs and
browser history. Now: no-store on every response that may carry personal data (communities.privacy), sessions
end after SESSION_IDLE_SECONDS without a request and with the browser, and a ledger search is POSTed and shown
under a short random reference."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registration.models import Report
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.fixture
def confirmed():
    community = factories.CommunityFactory()
    member = factories.MemberFactory(phone="13911112222")
    factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    staff = make_staff("community", community=community)
    client = Client()
    client.force_login(staff)
    return member, client


def test_every_page_to_a_logged_in_user_is_no_store(confirmed):
    member, staff_client = confirmed
    member_client = Client()
    member_client.force_login(member.user)
    for client, url in [
        (member_client, reverse("registration:member-home")),
        (staff_client, reverse("registration:ledger")),
        (staff_client, reverse("registration:ledger-export")),
        (staff_client, reverse("registration:report-queue")),
    ]:
        response = client.get(url)
        assert response.status_code == 200 and no_store(response), url


def test_the_registration_and_login_forms_are_no_store_typed_or_not():
    community, unit = factories.CommunityFactory(), factories.UnitFactory(district=None)
    client = Client()
    assert no_store(client.get(reverse("registration:register")))
    typed = factories.registration_form_data(community, unit, phone="1")
    refused = client.post(reverse("registration:register"), typed)
    assert refused.status_code == 200 and no_store(refused)  # the page shows the ID number typed
    assert no_store(client.get(reverse("login")))


def test_a_public_page_without_a_form_stays_cacheable():
    community = factories.CommunityFactory()
    response = Client().get(reverse("services:public-board", args=[community.code]))
    assert response.status_code == 200 and not no_store(response)


def test_a_members_session_is_bounded_and_ends_with_the_browser(confirmed):
    member, _ = confirmed
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client = Client()
    response = client.post(reverse("login"), {"username": member.user.username, "password": "Test2026pass"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert client.session.get_expiry_age() <= 8 * 60 * 60


def test_a_session_in_use_is_renewed(confirmed):
    member, _ = confirmed
    client = Client()
    client.force_login(member.user)
    session = client.session
    session["last_seen_at"] = int(time.time()) - 2 * 60 * 60  # last renewed two hours ago
    session.save()
    # As if its idle time were nearly over (the database keeps when a session ends).
    Session.objects.filter(session_key=session.session_key).update(expire_date=timezone.now() + timedelta(seconds=60))
    assert client.get(reverse("registration:member-home")).status_code == 200
    assert client.session["last_seen_at"] > time.time() - 60
    ends = Session.objects.get(session_key=session.session_key).expire_date
    assert ends > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)  # a full idle period again


def test_a_ledger_search_by_full_phone_or_id_number_never_enters_a_url(confirmed):
    member, client = confirmed
    for term in (member.phone, member.id_number):
        response = client.post(reverse("registration:ledger"), {"q": term})
        assert response.status_code == 302 and term not in response.url
        page = client.get(response.url)
        assert list(page.context["page"]) == [member]
        html = page.content.decode()
        assert f"q={term}" not in html and "?s=" in html  # the export link carries the reference only
    # Another session cannot use the reference.
    stranger = Client()
    stranger.force_login(make_staff("community", community=member.reports.get().community))
    assert list(stranger.get(response.url).context["page"]) == [member]  # the whole ledger: no search applied
    assert stranger.get(response.url).context["search"] == ""


def test_a_search_in_the_url_is_not_read(confirmed):
    member, client = confirmed
    other = factories.MemberFactory()
    factories.ReportFactory(member=other, community=member.reports.get().community, status=Report.Status.CONFIRMED)
    page = client.get(reverse("registration:ledger"), {"q": member.phone})
    assert len(page.context["page"]) == 2 and page.context["search"] == ""
