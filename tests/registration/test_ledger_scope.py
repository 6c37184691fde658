"""The ledger's rows, order and count for every scope: the selector counts reports and skips the
community filter for the city, so these pin that the page still shows exactly the same members."""

import pytest
from django.urls import reverse

from registration.models import Report
from tests import factories


@pytest.fixture
def ledger_city(city):
    """Per community: two confirmed members sharing a name (order falls to pk), one pending, one ended."""
    confirmed = []
    for community in city["communities"]:
        for name in ("王芳", "王芳", "李娜"):
            member = factories.MemberFactory(name=name)
            factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
            confirmed.append((member, community))
        factories.ReportFactory(community=community, status=Report.Status.PENDING)
        factories.ReportFactory(community=community, status=Report.Status.ENDED)
    return confirmed


def expected_rows(confirmed, communities):
    members = [member for member, community in confirmed if community in communities]
    return sorted(members, key=lambda member: (member.name, member.pk))


@pytest.mark.parametrize(
    ("role", "communities_of"),
    [
        ("community", lambda city: city["communities"][:1]),
        ("street", lambda city: city["communities"][:2]),
        ("org_district", lambda city: city["communities"][:4]),
        ("org_city", lambda city: city["communities"]),
    ],
)
def test_each_scope_lists_its_confirmed_members_by_name_then_id(
    client, city, staff_users, ledger_city, role, communities_of, django_assert_max_num_queries
):
    expected = expected_rows(ledger_city, communities_of(city))
    client.force_login(staff_users[role])
    # session, user, second-factor device (org staff), scope, count, rows, skills prefetch,
    # confirmed communities, inbox badge
    with django_assert_max_num_queries(9):
        response = client.get(reverse("registration:ledger"))
    page = response.context["page"]
    assert list(page) == expected
    assert page.paginator.count == len(expected)
    shown = {member.pk: member.confirmed_report.community for member in page}
    assert shown == {member.pk: community for member, community in ledger_city if member in expected}


@pytest.mark.parametrize("role", ["street", "org_city"])
def test_a_search_in_a_wide_scope_counts_only_what_it_finds(client, staff_users, ledger_city, role):
    client.force_login(staff_users[role])
    page = client.post(reverse("registration:ledger"), {"q": "李"}, follow=True).context["page"]
    assert [member.name for member in page] == ["李娜"] * len(page)
    assert page.paginator.count == len(page) > 0


def test_a_name_search_lists_its_matches_in_the_ledgers_order(client, city, staff_users, ledger_city):
    # Searched, the order is written as an expression (registration.selectors.ledger_list): still name, then id.
    for name in ("张芳", "陈芳", "张芳"):
        member = factories.MemberFactory(name=name)
        factories.ReportFactory(member=member, community=city["communities"][0], status=Report.Status.CONFIRMED)
    client.force_login(staff_users["org_city"])
    everyone = list(client.get(reverse("registration:ledger")).context["page"])
    found = list(client.post(reverse("registration:ledger"), {"q": "芳"}, follow=True).context["page"])
    assert found == [member for member in everyone if "芳" in member.name]
    assert {member.name for member in found} == {"王芳", "张芳", "陈芳"}
