"""The teams' pages through the test client: the members' list and a team's page, applying, the leader's claim and
sign-up for the team, the team's activity, staff's pages, the public page and the dashboard tile; who may open
what, and query ceilings."""

import pytest
from django.urls import reverse

from services.activities.models import Activity, SignUp
from services.models import Claim
from services.teams.models import Membership, Team, TeamActivity
from tests import factories
from tests.activities.helpers import activity_values, confirmed_member, make_activity
from tests.conftest import make_staff

from .helpers import make_team, team_members

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return factories.CommunityFactory(name="卧虎湾社区")


@pytest.fixture
def staff(community):
    return make_staff("community", community=community)


@pytest.fixture
def team(community, staff):
    return make_team(community, staff=staff, size=3)


def test_members_see_their_communitys_teams_and_apply(client, community, team):
    member = confirmed_member(community)
    client.force_login(member.user)
    page = client.get(reverse("teams:list")).content.decode()
    assert team.name in page
    assert team.name in client.get(reverse("teams:detail", args=[team.pk])).content.decode()
    client.post(reverse("teams:apply", args=[team.pk]))
    assert Membership.objects.get(team=team, member=member).status == Membership.Status.APPLIED


def test_a_team_of_another_community_is_not_found(client, team):
    client.force_login(confirmed_member(factories.CommunityFactory()).user)
    assert client.get(reverse("teams:detail", args=[team.pk])).status_code == 404
    assert client.post(reverse("teams:apply", args=[team.pk])).status_code == 302
    assert not Membership.objects.filter(team=team, member__user__username="nobody").exists()


def test_the_leader_accepts_an_application_from_the_teams_page(client, community, team):
    applied = Membership.objects.create(team=team, member=confirmed_member(community))
    client.force_login(team.leader.user)
    assert "接受" in client.get(reverse("teams:detail", args=[team.pk])).content.decode()
    client.post(reverse("teams:decide", args=[applied.pk, "accept"]))
    applied.refresh_from_db()
    assert applied.status == Membership.Status.ACCEPTED


def test_a_member_who_is_not_the_leader_cannot_decide_or_assign(client, community, team):
    applied = Membership.objects.create(team=team, member=confirmed_member(community))
    client.force_login(team_members(team)[1].user)
    assert client.post(reverse("teams:decide", args=[applied.pk, "accept"])).status_code == 403
    assert client.get(reverse("teams:claim", args=[team.pk])).status_code == 403
    assert client.get(reverse("teams:sign-up", args=[team.pk])).status_code == 403
    assert client.get(reverse("teams:activity-create", args=[team.pk])).status_code == 403
    applied.refresh_from_db()
    assert applied.status == Membership.Status.APPLIED


def test_the_leader_claims_a_need_for_the_team(client, community, team):
    need = factories.ServiceNeedFactory(community=community, places=2)
    client.force_login(team.leader.user)
    members = team_members(team)[:2]
    response = client.post(reverse("teams:claim", args=[team.pk]), {
        "need": need.pk, "members": [member.pk for member in members], "commitment": "每周上门",
    })
    assert response.status_code == 302
    assert Claim.objects.filter(need=need, team_claim__team=team).count() == 2


def test_a_team_claim_for_too_many_members_is_refused_next_to_the_field(client, community, team):
    need = factories.ServiceNeedFactory(community=community, places=2)
    client.force_login(team.leader.user)
    response = client.post(reverse("teams:claim", args=[team.pk]), {
        "need": need.pk, "members": [member.pk for member in team_members(team)], "commitment": "每周上门",
    })
    assert response.status_code == 200
    assert "members" in response.context["form"].errors
    assert not Claim.objects.exists()


def test_the_leader_signs_the_team_up_for_an_activity(client, community, team):
    activity = make_activity(community, places=5)
    client.force_login(team.leader.user)
    client.post(reverse("teams:sign-up", args=[team.pk]),
                {"activity": activity.pk, "members": [member.pk for member in team_members(team)]})
    assert SignUp.objects.filter(activity=activity, team_signup__team=team).count() == 3


