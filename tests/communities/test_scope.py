"""The one scope rule, for every role: which communities, units and members a user may see."""

import pytest
from django.contrib.auth.models import AnonymousUser

from communities.models import Community, StaffAssignment, Unit
from registration.models import Member, Report
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
Role = StaffAssignment.Role


def visible_communities(user):
    return set(Community.objects.visible_to(user))


def test_community_staff_see_their_community_only(city, staff_users):
    assert visible_communities(staff_users["community"]) == {city["communities"][0]}


def test_street_staff_see_the_communities_of_their_street(city, staff_users):
    assert visible_communities(staff_users["street"]) == set(city["communities"][:2])


def test_district_org_department_sees_its_district(city, staff_users):
    assert visible_communities(staff_users["org_district"]) == set(city["communities"][:4])
    assert set(Unit.objects.visible_to(staff_users["org_district"])) == {city["units"][0]}


def test_city_org_department_sees_everything(city, staff_users):
    assert visible_communities(staff_users["org_city"]) == set(city["communities"])
    assert set(Unit.objects.visible_to(staff_users["org_city"])) == set(city["units"])


def test_unit_liaison_sees_their_unit_and_no_community(city, staff_users):
    assert visible_communities(staff_users["unit"]) == set()
    assert set(Unit.objects.visible_to(staff_users["unit"])) == {city["units"][0]}


def test_superuser_sees_everything(city):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    assert visible_communities(admin) == set(city["communities"])


def test_members_anonymous_and_inactive_users_see_no_staff_scope(city):
    member = factories.MemberFactory()
    inactive = make_staff(Role.ORG_DEPARTMENT, is_staff=True)
    inactive.is_active = False
    inactive.save()
    for user in (member.user, AnonymousUser(), inactive):
        assert visible_communities(user) == set()
        assert not Unit.objects.visible_to(user).exists()
        assert not Member.objects.visible_to(user).exists()


def test_several_assignments_add_up(city):
    user = make_staff(Role.COMMUNITY_STAFF, community=city["communities"][0])
    StaffAssignment.objects.create(user=user, role=Role.COMMUNITY_STAFF, community=city["communities"][7])
    assert visible_communities(user) == {city["communities"][0], city["communities"][7]}


def test_members_visible_by_report_community_or_unit(city, staff_users):
    here = factories.ReportFactory(community=city["communities"][0], status=Report.Status.CONFIRMED).member
    pending_here = factories.ReportFactory(community=city["communities"][0], status=Report.Status.PENDING).member
    moved_away = factories.ReportFactory(community=city["communities"][0], status=Report.Status.ENDED).member
    elsewhere = factories.ReportFactory(community=city["communities"][5], status=Report.Status.CONFIRMED).member
    of_unit = factories.MemberFactory(unit=city["units"][0])

    assert set(Member.objects.visible_to(staff_users["community"])) == {here, pending_here}
    assert set(Member.objects.visible_to(staff_users["unit"])) == {of_unit}
    assert elsewhere not in Member.objects.visible_to(staff_users["street"])
    assert moved_away not in Member.objects.visible_to(staff_users["street"])
    assert set(Member.objects.visible_to(staff_users["org_city"])) == {
        here,
        pending_here,
        moved_away,
        elsewhere,
        of_unit,
    }


def test_scope_is_read_once_per_user_object(city, staff_users, django_assert_num_queries):
    user = staff_users["street"]
    with django_assert_num_queries(3):
        list(Community.objects.visible_to(user))
        list(Community.objects.visible_to(user))
        # The first call loads the assignments; the second reuses them: 1 + 2 community queries.
