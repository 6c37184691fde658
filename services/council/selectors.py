"""Reads of the council: what each person may see (scope first), each page's rows prepared up front, the public
page and the figures per community (one definition each, docs/COUNCIL.md)."""

from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from communities.models import Community
from communities.platform import policies
from services.requests.models import ResidentRequest

from .models import AgendaItem, Council, CouncilMember, Meeting, PartyPosition, Resolution, ResolutionUpdate, Topic
from .policies import companies_of, memberships_of
from .workflow import MeetingStatus, ResolutionStatus, TopicStatus


def councils_for(*, user):
    """The councils whose pages this user may open: the staff's places, and the councils the user sits on."""
    if not policies.allowed("council.open_council_pages", user):
        return Council.objects.none()
    scope = policies.scope_of(user)
    councils = Council.objects.select_related("community__street", "property_company")
    if scope.sees_everything:
        return councils.order_by("community__code")
    condition = Q(pk__in=list(memberships_of(user)))
    if scope.community_ids or scope.street_ids or scope.district_ids:
        condition |= Q(community__in=Community.objects.visible_to(user))
    return councils.filter(condition).order_by("community__code")


def communities_without_council(*, user):
    """The communities this user acts for that have no council yet (community staff set one up)."""
    community_ids = policies.scope_of(user).community_ids
    return Community.objects.filter(pk__in=community_ids, council__isnull=True).order_by("code")


def council_get(*, user, council_id: int) -> Council:
    council = Council.objects.select_related("community__street", "property_company").filter(pk=council_id).first()
    if council is None or not policies.allowed("council.view_council", user, council):
        raise Http404
    return council


def council_page(*, council) -> dict:
    """Everything the council's page lists: members by party, topics, meetings, resolutions."""
    members = CouncilMember.objects.filter(council=council, is_active=True).select_related("user")
    topics = Topic.objects.filter(council=council)
    meetings = Meeting.objects.filter(council=council).annotate(topic_count=Count("items"))
    resolutions = Resolution.objects.filter(council=council).select_related("topic", "executor_company",
                                                                            "executor_user")
    return {"members": members, "topics": topics, "meetings": meetings, "resolutions": resolutions}


def meeting_get(*, user, meeting_id: int) -> Meeting:
    meeting = Meeting.objects.select_related("council__community", "council__property_company").filter(
        pk=meeting_id).first()
    if meeting is None or not policies.allowed("council.view_council", user, meeting.council):
        raise Http404
    return meeting


def meeting_items(meeting):
    return AgendaItem.objects.filter(meeting=meeting).select_related("topic", "resolution").prefetch_related(
        Prefetch("positions", queryset=PartyPosition.objects.order_by("pk")))


def meeting_attendance(meeting):
    return meeting.attendance.select_related("member__user").order_by("party", "member_id")


def resolutions_for(*, user):
    """The resolutions a person may open: of the councils they see, and those handed to them or to their company."""
    councils = councils_for(user=user)
    condition = Q(council__in=councils.values("pk")) | Q(executor_user=user) | Q(
        executor_company_id__in=list(companies_of(user)))
    return Resolution.objects.filter(condition).select_related("council__community", "topic", "executor_company",
                                                               "executor_user")


def handed_to(*, user):
    """The resolutions handed to this user or their company: the executor's list."""
    condition = Q(executor_user=user) | Q(executor_company_id__in=list(companies_of(user)))
    return Resolution.objects.filter(condition).select_related("council__community", "topic", "executor_company")


def resolution_get(*, user, resolution_id: int) -> Resolution:
    resolution = Resolution.objects.select_related(
        "council__community", "council__property_company", "topic", "executor_company", "executor_user", "item",
    ).filter(pk=resolution_id).first()
    if resolution is None or not policies.allowed("council.view_resolution", user, resolution):
        raise Http404
    return resolution


def resolution_updates(resolution):
    return ResolutionUpdate.objects.filter(resolution=resolution).select_related("by").prefetch_related("photos")


def open_requests_for_topics(*, council):
    """Open residents' requests of the council's community not yet brought to it: for the "from a request" form."""
    return ResidentRequest.objects.open().filter(community_id=council.community_id, council_topic__isnull=True
                                                 ).order_by("-received_at")


# --- The public page -------------------------------------------------------------------------------------------


def public_council(*, community) -> dict:
    """A community's council for anyone (no login): meetings with their agendas, resolutions with their progress.
    Titles, dates, places, outcomes, positions per party and percentages only: no person is named."""
    council = Council.objects.filter(community=community).first()
    if council is None:
        return {"council": None, "meetings": [], "resolutions": []}
    meetings = (
        Meeting.objects.filter(council=council).exclude(status=MeetingStatus.CANCELLED)
        .prefetch_related(Prefetch("items", queryset=AgendaItem.objects.select_related("topic")
                                   .prefetch_related("positions")))
        .order_by("-starts_at")[:20]
    )
    resolutions = (
        Resolution.objects.filter(council=council).select_related("topic")
        .prefetch_related(Prefetch("updates", queryset=ResolutionUpdate.objects.order_by("created_at", "pk")))
        .order_by("-decided_at")[:50]
    )
    return {"council": council, "meetings": list(meetings), "resolutions": list(resolutions)}


# --- Figures ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The council's figures of one community for topics raised in a year (docs/COUNCIL.md):
    topics: raised, not withdrawn; resolved: a resolution passed on them; on_time: their resolutions reported done
    on or before the due date (the last report of the work, so a sent-back one counts when redone in time);
    accepted: their resolutions accepted by the residents' representatives."""

    topics: int = 0
    resolved: int = 0
    on_time: int = 0
    accepted: int = 0


def figure_communities(*, user):
    """The communities whose figures the user sees: their scope (community, street, district or the city)."""
    return Community.objects.visible_to(user).select_related("street").order_by("code")


def figures_by_community(*, communities, year: int) -> dict[int, Figures]:
    """{community id: Figures} for these communities: two grouped queries, whatever their number."""
    community_ids = communities.values("pk")
    topics = (
        Topic.objects.filter(council__community_id__in=community_ids, created_at__year=year)
        .exclude(status=TopicStatus.WITHDRAWN)
        .values("council__community_id")
        .annotate(topics=Count("pk"), resolved=Count("pk", filter=Q(status=TopicStatus.RESOLVED)))
    )
    done_on = TruncDate("done_at", tzinfo=timezone.get_current_timezone())
    resolutions = (
        Resolution.objects.filter(council__community_id__in=community_ids, topic__created_at__year=year)
        .annotate(done_on=done_on)
        .values("council__community_id")
        .annotate(
            on_time=Count("pk", filter=Q(done_at__isnull=False, done_on__lte=F("due_on"))),
            accepted=Count("pk", filter=Q(status=ResolutionStatus.ACCEPTED)),
        )
    )
    found: dict[int, dict] = {}
    for row in topics:
        found.setdefault(row["council__community_id"], {}).update(topics=row["topics"], resolved=row["resolved"])
    for row in resolutions:
        found.setdefault(row["council__community_id"], {}).update(on_time=row["on_time"], accepted=row["accepted"])
    return {community_id: Figures(**values) for community_id, values in found.items()}
