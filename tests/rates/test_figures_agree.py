"""Every screen that shows a figure of one place shows the same number under the same label (docs/RATES.md), every
table's columns add up to its roster and its total row to the sum of its rows; street staff see their street's
rates, and only theirs."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from registration import services
from registration.models import Report
from registration.rates.tallies import tally_differences, tally_rebuild
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
QUEUE = reverse("registration:report-queue")
OVERVIEW = reverse("registration:community-home")
STREET_RATES = reverse("street-rates:places")
FIGURES = ("roster", "reported", "pending", "registered_not_reported", "not_registered", "rate")


def person(unit, expected, state, *, at=None):
    """A roster entry of `unit` expected at `expected`; registered, and with a report at `at` (default: the expected
    community) in the given state, as far as `state` goes."""
    entry = factories.RosterEntryFactory(unit=unit, community=expected)
    if state == "not_registered":
        return entry
    member = factories.MemberFactory(unit=unit, roster_entry=entry)
    if state != "registered":
        status = {"reported": Report.Status.CONFIRMED, "pending": Report.Status.PENDING}.get(state, state)
        reason = "不符" if status == Report.Status.REJECTED else ""
        factories.ReportFactory(member=member, community=at or expected, status=status, reject_reason=reason)
    return member


@pytest.fixture
def town():
    """A street with communities A and B, another street with C, two units; people in every state, some expected
    at one community and reporting at another, some on no roster, one changing community; loaded around the
    services and counted once, as the demo builder does, then one report confirmed through the service."""
    s0, s1 = factories.StreetFactory(), factories.StreetFactory()
    a, b = factories.CommunityFactory(street=s0), factories.CommunityFactory(street=s0)
    c = factories.CommunityFactory(street=s1)
    u0, u1 = factories.UnitFactory(district=s0.district), factories.UnitFactory(district=s0.district)
    for _ in range(3):
        person(u0, a, "reported")
    person(u0, a, "reported", at=b)  # expected at A, reported at B
    to_confirm = person(u0, a, "pending")
    person(u0, a, "pending")
    person(u0, a, "pending", at=b)  # expected at A, waiting at B
    person(u0, a, "rejected")
    person(u0, a, "registered")
    person(u0, a, "not_registered")
    person(u0, a, "not_registered")
    for _ in range(2):
        person(u1, b, "reported")
    person(u1, b, "not_registered")
    person(u1, b, "reported", at=a)  # expected at B, reported at A
    moving = person(u1, b, "reported")
    factories.ReportFactory(member=moving, community=a)  # a change of community to A, waiting
    off_roster = factories.MemberFactory(unit=u0)
    factories.ReportFactory(member=off_roster, community=a, status=Report.Status.CONFIRMED)
    factories.ReportFactory(member=factories.MemberFactory(unit=u0), community=a)  # on no roster, waiting at A
    person(u1, c, "reported")
    person(u1, None, "not_registered")  # its unit named no community yet
    tally_rebuild(YEAR)
    a_staff = make_staff("community", community=a)
    services.report_confirm(report_id=to_confirm.reports.get().pk, user=a_staff)
    assert tally_differences(YEAR) == []
    return {
        "streets": (s0, s1),
        "communities": (a, b, c),
        "units": (u0, u1),
        "users": {
            "community": a_staff,
            "street": make_staff("street", street=s0),
            "other_street": make_staff("street", street=s1),
            "org": make_staff("org", is_staff=True),
            "unit": make_staff("unit", unit=u0),
        },
    }


def as_(client, user):
    client.force_login(user)
    return client


def of(row) -> tuple:
    return tuple(getattr(row, field) for field in FIGURES)


def read_sheet(response):
    assert response.status_code == 200
    return [list(row) for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]


def sheet_row(sheet, name, first=0):
    (row,) = [row for row in sheet[3:] if row[first] == name]
    return row


def from_sheet(numbers) -> tuple:
    """(roster, reported, pending, registered not reported, not registered, rate) from a sheet's columns."""
    *counts, rate = numbers[:6]
    return (*counts, None if rate is None else Decimal(str(rate)))


def adds_up(row) -> bool:
    return row.reported + row.pending + row.registered_not_reported + row.not_registered == row.roster


