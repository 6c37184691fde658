"""Pages for teams: the community's teams (members), a team's page with joining and, for its leader, applications,
claiming a need and signing up for an activity as a team, the team's own activities; staff set teams up; the
public page of a community's teams and what they did."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities import public_pages
from communities.models import Community
from communities.platform import policies
from communities.platform.web import apply_service_errors
from registration.models import Member
from services.activities import services as activity_ops
from services.activities.forms import ActivityForm
from services.activities.selectors import with_shown
from services.selectors import community_get_public, member_and_home_for_user

from . import selectors, services
from .forms import TeamClaimForm, TeamForm, TeamSignUpForm
from .models import Membership, Team


def _member(user):
    policies.require("teams.take_part", user)
    member, home = member_and_home_for_user(user=user)
    return member, home


@login_required
def team_list(request):
    """The teams of the member's community, and the member's own."""
    member, home = _member(request.user)
    if member is None:
        raise PermissionDenied
    mine = {membership.team_id: membership for membership in selectors.member_teams(member=member)}
    teams = list(selectors.community_teams(community=home)) if home else []
    for team in teams:
        team.my_membership = mine.get(team.pk)
    context = {"home_community": home, "teams": teams}
    return render(request, "teams/team_list.html", context)


def _may_view(user, member, team: Team) -> bool:
    """Members of the team's community, and staff whose scope holds it."""
    if member is not None and activity_ops.may_take_part(member, team.community):
        return True
    return Community.objects.visible_to(user).filter(pk=team.community_id).exists()


@login_required
def team_detail(request, team_id: int):
    member, _home = _member(request.user)
    team = selectors.team_get(team_id=team_id)
    if not _may_view(request.user, member, team):
        raise Http404
    can_manage = policies.allowed("teams.manage_team", request.user, team)
    rows = list(selectors.memberships(team=team))
    mine = next((row for row in rows if member is not None and row.member_id == member.pk), None)
    hours = selectors.member_hours(team=team)
    for row in rows:
        row.hours = hours.get(row.member_id, 0)
    context = {
        "team": team,
        "rows": rows,
        "mine": mine,
        "can_manage": can_manage,
        "can_edit": policies.allowed("teams.edit_team", request.user, team),
        "can_apply": member is not None and mine is None and activity_ops.may_take_part(member, team.community),
        **selectors.team_work(team=team),
    }
    context["organised"] = with_shown(context["organised"])
    return render(request, "teams/team_detail.html", context)


@login_required
@require_POST
def team_apply(request, team_id: int):
    member, _home = _member(request.user)
    if member is None:
        raise PermissionDenied
    try:
        membership = services.membership_apply(member=member, team_id=team_id)
    except Team.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if membership.status == Membership.Status.ACCEPTED:
            messages.success(request, _("You are in the team."))
        else:
            messages.success(request, _("Applied: the team's leader decides."))
    return redirect("teams:detail", team_id=team_id)


@login_required
@require_POST
def team_leave(request, team_id: int):
    member, _home = _member(request.user)
    if member is None:
        raise PermissionDenied
    try:
        services.membership_leave(member=member, team_id=team_id)
    except Membership.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You have left the team."))
    return redirect("teams:detail", team_id=team_id)


@login_required
@require_POST
def membership_decide(request, membership_id: int, decision: str):
    if decision not in ("accept", "decline"):
        raise Http404
    membership = Membership.objects.select_related("team").filter(pk=membership_id).first()
    if membership is None:
        raise Http404
    try:
        services.membership_decide(user=request.user, membership_id=membership.pk, accept=decision == "accept")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Accepted.") if decision == "accept" else _("Declined."))
    return redirect("teams:detail", team_id=membership.team_id)


def _managed_team(user, team_id: int) -> Team:
    team = selectors.team_get(team_id=team_id)
    policies.require("teams.manage_team", user, team)
    return team


def _team_members(team: Team):
    return Member.objects.filter(
        team_memberships__team=team, team_memberships__status=Membership.Status.ACCEPTED
    ).order_by("name", "pk")


