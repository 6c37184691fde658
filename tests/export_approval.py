"""A full ledger export the only way there is one now (issue 19, finding 10): requested, approved by a second person
in scope, downloaded by the requester. For the tests of what a full export writes (records, alerts, the file)."""

from django.urls import reverse

from communities.models import StaffAssignment
from registration.export_approvals import services
from tests.conftest import make_staff


def approved_request(requester, community, *, reason="年度报表核对"):
    export_request = services.export_request_file(
        requester=requester, community=community, kind="member-ledger", reason=reason
    )
    approver = make_staff(StaffAssignment.Role.STREET_STAFF, street=community.street)
    return services.export_request_decide(approver=approver, request_id=export_request.pk, approve=True, note="")


def full_export(client, requester, community):
    """The requester's client downloads the full ledger of `community` through an approved request."""
    export_request = approved_request(requester, community)
    return client.post(reverse("registration:export-request-download", args=[export_request.pk]))
