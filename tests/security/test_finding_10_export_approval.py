"""Issue 19, finding 10: full exports without an approval step. A full export (ID numbers, phones, home addresses)
is requested, approved or refused by a second person whose scope covers the place, and downloaded by the requester
only while the approval lasts and downloads are left; every step is audited; the full-export alert stays."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities.models import AuditEvent, ExportRecord, StaffAssignment
from registration.export_approvals import services
from registration.export_approvals.models import ExportRequest
from registration.models import Report
from tests import factories
from tests.conftest import make_staff
from tests.registration.test_reporting_views import read_xlsx

Role = StaffAssignment.Role
REQUESTS = reverse("registration:export-requests")
QUERIES_PER_PAGE = 8  # session, user, scope, the two lists, the inbox badge; the form: the choice of communities


@pytest.fixture
def place(city):
    community = city["communities"][0]
    member = factories.MemberFactory()
    factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    elsewhere = factories.MemberFactory()
    factories.ReportFactory(member=elsewhere, community=city["communities"][1], status=Report.Status.CONFIRMED)
    return {
        "community": community,
        "member": member,
        "elsewhere": elsewhere,
        "requester": make_staff(Role.COMMUNITY_STAFF, community=community),
        "colleague": make_staff(Role.COMMUNITY_STAFF, community=community),
        "street": make_staff(Role.STREET_STAFF, street=community.street),
        "other_street": make_staff(Role.STREET_STAFF, street=city["streets"][1]),
        "other_community": make_staff(Role.COMMUNITY_STAFF, community=city["communities"][1]),
    }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def file_request(client, community, reason="核对年度台账"):
    return client.post(REQUESTS, {"community": community.pk, "kind": "member-ledger", "reason": reason})


def decide(client, export_request, *, approve=True, note="同意"):
    url = reverse("registration:export-request-decide", args=[export_request.pk])
    return client.post(url, {"approve": "1" if approve else "0", "note": note})


def download(client, export_request):
    return client.post(reverse("registration:export-request-download", args=[export_request.pk]))


def is_xlsx(response) -> bool:
    return response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_ledger_offers_a_request_instead_of_the_direct_full_export(place):
    client = logged_in(place["requester"])
    page = client.get(reverse("registration:ledger")).content.decode()
    assert reverse("registration:export-requests") in page and "申请导出完整信息" in page
    assert 'name="full"' not in page
    assert client.post(reverse("registration:ledger-export"), {"full": "1"}).status_code == 403
    assert ExportRecord.objects.count() == 0
    assert is_xlsx(client.get(reverse("registration:ledger-export")))  # the masked export stays one click


def test_the_happy_path_downloads_the_full_ledger_of_the_place_and_audits_every_step(
    place, settings, django_capture_on_commit_callbacks
):
    settings.SECURITY_ALERT_EMAILS = ["soc@example.org"]
    requester = logged_in(place["requester"])
    assert file_request(requester, place["community"]).status_code == 302
    export_request = ExportRequest.objects.get()
    assert (export_request.requester, export_request.status) == (place["requester"], "pending")
    assert is_xlsx(download(requester, export_request)) is False  # not before the approval

    approver = logged_in(place["colleague"])
    page = approver.get(REQUESTS)
    assert [item.pk for item in page.context["to_decide"]] == [export_request.pk]
    assert decide(approver, export_request, note="同意，用后销毁").status_code == 302
    export_request.refresh_from_db()
    assert (export_request.status, export_request.decided_by, export_request.note) == (
        "approved",
        place["colleague"],
        "同意，用后销毁",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = download(requester, export_request)
    rows = read_xlsx(response)
    member = place["member"]
    assert [row[0] for row in rows[3:]] == [member.name]  # this place's members only
    assert member.id_number in rows[3] and member.phone in rows[3] and member.home_address in rows[3]
    record = ExportRecord.objects.get()
    assert record.full_values is True and record.filters["request"] == export_request.pk
    assert len(mail.outbox) == 1  # the full-export alert stays

    actions = list(
        AuditEvent.objects.filter(action__startswith="export").order_by("pk").values_list("action", "outcome")
    )
    assert [action for action, outcome in actions if outcome == "success"] == [
        "export_request",
        "export_approve",
        "export_request_use",
        "export_full",
    ]
    assert ("export_request_use", "failure") in actions  # the download tried before the approval


def test_the_download_is_the_file_the_direct_full_export_gave(place):
    """The same rows and cells as the ledger's full export of a community staff member of one community."""
    from registration.ledger_export import ledger_xlsx

    direct = read_xlsx(ledger_xlsx(user=place["requester"], full=True))
    export_request = services.export_request_file(
        requester=place["requester"], community=place["community"], kind="member-ledger", reason="核对"
    )
    services.export_request_decide(approver=place["street"], request_id=export_request.pk, approve=True, note="")
    approved = read_xlsx(download(logged_in(place["requester"]), export_request))
    assert approved[2:] == direct[2:]
    assert approved[0][0] == direct[0][0]