@login_required
@require_http_methods(["GET", "POST"])
def team_claim(request, team_id: int):
    """The leader claims a need for the team and assigns members to its places."""
    team = _managed_team(request.user, team_id)
    form = TeamClaimForm(request.POST or None, needs=selectors.open_needs_for(team=team),
                         members=_team_members(team))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rows = services.team_claim(user=request.user, team_id=team.pk, need_id=data["need"].pk,
                                       member_ids=[member.pk for member in data["members"]],
                                       commitment=data["commitment"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The team claimed %(need)s: %(count)s member(s) assigned.")
                             % {"need": data["need"].title, "count": len(rows)})
            return redirect("teams:detail", team_id=team.pk)
    return render(request, "teams/team_assign.html", {"team": team, "form": form, "kind": "claim"})


@login_required
@require_http_methods(["GET", "POST"])
def team_sign_up(request, team_id: int):
    """The leader signs the team up for an activity and assigns members to its places."""
    team = _managed_team(request.user, team_id)
    form = TeamSignUpForm(request.POST or None, activities=selectors.open_activities_for(team=team),
                          members=_team_members(team))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rows = services.team_sign_up(user=request.user, team_id=team.pk, activity_id=data["activity"].pk,
                                         member_ids=[member.pk for member in data["members"]])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The team signed up for %(activity)s: %(count)s member(s) assigned.")
                             % {"activity": data["activity"].title, "count": len(rows)})
            return redirect("teams:detail", team_id=team.pk)
    return render(request, "teams/team_assign.html", {"team": team, "form": form, "kind": "sign_up"})


@login_required
@require_http_methods(["GET", "POST"])
def team_activity_create(request, team_id: int):
    """The leader creates an activity of the team (a draft the leader then publishes and organises)."""
    team = _managed_team(request.user, team_id)
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {name: data[name] for name in activity_ops.ACTIVITY_FIELDS}
        try:
            created = services.team_activity_create(
                user=request.user, team_id=team.pk, frequency=data["frequency"], occurrences=data["occurrences"],
                **values,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved %(count)s draft(s). Publish each when it is ready.")
                             % {"count": len(created)})
            return redirect("activities:staff-detail", activity_id=created[0].pk)
    return render(request, "teams/team_activity_form.html", {"team": team, "form": form})


# --- Staff ----------------------------------------------------------------------------------------------------------


@login_required
def staff_list(request):
    policies.require("communities.open_staff_pages", request.user)
    context = {"teams": list(selectors.staff_team_list(user=request.user)[:200]),
               "can_post": policies.allowed("teams.post_team", request.user)}
    return render(request, "teams/staff_list.html", context)


def _staff_community(user) -> Community:
    policies.require("teams.post_team", user)
    community = Community.objects.filter(pk__in=policies.scope_of(user).community_ids).order_by("code").first()
    if community is None:
        raise PermissionDenied
    return community


@login_required
@require_http_methods(["GET", "POST"])
def staff_create(request):
    community = _staff_community(request.user)
    form = TeamForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(user=request.user, community=community, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The team is set up."))
            return redirect("teams:detail", team_id=team.pk)
    return render(request, "teams/staff_form.html", {"form": form, "community": community})


@login_required
@require_http_methods(["GET", "POST"])
def staff_edit(request, team_id: int):
    team = selectors.team_get(team_id=team_id)
    policies.require("teams.edit_team", request.user, team)
    form = TeamForm(request.POST or None, instance=team, community=team.community)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(user=request.user, team_id=team.pk, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The team is saved."))
            return redirect("teams:detail", team_id=team.pk)
    return render(request, "teams/staff_form.html", {"form": form, "community": team.community, "team": team})


# --- Public ---------------------------------------------------------------------------------------------------------


def public_list(request, code: str):
    """A community's teams and what they did, for anyone (no login): speciality, members, needs served,
    activities done, hours. No member is named."""
    community = public_pages.cached(f"community:{code}", get=lambda: community_get_public(code=code))
    return render(request, "teams/public_list.html",
                  {"community": community, "teams": list(selectors.community_teams(community=community))})
