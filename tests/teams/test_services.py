"""The teams' rules: setting up, joining, the team claiming a need and signing up for an activity as one unit
through the owning apps' services, the team's activities, and the team's figures (one definition)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from communities.models import AuditEvent
from services import services as service_ops
from services.activities import services as activity_ops
from services.activities.models import Activity, CheckIn, SignUp
from services.models import Claim, ServiceNeed, ServiceRecord
from services.teams import selectors
from services.teams import services as team_ops
from services.teams.models import Membership, TeamActivity, TeamClaim, TeamSignUp
from tests import factories
from tests.activities.helpers import activity_values, confirmed_member, make_activity
from tests.conftest import make_staff

from .helpers import make_team, team_members

pytestmark = pytest.mark.django_db
M = Membership.Status


@pytest.fixture
def community():
    return factories.CommunityFactory(name="和平里社区")


@pytest.fixture
def staff(community):
    return make_staff("community", community=community)


# --- Setting up and joining ---------------------------------------------------------------------------------------


def test_staff_set_up_a_team_whose_leader_is_its_first_member(community, staff):
    leader = confirmed_member(community)
    team = team_ops.team_create(user=staff, community=community, name="法律服务队",
                                speciality=factories.SkillFactory(name="法律"), leader=leader)
    assert list(team.memberships.values_list("member_id", "status")) == [(leader.pk, M.ACCEPTED)]
    assert AuditEvent.objects.filter(action="team_create", object_id=str(team.pk)).exists()


def test_a_team_is_refused_to_staff_of_another_community_and_a_leader_from_elsewhere(community, staff):
    other_staff = make_staff("community", community=factories.CommunityFactory())
    leader = confirmed_member(community)
    with pytest.raises(PermissionDenied):
        team_ops.team_create(user=other_staff, community=community, name="队", speciality=factories.SkillFactory(),
                             leader=leader)
    with pytest.raises(ValidationError) as error:
        team_ops.team_create(user=staff, community=community, name="队", speciality=factories.SkillFactory(),
                             leader=confirmed_member(factories.CommunityFactory()))
    assert "leader" in error.value.error_dict


def test_two_teams_of_a_community_cannot_share_a_name(community, staff):
    make_team(community, staff=staff, name="调解服务队")
    with pytest.raises(ValidationError) as error:
        make_team(community, staff=staff, name="调解服务队")
    assert "name" in error.value.error_dict


def test_a_member_applies_and_the_leader_accepts_or_declines(community, staff):
    team = make_team(community, staff=staff, size=1)
    first, second = confirmed_member(community), confirmed_member(community)
    applied = team_ops.membership_apply(member=first, team_id=team.pk)
    assert applied.status == M.APPLIED
    other = team_ops.membership_apply(member=second, team_id=team.pk)
    team_ops.membership_decide(user=team.leader.user, membership_id=applied.pk, accept=True)
    team_ops.membership_decide(user=team.leader.user, membership_id=other.pk, accept=False)
    assert dict(Membership.objects.filter(team=team).values_list("member_id", "status")) == {
        team.leader_id: M.ACCEPTED, first.pk: M.ACCEPTED, second.pk: M.DECLINED,
    }
    with pytest.raises(ValidationError):  # decided already
        team_ops.membership_decide(user=team.leader.user, membership_id=applied.pk, accept=False)


def test_only_the_leader_or_the_communitys_staff_decide(community, staff):
    team = make_team(community, staff=staff, size=2)
    applied = team_ops.membership_apply(member=confirmed_member(community), team_id=team.pk)
    with pytest.raises(PermissionDenied):
        team_ops.membership_decide(user=team_members(team)[1].user, membership_id=applied.pk, accept=True)
    team_ops.membership_decide(user=staff, membership_id=applied.pk, accept=True)


def test_an_open_team_takes_a_member_at_once_and_a_member_may_be_in_several_teams(community, staff):
    member = confirmed_member(community)
    first, second = make_team(community, staff=staff, is_open=True), make_team(community, staff=staff, is_open=True)
    for team in (first, second):
        assert team_ops.membership_apply(member=member, team_id=team.pk).status == M.ACCEPTED
    with pytest.raises(ValidationError):
        team_ops.membership_apply(member=member, team_id=first.pk)


def test_members_of_another_community_cannot_join(community, staff):
    team = make_team(community, staff=staff, is_open=True)
    with pytest.raises(ValidationError):
        team_ops.membership_apply(member=confirmed_member(factories.CommunityFactory()), team_id=team.pk)


def test_a_member_leaves_but_the_leader_stays(community, staff):
    team = make_team(community, staff=staff, size=2)
    member = team_members(team)[1]
    team_ops.membership_leave(member=member, team_id=team.pk)
    assert Membership.objects.get(team=team, member=member).status == M.LEFT
    with pytest.raises(ValidationError):
        team_ops.membership_leave(member=team.leader, team_id=team.pk)


def test_a_new_leader_becomes_a_member(community, staff):
    team = make_team(community, staff=staff, size=1)
    new_leader = confirmed_member(community)
    team_ops.team_update(user=staff, team_id=team.pk, name=team.name, speciality=team.speciality,
                         leader=new_leader, description="", is_open=False)
    assert Membership.objects.get(team=team, member=new_leader).status == M.ACCEPTED


# --- A team claims a need ----------------------------------------------------------------------------------------


def test_the_leader_assigns_members_to_a_needs_places_through_their_claims(community, staff):
    team = make_team(community, staff=staff, size=3)
    need = factories.ServiceNeedFactory(community=community, places=3)
    members = team_members(team)
    rows = team_ops.team_claim(user=team.leader.user, team_id=team.pk, need_id=need.pk,
                               member_ids=[member.pk for member in members[:2]], commitment="每周上门两次")
    assert len(rows) == 2
    claims = Claim.objects.filter(need=need)
    assert sorted(claims.values_list("member_id", flat=True)) == sorted(member.pk for member in members[:2])
    assert set(claims.values_list("commitment", flat=True)) == {"每周上门两次"}
    assert TeamClaim.objects.filter(team=team).count() == 2
    need.refresh_from_db()
    assert need.claimed_count == 2


def test_a_team_takes_all_the_places_it_asks_for_or_none(community, staff):
    team = make_team(community, staff=staff, size=3)
    need = factories.ServiceNeedFactory(community=community, places=2)
    with pytest.raises(ValidationError) as error:
        team_ops.team_claim(user=team.leader.user, team_id=team.pk, need_id=need.pk,
                            member_ids=[member.pk for member in team_members(team)], commitment="上门")
    assert "members" in error.value.error_dict
    assert not Claim.objects.filter(need=need).exists()
    need.refresh_from_db()
    assert need.claimed_count == 0


def test_one_member_who_cannot_claim_refuses_the_whole_team_claim(community, staff):
    team = make_team(community, staff=staff, size=3)
    need = factories.ServiceNeedFactory(community=community, places=3)
    first, second = team_members(team)[1:]
    service_ops.claim_create(member=second, need_id=need.pk, commitment="我自己认领")
    with pytest.raises(ValidationError) as error:
        team_ops.team_claim(user=team.leader.user, team_id=team.pk, need_id=need.pk,
                            member_ids=[first.pk, second.pk], commitment="上门")
    assert second.name in " ".join(error.value.messages)
    assert list(Claim.objects.filter(need=need).values_list("member_id", flat=True)) == [second.pk]
    assert not TeamClaim.objects.exists()


def test_the_claim_services_rules_hold_for_a_team(community, staff):
    """Ended, not published or another community's need: refused as claim_create refuses them."""
    team = make_team(community, staff=staff, size=2)
    member_ids = [team_members(team)[1].pk]
    ended = factories.ServiceNeedFactory(community=community, starts_at=timezone.now() - datetime.timedelta(days=3),
                                         ends_at=timezone.now() - datetime.timedelta(days=1))
    draft = factories.ServiceNeedFactory(community=community, status=ServiceNeed.Status.DRAFT)
    elsewhere = factories.ServiceNeedFactory()
    for need in (ended, draft, elsewhere):
        with pytest.raises(ValidationError):
            team_ops.team_claim(user=team.leader.user, team_id=team.pk, need_id=need.pk, member_ids=member_ids,
                                commitment="上门")
    with pytest.raises(ValidationError) as error:
        team_ops.team_claim(user=team.leader.user, team_id=team.pk, need_id=factories.ServiceNeedFactory(
            community=community).pk, member_ids=member_ids, commitment="  ")
    assert "commitment" in error.value.error_dict
    assert not Claim.objects.exists()