def test_a_communitys_figures_are_the_same_on_every_screen(client, town):
    a, b, _c = town["communities"]
    s0 = town["streets"][0]
    users = town["users"]
    # The admin's street level and its exports (the organisation department).
    org = as_(client, users["org"])
    admin_rows = {
        line.row.pk: line.row for line in org.get(reverse("rates:places"), {"street": s0.pk}).context["lines"]
    }
    expected = of(admin_rows[a.pk])
    # Known: A expects 11 people; 5 of them reported (one at B), 2 wait (one at B), 2 registered only, 2 never did.
    assert expected == (11, 5, 2, 2, 2, Decimal("45.4"))
    places_sheet = read_sheet(org.get(reverse("rates:places"), {"street": s0.pk, "export": "xlsx"}))
    assert from_sheet(sheet_row(places_sheet, a.name)[2:]) == expected
    all_sheet = read_sheet(org.get(reverse("rates:all-communities-export")))
    assert from_sheet(sheet_row(all_sheet, a.name, first=2)[4:]) == expected
    breakdown = org.get(reverse("rates:community", args=[a.pk])).context
    assert of(breakdown["figures"]) == expected
    tabs = {tab["key"]: tab["count"] for tab in breakdown["tabs"]}
    assert (tabs["all"], tabs["reported"], tabs["pending"], tabs["registered"], tabs["not_registered"]) == expected[:5]
    # Street staff: their rate page, the community's page and the overview.
    street = as_(client, users["street"])
    street_rows = {line.row.pk: line.row for line in street.get(STREET_RATES).context["lines"]}
    assert of(street_rows[a.pk]) == expected
    street_breakdown = street.get(reverse("street-rates:community", args=[a.pk])).context
    assert of(street_breakdown["figures"]) == expected
    assert {tab["key"]: tab["count"] for tab in street_breakdown["tabs"]} == tabs
    overview = {community.pk: community for community in street.get(OVERVIEW).context["rows"]}
    assert of(overview[a.pk].figures) == expected
    # The reports A holds, a figure of its own under its own label: members reported at A whatever their roster
    # (3 of its own, one expected at B, one on no roster, the one just confirmed) and the reports waiting at A.
    reported_here, waiting_here = overview[a.pk].reported_here, overview[a.pk].waiting_here
    assert (reported_here, waiting_here) == (6, 3)
    assert street.get(QUEUE, {"community": a.pk}).context["page"].paginator.count == waiting_here
    street_dashboard = street.get(reverse("services:staff-dashboard")).context["figures"]
    assert street_dashboard["members_reported"] == overview[a.pk].reported_here + overview[b.pk].reported_here
    # Community staff of A: the reports it holds, on the overview, the queue, the dashboard and the ledger.
    staff = as_(client, users["community"])
    (own,) = staff.get(OVERVIEW).context["rows"]
    assert (own.reported_here, own.waiting_here) == (reported_here, waiting_here)
    assert staff.get(QUEUE).context["page"].paginator.count == waiting_here
    assert staff.get(reverse("services:staff-dashboard")).context["figures"]["members_reported"] == reported_here
    assert staff.get(reverse("registration:ledger")).context["page"].paginator.count == reported_here


def test_a_units_figures_are_the_same_on_every_screen(client, town):
    u0 = town["units"][0]
    org = as_(client, town["users"]["org"])
    admin_rows = {line.row.pk: line.row for line in org.get(reverse("rates:units")).context["lines"]}
    expected = of(admin_rows[u0.pk])
    assert expected == (11, 5, 2, 2, 2, Decimal("45.4"))
    sheet = read_sheet(org.get(reverse("rates:units"), {"export": "xlsx"}))
    assert from_sheet(sheet_row(sheet, u0.name)[3:]) == expected
    liaison = as_(client, town["users"]["unit"])
    (home_row,) = liaison.get(reverse("registration:unit-home")).context["rows"]
    assert of(home_row.figures) == expected
    roster_url = reverse("registration:unit-roster", args=[u0.pk])
    assert of(liaison.get(roster_url).context["summary"]) == expected
    listed = {
        status: liaison.get(roster_url, {"status": status}).context["page"].paginator.count
        for status in ("", "reported", "pending", "registered", "not_registered")
    }
    assert tuple(listed.values()) == expected[:5]


@pytest.mark.parametrize(
    "who, url, params",
    [
        ("org", "rates:places", {}),
        ("org", "rates:places", {"street": "s0"}),
        ("org", "rates:units", {}),
        ("street", "street-rates:places", {}),
        ("street", "registration:community-home", {}),
        ("unit", "registration:unit-home", {}),
    ],
)
def test_every_table_adds_up_and_its_total_is_the_sum_of_its_rows(client, town, who, url, params):
    params = {key: town["streets"][0].pk if value == "s0" else value for key, value in params.items()}
    context = as_(client, town["users"][who]).get(reverse(url), params).context
    if "lines" in context:
        rows = [line.row for line in context["lines"]]
        total = context.get("total")
    else:
        rows = [place.figures for place in context["rows"]]
        total = context.get("total") and context["total"]["figures"]
    assert rows and all(adds_up(row) for row in rows)
    if total is not None:
        assert adds_up(total)
        for field in FIGURES[:-1]:
            assert getattr(total, field) == sum(getattr(row, field) for row in rows), field


