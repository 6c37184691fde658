"""Reads of the export approvals: querysets, scoped to the user."""

from django.db.models import Q

from communities.models import Community
from communities.platform.policies import scope_of

from .models import ExportRequest


def requests_visible_to(*, user):
    """The user's own requests and the requests of the places the user's scope covers (to decide them), newest
    first. A request of a place outside the scope is invisible, as if it did not exist."""
    requests = ExportRequest.objects.select_related("community", "requester", "decided_by")
    if scope_of(user).sees_everything:
        return requests
    return requests.filter(Q(requester=user) | Q(community__in=Community.objects.visible_to(user)))


def requests_to_decide(*, user):
    """Pending requests of others in the user's scope."""
    return requests_visible_to(user=user).filter(status=ExportRequest.Status.PENDING).exclude(requester=user)


def communities_to_request(*, user):
    """The places the user may request a full export of: their own communities as community staff. (A superuser's
    service call may name any community; the page offers a superuser only the communities assigned to them, not the
    whole city in one list.)"""
    return Community.objects.filter(pk__in=scope_of(user).community_ids)