def test_only_members_of_the_team_are_assigned_and_only_by_its_leader_or_staff(community, staff):
    team = make_team(community, staff=staff, size=2)
    need = factories.ServiceNeedFactory(community=community)
    outsider = confirmed_member(community)
    with pytest.raises(ValidationError):
        team_ops.team_claim(user=team.leader.user, team_id=team.pk, need_id=need.pk, member_ids=[outsider.pk],
                            commitment="上门")
    with pytest.raises(PermissionDenied):
        team_ops.team_claim(user=team_members(team)[1].user, team_id=team.pk, need_id=need.pk,
                            member_ids=[team_members(team)[1].pk], commitment="上门")
    with pytest.raises(PermissionDenied):
        team_ops.team_claim(user=make_staff("community", community=factories.CommunityFactory()), team_id=team.pk,
                            need_id=need.pk, member_ids=[team.leader_id], commitment="上门")
    team_ops.team_claim(user=staff, team_id=team.pk, need_id=need.pk, member_ids=[team.leader_id], commitment="上门")
    assert AuditEvent.objects.filter(action="team_claim", outcome="refused").count() == 2


# --- A team signs up for an activity -----------------------------------------------------------------------------


def test_the_leader_signs_members_up_for_places_of_an_activity(community, staff):
    team = make_team(community, staff=staff, size=3)
    activity = make_activity(community, places=5)
    team_ops.team_sign_up(user=team.leader.user, team_id=team.pk, activity_id=activity.pk,
                          member_ids=[member.pk for member in team_members(team)])
    assert SignUp.objects.filter(activity=activity, status=SignUp.Status.SIGNED_UP).count() == 3
    assert TeamSignUp.objects.filter(team=team).count() == 3
    activity.refresh_from_db()
    assert activity.signed_up_count == 3