def test_the_overview_total_row_sums_the_communities_and_both_groups_of_figures(client, town):
    context = as_(client, town["users"]["street"]).get(OVERVIEW).context
    total = context["total"]
    assert total["reported_here"] == sum(community.reported_here for community in context["rows"])
    assert total["waiting_here"] == sum(community.waiting_here for community in context["rows"])
    page = client.get(OVERVIEW).content.decode()
    assert 'data-total="1"' in page
    assert f"{QUEUE}?community={town['communities'][0].pk}" in page  # each waiting figure opens its own queue


# --- Street staff's rates: theirs, and only theirs ---------------------------------------------------------------


def test_street_staff_see_their_streets_communities_with_links_down(client, town):
    a, b, c = town["communities"]
    street = as_(client, town["users"]["street"])
    response = street.get(STREET_RATES)
    assert response.status_code == 200
    in_code_order = [community.pk for community in sorted([a, b], key=lambda community: community.code)]
    assert [line.row.pk for line in response.context["lines"]] == in_code_order
    page = response.content.decode()
    community_url = reverse("street-rates:community", args=[a.pk])
    assert f"{community_url}?year={YEAR}&amp;status=pending" in page
    assert f"{community_url}?year={YEAR}&amp;status=registered" in page
    assert c.name not in page
    breakdown = street.get(community_url, {"status": "not_registered"})
    assert breakdown.status_code == 200
    assert f"{QUEUE}?community={a.pk}" in breakdown.content.decode()
    assert all(not entry.is_registered for entry in breakdown.context["page"])


def test_street_staff_see_no_other_streets_rates(client, town):
    a, _b, c = town["communities"]
    s1 = town["streets"][1]
    street = as_(client, town["users"]["street"])
    assert street.get(STREET_RATES, {"street": s1.pk}).status_code == 404
    assert street.get(STREET_RATES, {"street": "x"}).status_code == 404
    assert street.get(reverse("street-rates:community", args=[c.pk])).status_code == 404
    other = as_(client, town["users"]["other_street"])
    assert other.get(reverse("street-rates:community", args=[a.pk])).status_code == 404
    assert [line.row.pk for line in other.get(STREET_RATES).context["lines"]] == [c.pk]


@pytest.mark.parametrize("who", ["community", "unit", "org", "member"])
def test_community_staff_and_other_roles_see_no_street_rates(client, town, who):
    a = town["communities"][0]
    user = factories.MemberFactory().user if who == "member" else town["users"][who]
    client.force_login(user)
    assert client.get(STREET_RATES).status_code == 403
    assert client.get(reverse("street-rates:community", args=[a.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client, town):
    response = client.get(STREET_RATES)
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_community_staff_overview_shows_the_reports_here_and_no_rates(client, town):
    page = as_(client, town["users"]["community"]).get(OVERVIEW).content.decode()
    assert 'data-figure="reported_here"' in page
    assert 'data-figure="roster"' not in page
    assert reverse("street-rates:places") not in page


def test_the_queue_filter_is_scope_checked(client, town):
    a, b, c = town["communities"]
    staff = as_(client, town["users"]["community"])
    assert staff.get(QUEUE, {"community": b.pk}).status_code == 404
    assert staff.get(QUEUE, {"community": "x"}).status_code == 404
    filtered = staff.get(QUEUE, {"community": a.pk})
    assert {report.community_id for report in filtered.context["page"]} == {a.pk}
    street = as_(client, town["users"]["street"])
    assert street.get(QUEUE, {"community": c.pk}).status_code == 404
    at_b = street.get(QUEUE, {"community": b.pk})
    assert {report.community_id for report in at_b.context["page"]} == {b.pk}
    assert at_b.context["page"].paginator.count == 1
    assert 'id="queue-filter"' in at_b.content.decode()


def test_street_pages_and_the_filtered_queue_keep_a_fixed_number_of_queries(
    client, town, django_assert_max_num_queries
):
    a = town["communities"][0]
    s0 = town["streets"][0]
    for _ in range(20):
        factories.CommunityFactory(street=s0)
    tally_rebuild(YEAR)
    street = as_(client, town["users"]["street"])
    # session, user, scope, streets, the communities' figures, unread messages
    with django_assert_max_num_queries(6):
        assert street.get(STREET_RATES).status_code == 200
    # session, user, scope, community, everyone's counts, street, figures, page count, page, unread messages
    with django_assert_max_num_queries(10):
        assert street.get(reverse("street-rates:community", args=[a.pk])).status_code == 200
    # session, user, scope, community, count, rows, unread messages
    with django_assert_max_num_queries(7):
        assert street.get(QUEUE, {"community": a.pk}).status_code == 200
    # session, user, scope, page count, page rows, unread messages
    with django_assert_max_num_queries(6):
        assert street.get(OVERVIEW).status_code == 200