def test_the_requester_may_not_approve_their_own_request(place):
    requester = logged_in(place["requester"])
    file_request(requester, place["community"])
    export_request = ExportRequest.objects.get()
    assert requester.get(REQUESTS).context["to_decide"] == []
    assert decide(requester, export_request).status_code == 403
    export_request.refresh_from_db()
    assert export_request.status == "pending"
    assert AuditEvent.objects.filter(action="export_approve", outcome="refused").count() == 1
    assert not is_xlsx(download(requester, export_request))


def test_the_database_refuses_a_self_decided_request(place):
    export_request = services.export_request_file(
        requester=place["requester"], community=place["community"], kind="member-ledger", reason="核对"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportRequest.objects.filter(pk=export_request.pk).update(
            status="approved", decided_by=place["requester"], decided_at=timezone.now()
        )


@pytest.mark.parametrize("outsider", ["other_street", "other_community"])
def test_an_approver_out_of_scope_is_refused_and_does_not_see_the_request(place, outsider):
    file_request(logged_in(place["requester"]), place["community"])
    export_request = ExportRequest.objects.get()
    client = logged_in(place[outsider])
    page = client.get(REQUESTS)
    assert page.context["to_decide"] == [] and page.context["recent"] == []
    assert decide(client, export_request).status_code == 403
    export_request.refresh_from_db()
    assert export_request.status == "pending"


def test_street_staff_above_the_place_may_approve_and_refuse(place):
    file_request(logged_in(place["requester"]), place["community"])
    export_request = ExportRequest.objects.get()
    street = logged_in(place["street"])
    assert [item.pk for item in street.get(REQUESTS).context["to_decide"]] == [export_request.pk]
    assert decide(street, export_request, approve=False, note="理由不充分").status_code == 302
    export_request.refresh_from_db()
    assert (export_request.status, export_request.note) == ("refused", "理由不充分")
    assert not is_xlsx(download(logged_in(place["requester"]), export_request))
    assert decide(street, export_request).status_code == 302  # decided once: a second decision changes nothing
    export_request.refresh_from_db()
    assert export_request.status == "refused"


def test_street_staff_may_not_request_a_full_export(place):
    client = logged_in(place["street"])
    assert client.get(REQUESTS).context["form"] is None
    assert file_request(client, place["community"]).status_code == 403
    with pytest.raises(PermissionDenied):
        services.export_request_file(
            requester=place["street"], community=place["community"], kind="member-ledger", reason="x"
        )
    assert ExportRequest.objects.count() == 0


def test_a_community_staff_member_may_not_request_another_community(place):
    client = logged_in(place["other_community"])
    assert file_request(client, place["community"]).status_code == 400  # not among the form's choices
    with pytest.raises(PermissionDenied):
        services.export_request_file(
            requester=place["other_community"], community=place["community"], kind="member-ledger", reason="x"
        )
    assert ExportRequest.objects.count() == 0


def test_a_double_submit_makes_one_request(place):
    client = logged_in(place["requester"])
    file_request(client, place["community"])
    file_request(client, place["community"], reason="再次提交")
    assert ExportRequest.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportRequest.objects.create(
            requester=place["requester"], community=place["community"], kind="member-ledger", reason="绕过服务"
        )


def test_a_download_after_the_approval_lapsed_is_refused(place, settings):
    settings.EXPORT_APPROVAL_HOURS = 24
    export_request = services.export_request_file(
        requester=place["requester"], community=place["community"], kind="member-ledger", reason="核对"
    )
    services.export_request_decide(approver=place["colleague"], request_id=export_request.pk, approve=True, note="")
    lapsed = timezone.now() - timedelta(hours=24, seconds=1)
    ExportRequest.objects.filter(pk=export_request.pk).update(decided_at=lapsed)
    response = download(logged_in(place["requester"]), export_request)
    assert not is_xlsx(response) and ExportRecord.objects.count() == 0
    with pytest.raises(ValidationError):
        services.export_request_use(requester=place["requester"], request_id=export_request.pk)


def test_downloads_beyond_the_count_are_refused(place, settings):
    settings.EXPORT_APPROVAL_DOWNLOADS = 2
    export_request = services.export_request_file(
        requester=place["requester"], community=place["community"], kind="member-ledger", reason="核对"
    )
    services.export_request_decide(approver=place["colleague"], request_id=export_request.pk, approve=True, note="")
    client = logged_in(place["requester"])
    assert is_xlsx(download(client, export_request)) and is_xlsx(download(client, export_request))
    assert not is_xlsx(download(client, export_request))
    assert ExportRecord.objects.count() == 2
    export_request.refresh_from_db()
    assert export_request.downloads == 2


def test_only_the_requester_may_download(place):
    export_request = services.export_request_file(
        requester=place["requester"], community=place["community"], kind="member-ledger", reason="核对"
    )
    services.export_request_decide(approver=place["colleague"], request_id=export_request.pk, approve=True, note="")
    assert download(logged_in(place["colleague"]), export_request).status_code == 403
    assert download(logged_in(place["street"]), export_request).status_code == 403
    assert ExportRecord.objects.count() == 0


def test_the_consequential_forms_ask_to_confirm(place):
    client = logged_in(place["requester"])
    page = client.get(REQUESTS).content.decode()
    assert page.count("data-confirm=") == 1  # the request form
    file_request(client, place["community"])
    export_request = ExportRequest.objects.get()
    approver_page = logged_in(place["colleague"]).get(REQUESTS).content.decode()
    decide_url = reverse("registration:export-request-decide", args=[export_request.pk])
    assert f'action="{decide_url}"' in approver_page and "data-confirm=" in approver_page.split(decide_url)[1][:300]
    services.export_request_decide(approver=place["colleague"], request_id=export_request.pk, approve=True, note="")
    download_url = reverse("registration:export-request-download", args=[export_request.pk])
    page = client.get(REQUESTS).content.decode()
    assert "data-confirm=" in page.split(download_url)[1][:300]


def test_the_requests_page_asks_a_bounded_number_of_queries(place, django_assert_max_num_queries):
    """However many requests are listed: the page's lists are one query each (requesters and approvers joined)."""
    for _ in range(4):
        requester = make_staff(Role.COMMUNITY_STAFF, community=place["community"])
        services.export_request_file(
            requester=requester, community=place["community"], kind="member-ledger", reason="核对"
        )
    client = logged_in(place["street"])
    client.get(REQUESTS)  # the session's own first-request writes
    with django_assert_max_num_queries(QUERIES_PER_PAGE):
        assert len(client.get(REQUESTS).context["to_decide"]) == 4
    client = logged_in(place["requester"])
    client.get(REQUESTS)
    with django_assert_max_num_queries(QUERIES_PER_PAGE):
        assert len(client.get(REQUESTS).context["recent"]) == 4


def test_the_approvers_in_scope_are_told_of_a_request_and_the_requester_of_the_decision(place):
    from communities.models import Notification

    file_request(logged_in(place["requester"]), place["community"])
    export_request = ExportRequest.objects.get()
    told = set(Notification.objects.filter(kind="export_request").values_list("user_id", flat=True))
    # The colleague and the street's staff; not the requester, nor staff of another street or community.
    assert told == {place["colleague"].pk, place["street"].pk}
    assert Notification.objects.filter(kind="export_request", user=place["colleague"]).first().link == REQUESTS

    before = Notification.objects.count()
    file_request(logged_in(place["requester"]), place["community"])  # a double submit tells nobody again
    assert Notification.objects.count() == before

    decide(logged_in(place["colleague"]), export_request, approve=False, note="理由不充分")
    decided = Notification.objects.get(kind="export_request_decided", channel="inbox")
    assert (decided.user, decided.body) == (place["requester"], "理由不充分")
    assert decided.title == f"您申请的{place['community'].name}完整信息导出未获批准"