def test_a_team_takes_places_not_turns_on_the_waiting_list(community, staff):
    team = make_team(community, staff=staff, size=3)
    activity = make_activity(community, places=2)
    with pytest.raises(ValidationError):
        team_ops.team_sign_up(user=team.leader.user, team_id=team.pk, activity_id=activity.pk,
                              member_ids=[member.pk for member in team_members(team)])
    assert not SignUp.objects.filter(activity=activity).exists()


def test_the_sign_up_rules_hold_for_a_team(community, staff):
    team = make_team(community, staff=staff, size=2)
    draft = make_activity(community, status=Activity.Status.DRAFT)
    with pytest.raises(ValidationError):
        team_ops.team_sign_up(user=team.leader.user, team_id=team.pk, activity_id=draft.pk,
                              member_ids=[team.leader_id])
    activity = make_activity(community)
    activity_ops.signup_create(member=team.leader, activity_id=activity.pk)
    with pytest.raises(ValidationError):  # already signed up
        team_ops.team_sign_up(user=team.leader.user, team_id=team.pk, activity_id=activity.pk,
                              member_ids=[team.leader_id])


# --- The team's activities ------------------------------------------------------------------------------------------


def test_a_leader_creates_and_organises_the_teams_activity_but_no_other(community, staff):
    team = make_team(community, staff=staff, size=2)
    leader = team.leader.user
    [activity] = team_ops.team_activity_create(user=leader, team_id=team.pk, **activity_values())
    assert TeamActivity.objects.filter(team=team, activity=activity).exists()
    activity_ops.activity_publish(user=leader, activity_id=activity.pk)
    other = make_activity(community, status=Activity.Status.DRAFT)
    with pytest.raises(PermissionDenied):
        activity_ops.activity_publish(user=leader, activity_id=other.pk)
    with pytest.raises(PermissionDenied):
        team_ops.team_activity_create(user=team_members(team)[1].user, team_id=team.pk, **activity_values())


