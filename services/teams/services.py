"""Writes for teams: set up and change a team, apply and join, accept or decline, leave; and the team taking on
work as one unit, through the services of the apps that own the work (no rule restated here):
services.services.claim_create for each member assigned to a need's places, services.activities.services.
signup_create for an activity's, activity_create for the team's own activities.

Lock order: the need or the activity first (the row those services lock), then what they lock. A team takes the
places it asks for all at once or none: the places are counted under the need's (activity's) row lock before the
first member is assigned, and one transaction holds them all."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit, audit_attempt, ref
from communities.models import Community
from communities.notifications import notify
from communities.platform import policies
from registration.models import Member, Skill
from services import services as service_ops
from services.activities import services as activity_ops
from services.activities.models import Activity, SignUp
from services.models import ServiceNeed

from .audit_actions import Action
from .models import Membership, Team, TeamActivity, TeamClaim, TeamSignUp

MStatus = Membership.Status
CURRENT = (MStatus.APPLIED, MStatus.ACCEPTED)
# At most this many members assigned at once (a need or an activity with more places takes several goes).
MAX_ASSIGNED = 50


def _require(policy: str, user, obj=None):
    if not policies.allowed(policy, user, obj):
        raise PermissionDenied


def _check_leader(leader: Member, community: Community):
    if not activity_ops.may_take_part(leader, community):
        raise ValidationError({"leader": _("The leader must be a member whose report to this community is "
                                           "confirmed.")})


def team_create(*, user, community: Community, name: str, speciality: Skill, leader: Member,
                description: str = "", is_open: bool = False) -> Team:
    """Set up a community's team with its leader (a member reported there), who is its first member. Staff of
    the community. Raises PermissionDenied, ValidationError (leader not of the community, name taken). Audited."""
    with audit_attempt(action=Action.TEAM_CREATE, user=user, detail={"community_id": community.pk}):
        _require("communities.manage_community", user, community)
        _check_leader(leader, community)
        try:
            with transaction.atomic():
                team = Team.objects.create(community=community, name=name.strip(), speciality=speciality,
                                           leader=leader, description=description, is_open=is_open,
                                           created_by=user)
                Membership.objects.create(team=team, member=leader, status=MStatus.ACCEPTED,
                                          decided_at=timezone.now())
                audit(action=Action.TEAM_CREATE, user=user, obj=team, detail={"community_id": community.pk})
        except IntegrityError as error:
            raise ValidationError({"name": _("The community already has a team of this name.")}) from error
    return team


def team_update(*, user, team_id: int, name: str, speciality: Skill, leader: Member, description: str,
                is_open: bool) -> Team:
    """Change a team (staff of its community): a new leader becomes a member of it if not yet one. Audited."""
    with audit_attempt(action=Action.TEAM_UPDATE, user=user, obj=ref(Team, team_id)):
        try:
            with transaction.atomic():
                team = Team.objects.select_for_update(of=("self",)).select_related("community").get(pk=team_id)
                _require("teams.edit_team", user, team)
                _check_leader(leader, team.community)
                team.name, team.speciality, team.leader = name.strip(), speciality, leader
                team.description, team.is_open = description, is_open
                team.save()
                current = Membership.objects.filter(team=team, member=leader, status__in=CURRENT).first()
                if current is None:
                    Membership.objects.create(team=team, member=leader, status=MStatus.ACCEPTED,
                                              decided_at=timezone.now())
                elif current.status == MStatus.APPLIED:
                    current.status, current.decided_at = MStatus.ACCEPTED, timezone.now()
                    current.save(update_fields=["status", "decided_at"])
                audit(action=Action.TEAM_UPDATE, user=user, obj=team, detail={"community_id": team.community_id})
        except IntegrityError as error:
            raise ValidationError({"name": _("The community already has a team of this name.")}) from error
    return team


def _tell(user, title: str, team: Team):
    notify(kind="team", title=title, user=user, link=reverse("teams:detail", args=[team.pk]))


def membership_apply(*, member: Member, team_id: int) -> Membership:
    """Apply to a team of the community the member reported to: an open team takes the member at once, else the
    leader decides (and is told). A member may be in several teams. Raises ValidationError."""
    with transaction.atomic():
        team = Team.objects.select_for_update(of=("self",)).select_related("community", "leader__user").get(
            pk=team_id
        )
        if not activity_ops.may_take_part(member, team.community):
            raise ValidationError(_("You can join the teams of the community you have reported to."))
        if Membership.objects.filter(team=team, member=member, status__in=CURRENT).exists():
            raise ValidationError(_("You have already applied to this team or are in it."))
        accepted = team.is_open
        membership = Membership.objects.create(
            team=team, member=member, status=MStatus.ACCEPTED if accepted else MStatus.APPLIED,
            decided_at=timezone.now() if accepted else None,
        )
        if not accepted:
            _tell(team.leader.user, _("%(name)s applies to join %(team)s.") % {"name": member.name, "team": team.name},
                  team)
    return membership


def membership_decide(*, user, membership_id: int, accept: bool) -> Membership:
    """The leader (or the community's staff) accepts or declines an application; the member is told.
    Raises PermissionDenied, ValidationError (already decided)."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("team__community", "member__user")
            .get(pk=membership_id)
        )
        _require("teams.manage_team", user, membership.team)
        if membership.status != MStatus.APPLIED:
            raise ValidationError(_("This application has already been decided."))
        membership.status = MStatus.ACCEPTED if accept else MStatus.DECLINED
        membership.decided_at = timezone.now()
        membership.save(update_fields=["status", "decided_at"])
        title = _("You are in %(team)s.") if accept else _("%(team)s did not take your application this time.")
        _tell(membership.member.user, title % {"team": membership.team.name}, membership.team)
    return membership


