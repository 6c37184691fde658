"""Reads for teams. The team's figures have one definition (team_records): the verified service records that
came from the team's claims and the team's sign-ups. The same records count for each member who did the service
(they are the member's records: points, stars, time bank, assessment), so a team's hours are the sum of its
members' hours for the team, never a second count."""

import datetime
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from communities.models import Community
from services.activities.models import Activity, SignUp
from services.models import Claim, ServiceNeed, ServiceRecord
from services.services import PLACE_HOLDING

from .models import Membership, Team


def _of_team(team) -> Q:
    """ServiceRecords of the team (a Team, a team id or an OuterRef): from its claims or its sign-ups."""
    return Q(claim__team_claim__team=team) | Q(activity_signup__team_signup__team=team)


def team_records(team):
    """The team's verified service records: those of claims the team made and of sign-ups it made. The one
    definition of the team's hours; the same rows are its members' records."""
    return ServiceRecord.objects.filter(_of_team(team), status=ServiceRecord.Status.VERIFIED)


def _count(queryset, field: str):
    """A correlated COUNT(DISTINCT field) of `queryset`, 0 when none."""
    counted = queryset.order_by().annotate(one=Value(1)).values("one").annotate(n=Count(field, distinct=True))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)


def with_figures(teams):
    """Each team with `member_count`, `needs_served` (needs the team holds places on), `activities_done`
    (activities where a member it signed up attended), `hours` (team_records): subqueries, one query in all."""
    hours = (
        team_records(OuterRef("pk")).order_by().annotate(one=Value(1)).values("one").annotate(total=Sum("hours"))
    )
    return teams.annotate(
        member_count=_count(Membership.objects.filter(team=OuterRef("pk"), status=Membership.Status.ACCEPTED), "pk"),
        needs_served=_count(
            Claim.objects.filter(team_claim__team=OuterRef("pk"), status__in=PLACE_HOLDING), "need"
        ),
        activities_done=_count(
            SignUp.objects.filter(team_signup__team=OuterRef("pk"), status=SignUp.Status.ATTENDED), "activity"
        ),
        hours=Coalesce(Subquery(hours.values("total")), Value(Decimal("0"))),
    )


def team_count(*, communities, start: datetime.date, end: datetime.date) -> int:
    """The dashboard's tile: the teams of the communities in scope (set up by the end of the period)."""
    return Team.objects.filter(community__in=communities, created_at__date__lte=end).count()


def community_teams(*, community: Community):
    return with_figures(
        Team.objects.filter(community=community).select_related("speciality", "leader").order_by("name", "pk")
    )


def staff_team_list(*, user):
    return with_figures(
        Team.objects.filter(community__in=Community.objects.visible_to(user))
        .select_related("community", "speciality", "leader")
        .order_by("community__code", "name", "pk")
    )


def team_get(*, team_id: int) -> Team:
    return get_object_or_404(
        with_figures(Team.objects.select_related("community", "speciality", "leader__user")), pk=team_id
    )


def member_hours(*, team: Team) -> dict[int, Decimal]:
    """Hours each member did for the team (team_records by member)."""
    return dict(
        team_records(team).order_by().values("member_id").annotate(total=Sum("hours")).values_list("member_id", "total")
    )


def memberships(*, team: Team):
    """Current members and applications, the leader first, then by name."""
    return (
        Membership.objects.filter(team=team, status__in=(Membership.Status.APPLIED, Membership.Status.ACCEPTED))
        .select_related("member__unit")
        .order_by("status", "member__name", "pk")
    )


def member_teams(*, member):
    """The member's current memberships (applied or in), with their teams."""
    return (
        Membership.objects.filter(member=member, status__in=(Membership.Status.APPLIED, Membership.Status.ACCEPTED))
        .select_related("team")
        .order_by("team__name")
    )


def team_work(*, team: Team, limit: int = 20) -> dict:
    """What the team did: the needs it claimed and the activities it signed up for, newest first, each once; and
    the activities it organises."""
    needs = (
        ServiceNeed.objects.filter(claims__team_claim__team=team)
        .annotate(members=Count("claims", filter=Q(claims__team_claim__team=team)))
        .order_by("-starts_at", "-pk")[:limit]
    )
    activities = (
        Activity.objects.filter(signups__team_signup__team=team)
        .annotate(members=Count("signups", filter=Q(signups__team_signup__team=team)))
        .order_by("-starts_at", "-pk")[:limit]
    )
    organised = (
        Activity.objects.filter(organising_team__team=team).order_by("-starts_at", "-pk")[:limit]
    )
    return {"needs": list(needs), "activities": list(activities), "organised": list(organised)}


def open_needs_for(*, team: Team):
    """Needs of the team's community open for claims now."""
    return ServiceNeed.objects.filter(community_id=team.community_id).open_for_claims(timezone.now()).order_by(
        "starts_at", "pk"
    )


def open_activities_for(*, team: Team):
    """Activities of the team's community open for sign-up now, with a place left."""
    now = timezone.now()
    return Activity.objects.filter(
        community_id=team.community_id, status=Activity.Status.PUBLISHED, starts_at__gt=now,
        signup_deadline__gte=now,
    ).order_by("starts_at", "pk")