def test_a_leader_cannot_create_activities_in_another_community(community, staff):
    team = make_team(community, staff=staff)
    with pytest.raises(PermissionDenied):
        activity_ops.activity_create(user=team.leader.user, community=factories.CommunityFactory(),
                                     **activity_values())


# --- Figures: one definition ---------------------------------------------------------------------------------------


def test_the_teams_hours_are_its_members_verified_records_from_the_teams_work(community, staff):
    team = make_team(community, staff=staff, size=2)
    leader, member = team_members(team)
    # An ongoing need that started two days ago: open for claims, and yesterday lies in its window.
    need = factories.ServiceNeedFactory(community=community, starts_at=timezone.now() - datetime.timedelta(days=2))
    rows = team_ops.team_claim(user=staff, team_id=team.pk, need_id=need.pk, member_ids=[leader.pk, member.pk],
                               commitment="上门")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for row, hours in zip(rows, ("2", "1.5"), strict=True):
        record = service_ops.record_create(member=row.claim.member, served_on=yesterday, hours=Decimal(hours),
                                           description="上门", outcome="general", claim_id=row.claim_id)
        service_ops.record_verify(user=staff, record_id=record.pk)
    # The member's own service, not the team's, and a record waiting: neither counts for the team.
    service_ops.record_create(member=member, served_on=yesterday, hours=Decimal("3"), description="自己",
                              outcome="general", community=community)
    team = selectors.team_get(team_id=team.pk)
    assert team.hours == Decimal("3.5")
    assert team.needs_served == 1
    assert selectors.member_hours(team=team) == {leader.pk: Decimal("2"), member.pk: Decimal("1.5")}
    # The same records are the members' own: counted once for each member, never copied.
    assert ServiceRecord.objects.filter(member=member, status="verified").count() == 1


def test_a_team_activity_counts_once_closed_with_the_hours_credited(community, staff):
    team = make_team(community, staff=staff, size=2)
    start = timezone.now() + datetime.timedelta(days=1)
    activity = make_activity(community, places=4, starts_at=start, ends_at=start + datetime.timedelta(hours=2),
                             cancel_cutoff=start)
    team_ops.team_sign_up(user=team.leader.user, team_id=team.pk, activity_id=activity.pk,
                          member_ids=[member.pk for member in team_members(team)])
    present = team_members(team)[0]
    signup = SignUp.objects.get(activity=activity, member=present)
    CheckIn.objects.create(activity=activity, signup=signup, member=present, kind="entry", method="code", at=start)
    CheckIn.objects.create(activity=activity, signup=signup, member=present, kind="exit", method="code",
                           at=start + datetime.timedelta(hours=2))
    with time_machine.travel(start + datetime.timedelta(hours=2, minutes=5), tick=False):
        activity_ops.activity_close(user=staff, activity_id=activity.pk)
    team = selectors.team_get(team_id=team.pk)
    assert (team.activities_done, team.hours, team.member_count) == (1, Decimal("2"), 2)


def test_the_dashboard_tile_counts_the_teams_in_scope(community, staff):
    make_team(community, staff=staff)
    make_team(factories.CommunityFactory())
    today = timezone.localdate()
    assert selectors.team_count(communities=[community], start=today, end=today) == 1