def membership_leave(*, member: Member, team_id: int) -> Membership:
    """Leave a team (or withdraw an application). The leader stays until staff name another.
    Raises Membership.DoesNotExist, ValidationError."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",)).select_related("team")
            .get(team_id=team_id, member=member, status__in=CURRENT)
        )
        if membership.team.leader_id == member.pk:
            raise ValidationError(_("The leader stays in the team until the community names another leader."))
        membership.status = MStatus.LEFT
        membership.decided_at = timezone.now()
        membership.save(update_fields=["status", "decided_at"])
    return membership


def _assigned_members(team: Team, member_ids) -> list[Member]:
    """The members to assign, each an accepted member of the team, in primary-key order (the lock order of the
    services called for them)."""
    member_ids = sorted(set(member_ids))
    if not member_ids:
        raise ValidationError({"members": _("Choose at least one member of the team.")})
    if len(member_ids) > MAX_ASSIGNED:
        raise ValidationError({"members": _("At most %(max)s members at once.") % {"max": MAX_ASSIGNED}})
    members = list(
        Member.objects.filter(
            pk__in=member_ids, team_memberships__team=team, team_memberships__status=MStatus.ACCEPTED
        ).select_related("user").order_by("pk")
    )
    if len(members) != len(member_ids):
        raise ValidationError({"members": _("Only members of the team can be assigned.")})
    return members


def _for_member(member: Member, error: ValidationError) -> ValidationError:
    return ValidationError(_("%(name)s: %(reason)s") % {"name": member.name, "reason": " ".join(error.messages)})


def team_claim(*, user, team_id: int, need_id: int, member_ids, commitment: str) -> list[TeamClaim]:
    """The team claims a need as one unit: its leader (or the community's staff) assigns members of the team to
    its places, each through claim_create (its rules: open, not ended, the member's community, one claim per
    member, the commitment). All or none: refused when fewer places are left than members assigned, or when any
    member cannot claim. Two leaders assigning the same member: the need's row lock orders them, the second is
    refused. Raises PermissionDenied, ValidationError. Audited."""
    with audit_attempt(action=Action.TEAM_CLAIM, user=user, obj=ref(Team, team_id)), transaction.atomic():
        team = Team.objects.select_related("community").get(pk=team_id)
        _require("teams.manage_team", user, team)
        members = _assigned_members(team, member_ids)
        # The row claim_create locks, locked first, so the count below holds until every claim is written.
        need = ServiceNeed.objects.select_for_update(of=("self",)).get(pk=need_id)
        if need.community_id != team.community_id:
            raise ValidationError(_("A team claims the needs of its own community."))
        refusal = service_ops.claim_refusal(need)  # ended, full, not published: said once, for the team
        if refusal is not None:
            raise ValidationError(refusal)
        if need.places_left < len(members):
            raise ValidationError(
                {"members": _("Only %(left)s place(s) left: assign at most that many members.")
                 % {"left": need.places_left}}
            )
        rows = []
        for member in members:
            try:
                claim = service_ops.claim_create(member=member, need_id=need.pk, commitment=commitment)
            except ValidationError as error:
                if hasattr(error, "error_dict") and "commitment" in error.error_dict:
                    raise
                raise _for_member(member, error) from error
            rows.append(TeamClaim(team=team, claim=claim, assigned_by=user))
        TeamClaim.objects.bulk_create(rows)
        for row in rows:
            _tell(row.claim.member.user, _("%(team)s claimed %(need)s: you have a place.")
                  % {"team": team.name, "need": need.title}, team)
        audit(action=Action.TEAM_CLAIM, user=user, obj=team,
              detail={"community_id": team.community_id, "need_id": need.pk, "members": len(rows)})
    return rows


def team_sign_up(*, user, team_id: int, activity_id: int, member_ids) -> list[TeamSignUp]:
    """The team signs up for an activity as one unit: members of the team assigned to its places, each through
    signup_create (its rules: published, before the deadline, the member's community, one sign-up each). A team
    takes places, not turns on the waiting list: refused when fewer places are left than members assigned; all
    or none. Raises PermissionDenied, ValidationError. Audited."""
    with audit_attempt(action=Action.TEAM_SIGN_UP, user=user, obj=ref(Team, team_id)), transaction.atomic():
        team = Team.objects.select_related("community").get(pk=team_id)
        _require("teams.manage_team", user, team)
        members = _assigned_members(team, member_ids)
        activity = Activity.objects.select_for_update(of=("self",)).get(pk=activity_id)
        if activity.community_id != team.community_id:
            raise ValidationError(_("A team signs up for the activities of its own community."))
        if activity.status == Activity.Status.PUBLISHED and activity.places_left < len(members):
            raise ValidationError(
                {"members": _("Only %(left)s place(s) left: assign at most that many members.")
                 % {"left": activity.places_left}}
            )
        rows = []
        for member in members:
            try:
                signup = activity_ops.signup_create(member=member, activity_id=activity.pk)
            except ValidationError as error:
                raise _for_member(member, error) from error
            if signup.status != SignUp.Status.SIGNED_UP:  # the places were counted under the same lock
                raise ValidationError(_("The activity is full."))
            rows.append(TeamSignUp(team=team, signup=signup, assigned_by=user))
        TeamSignUp.objects.bulk_create(rows)
        for row in rows:
            _tell(row.signup.member.user, _("%(team)s signed up for %(activity)s: you have a place.")
                  % {"team": team.name, "activity": activity.title}, team)
        audit(action=Action.TEAM_SIGN_UP, user=user, obj=team,
              detail={"community_id": team.community_id, "activity_id": activity.pk, "members": len(rows)})
    return rows


def team_activity_create(*, user, team_id: int, frequency: str = "", occurrences: int = 1, **values) -> list[Activity]:
    """The team's own activity (or series), created as drafts through activity_create and linked to the team, so
    that its leader organises them (policy activities.manage_activity). Raises PermissionDenied, ValidationError."""
    with transaction.atomic():
        team = Team.objects.select_related("community").get(pk=team_id)
        _require("teams.manage_team", user, team)
        activities = activity_ops.activity_create(
            user=user, community=team.community, frequency=frequency, occurrences=occurrences, **values
        )
        TeamActivity.objects.bulk_create([TeamActivity(team=team, activity=activity) for activity in activities])
    return activities
