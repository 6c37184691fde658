import pytest
from django.urls import reverse
from django.utils import timezone

from registration.models import Report
from registration.rates.tallies import tally_rebuild
from tests import factories

pytestmark = pytest.mark.django_db


def test_anonymous_home_is_the_front_door_with_register_and_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.templates[0].name == "communities/front_door.html"
    page = response.content.decode()
    assert f'href="{reverse("registration:register")}"' in page and f'href="{reverse("login")}"' in page


@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("community", "registration:community-home"),
        ("street", "registration:community-home"),
        ("unit", "registration:unit-home"),
        ("org_district", "admin:index"),
        ("org_city", "admin:index"),
    ],
)
def test_home_sends_each_staff_role_to_its_place(client, staff_users, who, target):
    client.force_login(staff_users[who])
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(target)


def test_home_sends_a_member_to_the_member_home(client):
    member = factories.MemberFactory()
    client.force_login(member.user)
    assert client.get(reverse("home")).url == reverse("registration:member-home")


def test_home_sends_a_superuser_to_the_admin(client):
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("home")).url == reverse("admin:index")


def test_a_user_without_role_is_told_so(client):
    client.force_login(factories.UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "没有" in response.content.decode()


def test_login_page_logs_in_and_redirects_home(client, staff_users):
    response = client.post(
        reverse("login"), {"username": staff_users["community"].username, "password": "Test2026pass"}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_login_with_a_wrong_password_shows_an_error_in_chinese(client, staff_users):
    response = client.post(reverse("login"), {"username": staff_users["community"].username, "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_logout_ends_the_session(client, staff_users):
    client.force_login(staff_users["community"])
    client.post(reverse("logout"))
    assert client.get(reverse("registration:community-home")).status_code == 302


def test_member_home_shows_the_members_reports(client, city):
    report = factories.ReportFactory(community=city["communities"][0], status=Report.Status.CONFIRMED)
    client.force_login(report.member.user)
    page = client.get(reverse("registration:member-home")).content.decode()
    assert report.letter_number in page
    assert city["communities"][0].name in page


def test_member_home_is_refused_to_staff_without_a_member_record(client, staff_users):
    client.force_login(staff_users["community"])
    assert client.get(reverse("registration:member-home")).status_code == 403


def test_community_home_lists_only_the_communities_in_scope(client, city, staff_users):
    factories.ReportFactory(community=city["communities"][0], status=Report.Status.PENDING)
    factories.ReportFactory(community=city["communities"][3], status=Report.Status.PENDING)
    client.force_login(staff_users["community"])
    response = client.get(reverse("registration:community-home"))
    assert response.status_code == 200
    assert list(response.context["page"]) == [city["communities"][0]]
    assert response.context["page"][0].waiting_here == 1


def test_street_staff_see_the_counts_of_each_of_their_communities(client, city, staff_users):
    factories.ReportFactory(community=city["communities"][1], status=Report.Status.CONFIRMED)
    client.force_login(staff_users["street"])
    rows = {c.pk: c for c in client.get(reverse("registration:community-home")).context["page"]}
    assert set(rows) == {city["communities"][0].pk, city["communities"][1].pk}
    assert rows[city["communities"][1].pk].reported_here == 1


@pytest.mark.parametrize("who", ["unit"])
def test_staff_pages_are_refused_to_other_roles(client, staff_users, who):
    client.force_login(staff_users[who])
    assert client.get(reverse("registration:community-home")).status_code == 403


def test_staff_pages_are_refused_to_members(client):
    client.force_login(factories.MemberFactory().user)
    assert client.get(reverse("registration:community-home")).status_code == 403
    assert client.get(reverse("registration:unit-home")).status_code == 403


def test_unit_home_counts_the_liaisons_roster_only(client, city, staff_users):
    unit, other = city["units"][0], city["units"][1]
    reported = factories.RosterEntryFactory(unit=unit)
    factories.ReportFactory(
        member=factories.MemberFactory(unit=unit, roster_entry=reported), status=Report.Status.CONFIRMED
    )
    factories.RosterEntryFactory(unit=unit)
    factories.RosterEntryFactory(unit=other)
    tally_rebuild(timezone.localdate().year)  # rows made by factories, around the services that keep the tallies
    client.force_login(staff_users["unit"])
    response = client.get(reverse("registration:unit-home"))
    (row,) = response.context["page"]
    figures = row.figures
    assert row.pk == unit.pk
    assert (figures.roster, figures.registered, figures.reported, figures.not_registered) == (2, 1, 1, 1)
    assert client.get(reverse("registration:community-home")).status_code == 403


def test_community_home_query_count_does_not_grow_with_communities(client, staff_users, django_assert_max_num_queries):
    user = staff_users["org_city"]
    for _ in range(30):
        factories.ReportFactory(community=factories.CommunityFactory())
    client.force_login(user)
    # session, user, second-factor device (the session's verification), scope, page count, page rows, unread messages
    with django_assert_max_num_queries(7):
        assert client.get(reverse("registration:community-home")).status_code == 200


def test_member_home_query_count(client, django_assert_max_num_queries):
    member = factories.MemberFactory()
    for _ in range(5):
        factories.ReportFactory(member=member, status=Report.Status.ENDED)
    client.force_login(member.user)
    # session, user, the account's roles (does it need a second factor?), member with unit and roster entry,
    # reports with their places, service summary, unread messages
    with django_assert_max_num_queries(7):
        assert client.get(reverse("registration:member-home")).status_code == 200