def test_the_leader_creates_the_teams_activity_and_opens_its_organisers_page(client, community, team):
    client.force_login(team.leader.user)
    values = activity_values()
    data = {name: value for name, value in values.items() if value is not None}
    for name in ("starts_at", "ends_at", "cancel_cutoff"):
        data[name] = data[name].astimezone().strftime("%Y-%m-%dT%H:%M")
    data.update({"frequency": "", "occurrences": 1})
    response = client.post(reverse("teams:activity-create", args=[team.pk]), data)
    activity = TeamActivity.objects.get(team=team).activity
    assert response.status_code == 302
    assert client.get(reverse("activities:staff-detail", args=[activity.pk])).status_code == 200
    team_page = client.get(reverse("teams:detail", args=[team.pk])).content.decode()
    assert reverse("activities:staff-detail", args=[activity.pk]) in team_page
    client.post(reverse("activities:staff-action", args=[activity.pk, "publish"]))
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PUBLISHED
    other = make_activity(community, status=Activity.Status.DRAFT)
    assert client.get(reverse("activities:staff-detail", args=[other.pk])).status_code == 404
    assert client.post(reverse("activities:staff-action", args=[other.pk, "publish"])).status_code == 404


def test_staff_set_up_a_team(client, community, staff):
    leader = confirmed_member(community)
    skill = factories.SkillFactory(name="医疗")
    client.force_login(staff)
    response = client.post(reverse("teams:staff-create"), {
        "name": "医疗服务队", "speciality": skill.pk, "leader": leader.pk, "description": "义诊", "is_open": "on",
    })
    team = Team.objects.get()
    assert response.status_code == 302
    assert (team.leader, team.is_open, team.community) == (leader, True, community)


def test_a_leader_from_another_community_cannot_be_chosen(client, community, staff):
    client.force_login(staff)
    response = client.post(reverse("teams:staff-create"), {
        "name": "医疗服务队", "speciality": factories.SkillFactory().pk,
        "leader": confirmed_member(factories.CommunityFactory()).pk,
    })
    assert "leader" in response.context["form"].errors
    assert not Team.objects.exists()


def test_members_and_other_communities_staff_cannot_open_the_staff_pages(client, community, team):
    client.force_login(confirmed_member(community).user)
    assert client.get(reverse("teams:staff-list")).status_code == 403
    assert client.get(reverse("teams:staff-create")).status_code == 403
    client.force_login(make_staff("community", community=factories.CommunityFactory()))
    assert client.get(reverse("teams:staff-edit", args=[team.pk])).status_code == 403
    assert team.name not in client.get(reverse("teams:staff-list")).content.decode()


def test_the_public_page_lists_the_teams_and_what_they_did_without_names(client, community, team):
    need = factories.ServiceNeedFactory(community=community)
    from services.teams import services as team_ops

    team_ops.team_claim(user=team.leader.user, team_id=team.pk, need_id=need.pk, member_ids=[team.leader_id],
                        commitment="上门")
    page = client.get(reverse("teams:public-list", args=[community.code])).content.decode()
    assert team.name in page
    assert team.leader.name not in page
    assert "1 项需求" in page


def test_the_dashboard_shows_the_teams_tile(client, community, staff, team):
    client.force_login(staff)
    response = client.get(reverse("services:staff-dashboard"))
    assert [tile["value"] for tile in response.context["figures"]["tiles"] if tile["key"] == "teams"] == [1]
    assert "服务队" in response.content.decode()


@pytest.mark.parametrize("count", [2, 12])
def test_the_teams_pages_query_counts_are_fixed(client, community, staff, count, django_assert_max_num_queries):
    teams = [make_team(community, staff=staff, size=3) for _ in range(count)]
    member = team_members(teams[0])[1]
    client.force_login(member.user)
    # session, user, scope (tabs), member with community, memberships, teams with figures, unread notifications
    with django_assert_max_num_queries(7):
        client.get(reverse("teams:list"))
    # session, user, scope, member with community, team with figures, the report check (may view), policies
    # (led teams, staff), memberships, member hours, needs, activities, organised activities, unread notifications
    with django_assert_max_num_queries(13):
        client.get(reverse("teams:detail", args=[teams[0].pk]))
    client.force_login(staff)
    # session, user, scope, teams with figures, unread notifications
    with django_assert_max_num_queries(5):
        client.get(reverse("teams:staff-list"))
    client.logout()
    # the community (then cached), teams with figures
    with django_assert_max_num_queries(2):
        client.get(reverse("teams:public-list", args=[community.code]))
