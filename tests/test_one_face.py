"""The one look's rules that a page's HTML shows (../shared/STYLE.md "One face", issue 17): every consequential
form asks once (data-confirm, read by static/js/confirm.js), the large-text mode stays on and never sends a visitor
elsewhere, empty selects ask to choose, the inbox link says how many messages are unread, every page has its icon."""

import re
from html import unescape

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from communities.models import Notification, StaffAssignment
from registration.models import Report
from services.models import ServiceNeed
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
Role = StaffAssignment.Role
FORM = re.compile(r"<form\b[^>]*>", re.S)


def post_forms(html: str, action: str) -> list[str]:
    """The opening tags of the POST forms of the page that send to `action` ("": to the page itself)."""
    return [
        tag
        for tag in FORM.findall(html)
        if 'method="post"' in tag and ((f'action="{action}"' in unescape(tag)) if action else "action=" not in tag)
    ]


def assert_asks(html: str, action: str):
    forms = post_forms(html, action)
    assert forms, f"no form posts to {action}"
    for tag in forms:
        question = re.search(r'data-confirm="([^"]+)"', tag)
        assert question and question.group(1).strip(), f"the form to {action} does not ask first: {tag}"


def test_a_members_withdrawals_ask_first(client):
    community = factories.CommunityFactory()
    member = factories.MemberFactory()
    pending = factories.ReportFactory(member=member, community=community)
    old = factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    client.force_login(member.user)

    home = client.get(reverse("registration:member-home")).content.decode()
    assert_asks(home, reverse("registration:report-withdraw", args=[pending.pk]))
    assert_asks(home, reverse("registration:report-withdraw", args=[old.pk]))
    assert "撤回该报到申请？" in home and "退出该社区？" in home
    withdraw = client.get(reverse("registration:member-withdraw")).content.decode()
    assert_asks(withdraw, "")  # the page posts to itself


def test_staff_confirmation_publication_export_and_verification_ask_first(client):
    community = factories.CommunityFactory()
    staff = make_staff(Role.COMMUNITY_STAFF, community=community)
    report = factories.ReportFactory(community=community)
    draft = factories.ServiceNeedFactory(community=community, status=ServiceNeed.Status.DRAFT)
    published = factories.ServiceNeedFactory(community=community)
    record = factories.ServiceRecordFactory(community=community)
    client.force_login(staff)

    queue = client.get(reverse("registration:report-queue")).content.decode()
    assert_asks(queue, reverse("registration:report-confirm", args=[report.pk]))
    review = client.get(reverse("registration:report-review", args=[report.pk])).content.decode()
    assert_asks(review, reverse("registration:report-confirm", args=[report.pk]))
    assert_asks(review, reverse("registration:report-reject", args=[report.pk]))
    draft_page = client.get(reverse("services:staff-need-detail", args=[draft.pk])).content.decode()
    assert_asks(draft_page, reverse("services:staff-need-action", args=[draft.pk, "publish"]))
    assert_asks(draft_page, reverse("services:staff-need-action", args=[draft.pk, "delete"]))
    published_page = client.get(reverse("services:staff-need-detail", args=[published.pk])).content.decode()
    assert_asks(published_page, reverse("services:staff-need-action", args=[published.pk, "close"]))
    # A full export is requested, then downloaded once approved (registration.export_approvals): both ask first.
    requests = client.get(reverse("registration:export-requests")).content.decode()
    assert_asks(requests, "")  # the page posts the request to itself
    records = client.get(reverse("services:staff-record-queue")).content.decode()
    assert_asks(records, reverse("services:staff-record-verify", args=[record.pk]))
    assert_asks(records, reverse("services:staff-record-reject", args=[record.pk]))


def test_the_assessments_computation_and_finalisation_ask_first(client):
    client.force_login(make_staff(Role.ORG_DEPARTMENT, is_staff=True))
    page = client.get(reverse("assessment:admin")).content.decode()
    assert_asks(page, reverse("assessment:admin-run"))
    assert_asks(page, reverse("assessment:admin-finalise"))
    assert "confirm.js" in page and 'id="confirm-dialog"' in page  # the admin's pages carry the dialog too


def test_the_large_text_mode_is_switched_on_from_a_page_and_stays_on(client):
    on = client.get(reverse("communities:large-text"), {"on": "1", "next": "/find/"})
    assert on.status_code == 302 and on["Location"] == "/find/"
    assert on.cookies["large_text"].value == "1" and on.cookies["large_text"]["max-age"] >= 30 * 24 * 3600
    assert '<html lang="zh-hans" class="large-text">' in client.get("/find/").content.decode()
    assert '<html lang="zh-hans" class="large-text">' in client.get(reverse("login")).content.decode()

    off = client.get(reverse("communities:large-text"), {"on": "0", "next": "/login/"})
    assert off["Location"] == "/login/" and off.cookies["large_text"].value == ""
    assert 'class="large-text"' not in client.get("/find/").content.decode()


def test_the_large_text_toggle_goes_back_to_the_page_with_its_filters_but_never_to_another_site(client):
    back = client.get(
        reverse("communities:large-text"),
        {"on": "1", "next": "/find/"},
        HTTP_REFERER="http://testserver/find/?q=%E5%92%8C%E5%B9%B3",
    )
    assert back["Location"] == "http://testserver/find/?q=%E5%92%8C%E5%B9%B3"
    for elsewhere in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.get(reverse("communities:large-text"), {"on": "1", "next": elsewhere}, HTTP_REFERER=elsewhere)
        assert response["Location"] == reverse("home"), elsewhere


def test_every_page_links_the_toggle_and_the_favicon(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("communities:large-text")}?on=1&amp;next=/login/"' in page
    assert "长辈版" in page
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    assert finders.find("favicon.svg")


def test_an_empty_select_asks_to_choose_instead_of_dashes(client):
    page = client.get(reverse("registration:register")).content.decode()
    assert "请选择…" in page
    assert "---------" not in page


def test_the_inbox_links_label_says_how_many_messages_are_unread(client):
    member = factories.MemberFactory()
    factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    for number in range(3):
        Notification.objects.create(user=member.user, kind="test", title=f"消息{number}")
    client.force_login(member.user)
    page = client.get(reverse("registration:member-home")).content.decode()
    assert 'aria-label="消息，3 条未读"' in page
