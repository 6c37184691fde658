"""Flow 7: the organisation department's reporting-rate pages in the admin, on a hand-built city whose answers
are known: the drill-down, the line, the filters, the years, scope, the "who" lists, the export and query counts."""

import datetime
import html
import io
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone
from openpyxl import load_workbook

from communities.models import ExportRecord, StaffAssignment, Unit
from registration.models import Report
from registration.rates.models import CommunityTally, UnitTally
from registration.rates.selectors import SORT_FIELDS, RateRow, sort_rows
from registration.rates.tallies import tally_rebuild, tally_relink
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

PLACES = reverse("rates:places")
UNITS = reverse("rates:units")
THIS_YEAR = timezone.localdate().year


def community_url(community, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("rates:community", args=[community.pk]) + (f"?{query}" if query else "")


def person(unit, community, state):
    """A roster entry of `unit` expected at `community`, and as far as `state` goes: registered, pending, reported."""
    entry = factories.RosterEntryFactory(unit=unit, community=community)
    if state == "not_registered":
        return entry
    member = factories.MemberFactory(unit=unit, roster_entry=entry)
    if state == "reported":
        factories.ReportFactory(
            member=member, community=community, status=Report.Status.CONFIRMED, decided_at=timezone.now()
        )
    elif state == "pending":
        factories.ReportFactory(member=member, community=community)
    return entry


def figures(row):
    return (row.roster, row.reported, row.pending, row.not_registered, row.off_roster_reported, row.rate)


def by_name(response):
    return {line.label: figures(line.row) for line in response.context["lines"]}


def row_classes(page: str) -> dict:
    """{pk: class attribute} of the table rows of a rate page."""
    return {int(pk): classes for classes, pk in re.findall(r'<tr class="([^"]*)" data-pk="(\d+)"', page)}


@pytest.fixture
def known(city):
    """c0: 5 on roster (1 reported, 1 pending, 1 registered only, 2 never registered) and 1 reported member on no
    roster; c1: 2 of 2 reported; c2 (other street): 1 of 1; c3: nobody; c4 (other district): 1 of 1; and one
    roster entry whose unit named no community. Tallies rebuilt from the rows, as after a bulk load."""
    c0, c1, c2, _c3, c4 = city["communities"][:5]
    u0, u1, u2 = city["units"]
    entries = {state: [person(u0, c0, state)] for state in ("reported", "pending", "registered")}
    entries["not_registered"] = [person(u0, c0, "not_registered") for _ in range(2)]
    off_roster = factories.MemberFactory(unit=u0)
    factories.ReportFactory(member=off_roster, community=c0, status=Report.Status.CONFIRMED, decided_at=timezone.now())
    for _ in range(2):
        person(u0, c1, "reported")
    person(u0, c2, "reported")
    person(u1, c4, "reported")
    person(u2, None, "not_registered")
    tally_rebuild(THIS_YEAR)
    return {**city, "entries": entries, "off_roster": off_roster}


@pytest.fixture(autouse=True)
def default_line(settings):
    settings.REPORTING_RATE_THRESHOLD = 90.0


@pytest.fixture
def org_client(client, staff_users):
    client.force_login(staff_users["org_city"])
    return client


# --- The drill-down -----------------------------------------------------------------------------------------


def test_city_rows_and_total_equal_the_known_numbers(org_client, known):
    d0, d1 = known["districts"]
    response = org_client.get(PLACES)
    assert response.status_code == 200
    # roster, reported, pending, not registered, reported not on a roster, rate
    assert {line.row.pk: figures(line.row) for line in response.context["lines"]} == {
        d0.pk: (8, 4, 1, 2, 1, Decimal("50.0")),
        d1.pk: (1, 1, 0, 0, 0, Decimal("100.0")),
        None: (1, 0, 0, 1, 0, Decimal("0.0")),  # the roster entry whose unit named no community
    }
    assert response.context["lines"][-1].row.pk is None  # the unassigned row comes last
    assert 'data-unassigned="1"' in response.content.decode()
    assert figures(response.context["total"]) == (10, 5, 1, 3, 1, Decimal("50.0"))


def test_district_rows_are_its_streets(org_client, known):
    s0, s1 = known["streets"][:2]
    response = org_client.get(PLACES, {"district": known["districts"][0].pk})
    assert by_name(response) == {
        s0.name: (7, 3, 1, 2, 1, Decimal("42.8")),
        s1.name: (1, 1, 0, 0, 0, Decimal("100.0")),
    }
    assert figures(response.context["total"]) == (8, 4, 1, 2, 1, Decimal("50.0"))


def test_street_rows_are_its_communities_counting_off_roster_members_outside_the_rate(org_client, known):
    c0, c1 = known["communities"][:2]
    response = org_client.get(PLACES, {"street": known["streets"][0].pk})
    assert by_name(response) == {
        c0.name: (5, 1, 1, 2, 1, Decimal("20.0")),
        c1.name: (2, 2, 0, 0, 0, Decimal("100.0")),
    }
    assert figures(response.context["total"]) == (7, 3, 1, 2, 1, Decimal("42.8"))


def test_each_row_links_one_level_down_and_community_numbers_link_to_their_lists(org_client, known):
    d0 = known["districts"][0]
    s0 = known["streets"][0]
    c0 = known["communities"][0]
    city_page = org_client.get(PLACES).content.decode()
    assert f"?district={d0.pk}&amp;year={THIS_YEAR}" in city_page
    district_page = org_client.get(PLACES, {"district": d0.pk}).content.decode()
    assert f"?street={s0.pk}&amp;year={THIS_YEAR}" in district_page
    street_page = org_client.get(PLACES, {"street": s0.pk}).content.decode()
    assert community_url(c0, year=THIS_YEAR, status="pending").replace("&", "&amp;") in street_page
    assert community_url(c0, year=THIS_YEAR, status="not_registered").replace("&", "&amp;") in street_page


def test_breadcrumbs_name_the_district_and_the_street(org_client, known):
    s0 = known["streets"][0]
    page = org_client.get(PLACES, {"street": s0.pk}).content.decode()
    crumbs = page[page.index('class="breadcrumbs"') :]
    crumbs = crumbs[: crumbs.index("</div>")]
    assert known["districts"][0].name in crumbs
    assert s0.name in crumbs


def cells(page: str, row: str) -> list[str]:
    """The text of each cell of one table row (`row` is the start of its <tr>), tags dropped."""
    found = re.search(rf"{re.escape(row)}[^>]*>(.*?)</tr>", page, re.S).group(1)
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found, re.S)
    ]


def test_the_table_cells_show_each_rows_figures_in_the_column_order(org_client, known):
    s0 = known["streets"][0]
    c0, c1, _c2, c3 = known["communities"][:4]
    page = org_client.get(PLACES, {"street": s0.pk}).content.decode()
    below = "May not be rated an advanced party organisation this year"
    note = html.unescape(re.search(r'<span class="below-label">([^<]*)</span>', page).group(1))
    assert below != note  # the page speaks Chinese; the note is the translated one
    assert cells(page, f'data-pk="{c0.pk}"') == [f"{c0.name} {note}", c0.code, "5", "1", "1", "1", "2", "20.0%", "1"]
    assert cells(page, f'data-pk="{c1.pk}"') == [c1.name, c1.code, "2", "2", "0", "0", "0", "100.0%", "0"]
    assert cells(page, '<tr class="rate-total"')[2:] == ["7", "3", "1", "1", "2", "42.8%", "1"]
    other_street = org_client.get(PLACES, {"street": known["streets"][1].pk}).content.decode()
    assert cells(other_street, f'data-pk="{c3.pk}"') == [c3.name, c3.code, "0", "0", "0", "0", "0", "—", "0"]


def test_the_unit_tab_cells_show_figures_party_organisation_and_pairings(org_client, known):
    u0, u1 = known["units"][:2]
    c0, c4 = known["communities"][0], known["communities"][4]
    factories.PairingFactory(unit=u1, community=c0)
    factories.PairingFactory(unit=u1, community=c4)
    page = org_client.get(UNITS).content.decode()
    shown = cells(page, f'data-pk="{u1.pk}"')
    assert shown[1:10] == [u1.code, u1.party_organisation, "1", "1", "0", "0", "0", "100.0%", "0"]
    assert shown[10] == "、".join(sorted([c0.name, c4.name]))
    assert cells(page, f'data-pk="{u0.pk}"')[3:] == ["8", "4", "1", "1", "2", "50.0%", "1", ""]


@pytest.fixture
def grouped_thousands(settings, monkeypatch):
    """Thousands grouped, with a separator the Chinese locale does not have ("" by default)."""
    from django.conf.locale.zh_Hans import formats as zh_formats

    settings.USE_THOUSAND_SEPARATOR = True
    monkeypatch.setattr(zh_formats, "THOUSAND_SEPARATOR", ",")
    formats.reset_format_cache()
    yield
    monkeypatch.undo()
    formats.reset_format_cache()


def test_figures_are_written_as_the_localisation_settings_say(org_client, city, request):
    community = city["communities"][0]
    CommunityTally.objects.create(community=community, year=THIS_YEAR, roster=12345, registered=12345, reported=12345)
    street, row = {"street": community.street_id}, f'data-pk="{community.pk}"'
    assert cells(org_client.get(PLACES, street).content.decode(), row)[2:4] == ["12345", "12345"]
    request.getfixturevalue("grouped_thousands")
    grouped = formats.number_format(12345)
    assert grouped != "12345"
    assert cells(org_client.get(PLACES, street).content.decode(), row)[2:4] == [grouped, grouped]


@pytest.mark.parametrize("url", ["places", "units", "community"])
def test_rate_pages_draw_the_admin_header_without_building_the_app_list(org_client, city, url, monkeypatch):
    def no_app_list(*args, **kwargs):
        raise AssertionError("a rate page built the admin's app list")

    monkeypatch.setattr(admin.site, "get_app_list", no_app_list)
    target = community_url(city["communities"][0]) if url == "community" else reverse(f"rates:{url}")
    page = org_client.get(target).content.decode()
    assert str(admin.site.site_header) in page
    assert 'id="user-tools"' in page
    assert f'<form id="logout-form" method="post" action="{reverse("admin:logout")}">' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert f'<div class="breadcrumbs">\n  <a href="{reverse("admin:index")}">' in page
    assert 'id="nav-sidebar"' not in page


# --- The line -----------------------------------------------------------------------------------------------


@pytest.fixture
def edge_street(db):
    """Three communities with tallies written directly: 899/1000, 900/1000 and nobody on the roster."""
    street = factories.StreetFactory()
    communities = [factories.CommunityFactory(street=street) for _ in range(3)]
    for community, reported, roster in zip(communities, (899, 900, 0), (1000, 1000, 0), strict=True):
        CommunityTally.objects.create(
            community=community, year=THIS_YEAR, roster=roster, registered=roster, reported=reported
        )
    return street, communities


def test_899_of_1000_is_under_the_line_and_900_is_not(org_client, edge_street):
    street, (under, at_line, empty) = edge_street
    response = org_client.get(PLACES, {"street": street.pk})
    rows = {line.row.pk: line.row for line in response.context["lines"]}
    assert (rows[under.pk].rate, rows[under.pk].below_line) == (Decimal("89.9"), True)
    assert (rows[at_line.pk].rate, rows[at_line.pk].below_line) == (Decimal("90.0"), False)
    assert (rows[empty.pk].rate, rows[empty.pk].below_line) == (None, False)
    classes = row_classes(response.content.decode())
    assert "below-line" in classes[under.pk]
    assert "below-line" not in classes[at_line.pk]
    assert "below-line" not in classes[empty.pk]
    assert response.content.decode().count('<span class="below-label">') == 2  # the legend and the one row


def test_the_threshold_setting_moves_the_line(org_client, edge_street, settings):
    street, (under, at_line, _empty) = edge_street
    settings.REPORTING_RATE_THRESHOLD = 95
    response = org_client.get(PLACES, {"street": street.pk})
    assert {line.row.pk for line in response.context["lines"] if line.row.below_line} == {under.pk, at_line.pk}
    assert "95%" in response.content.decode()
    settings.REPORTING_RATE_THRESHOLD = 89.9
    response = org_client.get(PLACES, {"street": street.pk})
    assert [line.row for line in response.context["lines"] if line.row.below_line] == []


def test_the_page_header_shows_the_threshold(org_client, edge_street):
    page = org_client.get(PLACES, {"street": edge_street[0].pk}).content.decode()
    assert 'class="rate-line"' in page
    assert "<strong>90.0%</strong>" in page


def test_below_filter_keeps_only_rows_under_the_line_and_totals_them(org_client, known):
    d0 = known["districts"][0]
    response = org_client.get(PLACES, {"below": "1"})
    assert [line.row.pk for line in response.context["lines"]] == [d0.pk]
    assert figures(response.context["total"]) == (8, 4, 1, 2, 1, Decimal("50.0"))


# --- Sorting and years --------------------------------------------------------------------------------------


def test_sorting_by_rate_and_by_name(org_client, known):
    street = known["streets"][0]
    c0, c1 = known["communities"][:2]
    rates = [line.row.pk for line in org_client.get(PLACES, {"street": street.pk, "o": "rate"}).context["lines"]]
    assert rates == [c0.pk, c1.pk]
    rates = [line.row.pk for line in org_client.get(PLACES, {"street": street.pk, "o": "-rate"}).context["lines"]]
    assert rates == [c1.pk, c0.pk]
    names = [line.label for line in org_client.get(PLACES, {"street": street.pk, "o": "name"}).context["lines"]]
    assert names == sorted(names)
    names = [line.label for line in org_client.get(PLACES, {"street": street.pk, "o": "-name"}).context["lines"]]
    assert names == sorted(names, reverse=True)


def test_column_headers_sort_and_toggle(org_client, known):
    response = org_client.get(PLACES, {"o": "rate"})
    columns = {column["key"]: column for column in response.context["columns"]}
    assert columns["rate"]["direction"] == "asc"
    assert "o=-rate" in columns["rate"]["href"]
    assert "o=roster" in columns["roster"]["href"]


def test_unknown_sort_keeps_the_code_order(org_client, known):
    d0, d1 = known["districts"]
    lines = org_client.get(PLACES, {"o": "__class__"}).context["lines"]
    assert [line.row.pk for line in lines[:2]] == [d0.pk, d1.pk]


def test_a_past_year_shows_the_tally_row_in_effect_for_that_year(org_client, city):
    community = city["communities"][6]
    CommunityTally.objects.create(community=community, year=THIS_YEAR - 1, roster=10, registered=6, reported=5)
    CommunityTally.objects.create(community=community, year=THIS_YEAR, roster=10, registered=9, reported=9)
    tally_relink()  # rows written directly, bypassing the services: link them as `recount_rates --fix` would
    street = {"street": community.street_id}
    last_year = org_client.get(PLACES, {**street, "year": THIS_YEAR - 1}).context["lines"]
    this_year = org_client.get(PLACES, {**street, "year": THIS_YEAR}).context["lines"]
    before = org_client.get(PLACES, {**street, "year": THIS_YEAR - 2}).context["lines"]
    pick = {line.row.pk: line.row for line in last_year}[community.pk]
    assert (pick.roster, pick.reported, pick.rate, pick.below_line) == (10, 5, Decimal("50.0"), True)
    pick = {line.row.pk: line.row for line in this_year}[community.pk]
    assert (pick.roster, pick.reported, pick.rate, pick.below_line) == (10, 9, Decimal("90.0"), False)
    pick = {line.row.pk: line.row for line in before}[community.pk]
    assert (pick.roster, pick.reported) == (0, 0)


def test_the_year_select_offers_the_last_five_years(org_client, known):
    response = org_client.get(PLACES, {"year": "not-a-year"})
    assert response.context["filters"].year == THIS_YEAR
    assert response.context["years"] == [THIS_YEAR - n for n in range(5)]
    assert f'<option value="{THIS_YEAR - 4}"' in response.content.decode()


def test_a_report_confirmed_after_new_year_counts_for_the_new_year_only(org_client, city):
    community, unit = city["communities"][0], city["units"][0]
    new_year = timezone.make_aware(datetime.datetime(THIS_YEAR, 1, 1))
    entry = factories.RosterEntryFactory(
        unit=unit, community=community, created_at=new_year - datetime.timedelta(days=3)
    )
    member = factories.MemberFactory(unit=unit, roster_entry=entry, created_at=new_year - datetime.timedelta(days=2))
    factories.ReportFactory(
        member=member,
        community=community,
        status=Report.Status.CONFIRMED,
        submitted_at=new_year - datetime.timedelta(hours=2),
        decided_at=new_year + datetime.timedelta(seconds=1),
    )
    tally_rebuild(THIS_YEAR - 1)
    tally_rebuild(THIS_YEAR)
    street = {"street": community.street_id}
    last = {
        line.row.pk: line.row for line in org_client.get(PLACES, {**street, "year": THIS_YEAR - 1}).context["lines"]
    }
    now = {line.row.pk: line.row for line in org_client.get(PLACES, {**street, "year": THIS_YEAR}).context["lines"]}
    assert figures(last[community.pk]) == (1, 0, 1, 0, 0, Decimal("0.0"))
    assert figures(now[community.pk]) == (1, 1, 0, 0, 0, Decimal("100.0"))
    pending_last_year = org_client.get(community_url(community, year=THIS_YEAR - 1, status="pending"))
    assert [e.pk for e in pending_last_year.context["page"]] == [entry.pk]
    assert [e.pk for e in org_client.get(community_url(community, status="reported")).context["page"]] == [entry.pk]


# --- Scope and access ---------------------------------------------------------------------------------------


def test_a_district_org_user_sees_only_their_district(client, staff_users, known):
    client.force_login(staff_users["org_district"])
    response = client.get(PLACES)
    assert [line.row.pk for line in response.context["lines"]] == [known["districts"][0].pk]  # no unassigned row
    assert figures(response.context["total"]) == (8, 4, 1, 2, 1, Decimal("50.0"))
    assert [line.row.pk for line in client.get(UNITS).context["lines"]] == [known["units"][0].pk]


def test_a_district_org_user_gets_404_for_another_districts_places(client, staff_users, known):
    client.force_login(staff_users["org_district"])
    assert client.get(PLACES, {"district": known["districts"][1].pk}).status_code == 404
    assert client.get(PLACES, {"street": known["streets"][2].pk}).status_code == 404
    assert client.get(community_url(known["communities"][4])).status_code == 404
    assert client.get(PLACES, {"district": "x"}).status_code == 404
    assert client.get(PLACES, {"district": known["districts"][0].pk}).status_code == 200


def test_a_district_org_users_export_holds_only_their_rows(client, staff_users, known):
    client.force_login(staff_users["org_district"])
    sheet = read_sheet(client.get(PLACES, {"export": "xlsx"}))
    assert [row[0] for row in sheet[3:-1]] == [known["districts"][0].name]  # then the total row
    assert sheet[-1][2:4] == [8, 4]
    record = ExportRecord.objects.get()
    assert record.filters["rows"] == [known["districts"][0].pk]
    units_sheet = read_sheet(client.get(UNITS, {"export": "xlsx"}))
    assert [row[0] for row in units_sheet[3:]] == [known["units"][0].name]


@pytest.mark.parametrize("url", ["places", "units", "community"])
@pytest.mark.parametrize("who", ["anonymous", "community", "street", "unit", "member"])
def test_people_outside_the_admin_are_sent_to_the_admin_login(client, staff_users, city, url, who):
    if who == "member":
        client.force_login(factories.MemberFactory().user)
    elif who != "anonymous":
        client.force_login(staff_users[who])
    target = community_url(city["communities"][0]) if url == "community" else reverse(f"rates:{url}")
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("url", ["places", "units", "community"])
def test_admin_staff_without_the_org_role_are_refused(client, city, url):
    client.force_login(make_staff(StaffAssignment.Role.STREET_STAFF, is_staff=True, street=city["streets"][0]))
    target = community_url(city["communities"][0]) if url == "community" else reverse(f"rates:{url}")
    assert client.get(target).status_code == 403


def test_a_superuser_gets_in(client, known):
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    assert client.get(PLACES).status_code == 200
    assert client.get(UNITS).status_code == 200


# --- Who is behind the numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("not_registered", ["not_registered"]),
        ("pending", ["pending"]),
        ("registered", ["registered"]),
        ("reported", ["reported"]),
        ("all", ["reported", "pending", "registered", "not_registered"]),
    ],
)
def test_the_breakdown_lists_exactly_the_people_of_each_status(org_client, known, status, expected):
    entries = known["entries"]
    wanted = {entry.pk for state in expected for entry in entries[state]}
    response = org_client.get(community_url(known["communities"][0], status=status))
    assert response.status_code == 200
    assert {entry.pk for entry in response.context["page"]} == wanted
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"not_registered": 2, "pending": 1, "registered": 1, "reported": 1, "all": 5}
    assert figures(response.context["figures"]) == (5, 1, 1, 2, 1, Decimal("20.0"))


def test_the_breakdown_shows_masked_id_numbers_and_phones_only(org_client, known):
    page = org_client.get(community_url(known["communities"][0])).content.decode()
    for entry in [entry for entries in known["entries"].values() for entry in entries]:
        assert entry.name in page
        assert entry.id_number_mask in page
        assert entry.id_number not in page
        assert entry.phone_masked in page
        assert entry.phone not in page


def test_the_breakdown_pages_by_one_hundred(org_client, city):
    community = city["communities"][0]
    for _ in range(101):
        factories.RosterEntryFactory(unit=city["units"][0], community=community)
    first = org_client.get(community_url(community, status="not_registered"))
    assert len(first.context["page"]) == 100
    second = org_client.get(community_url(community, status="not_registered", page=2))
    assert len(second.context["page"]) == 1


# --- By unit ------------------------------------------------------------------------------------------------


def test_unit_rows_carry_their_figures_party_organisation_and_pairings(org_client, known):
    u0, u1, u2 = known["units"]
    c0, c4 = known["communities"][0], known["communities"][4]
    factories.PairingFactory(unit=u0, community=c0)
    factories.PairingFactory(unit=u1, community=c0)
    factories.PairingFactory(unit=u1, community=c4)
    response = org_client.get(UNITS)
    lines = {line.row.pk: line for line in response.context["lines"]}
    assert figures(lines[u0.pk].row) == (8, 4, 1, 2, 1, Decimal("50.0"))
    assert figures(lines[u1.pk].row) == (1, 1, 0, 0, 0, Decimal("100.0"))
    assert figures(lines[u2.pk].row) == (1, 0, 0, 1, 0, Decimal("0.0"))
    assert lines[u0.pk].party_organisation == u0.party_organisation
    assert lines[u0.pk].pairings == (c0.name,)
    assert set(lines[u1.pk].pairings) == {c0.name, c4.name}
    below = org_client.get(UNITS, {"below": "1", "o": "-rate"}).context["lines"]
    assert [line.row.pk for line in below] == [u0.pk, u2.pk]


def test_units_are_paged_by_one_hundred(org_client, city):
    for _ in range(100):
        factories.UnitFactory()
    first = org_client.get(UNITS)
    assert len(first.context["lines"]) == 100
    assert len(org_client.get(UNITS, {"page": 2}).context["lines"]) == 3


# --- By unit: sorted and paged by the database ----------------------------------------------------------------


@pytest.fixture
def many_units(city):
    """230 more units (three pages with the city's three) whose figures cover every case of sorting: rates
    that tie once cut to one decimal (1 of 3, 333 of 1,000, 3,331 of 10,000 are all 33.3), nobody on the
    roster (no rate) with a tally row and without one, equal figures, names in several scripts and cases,
    and codes in another order than the rows were created in."""
    names = ["b局", "B局", "Z局", "阿局", "é局", "a局"]
    ties = {6: (3, 1), 7: (1000, 333), 8: (10000, 3331)}
    tallies = []
    for n in range(230):
        unit = factories.UnitFactory(name=names[n] if n < len(names) else f"单位{n}", code=f"T{(n * 7919) % 1009:04d}")
        if n % 11 == 0:
            continue  # never counted: no tally row at all
        roster, reported = ties.get(n, ((n % 7) * 10, 0))
        if n not in ties and roster:
            reported = (n * 13) % (roster + 1)
        registered = min(roster, reported + n % 3)
        tallies.append(
            UnitTally(
                unit=unit,
                year=THIS_YEAR,
                roster=roster,
                registered=registered,
                reported=reported,
                pending=min(n % 2, registered - reported),
                off_roster_reported=n % 4,
            )
        )
    UnitTally.objects.bulk_create(tallies)


def expected_unit_rows() -> list[RateRow]:
    """Every unit with its figures, built in Python from the tally rows, in code order (what the tab showed
    before the database sorted it)."""
    tallies = {tally.unit_id: tally for tally in UnitTally.objects.all()}
    fields = ("roster", "registered", "reported", "pending", "off_roster_reported")
    return [
        RateRow(
            pk=unit.pk,
            name=unit.name,
            code=unit.code,
            **{field: getattr(tallies[unit.pk], field) if unit.pk in tallies else 0 for field in fields},
        )
        for unit in sorted(Unit.objects.all(), key=lambda unit: unit.code)
    ]


def all_pages(client, **params) -> list:
    lines, number = [], 1
    while True:
        response = client.get(UNITS, {**params, "page": number})
        lines.extend(response.context["lines"])
        if not response.context["page"].has_next():
            return lines
        number += 1


@pytest.mark.parametrize("field", SORT_FIELDS)
def test_the_unit_tab_sorts_every_column_across_pages_as_sort_rows_does(org_client, many_units, field):
    expected = expected_unit_rows()
    assert len(expected) == 233
    for order in (field, f"-{field}"):
        first = org_client.get(UNITS, {"o": order})
        assert len(first.context["lines"]) == 100
        lines = all_pages(org_client, o=order)
        assert [line.row.pk for line in lines] == [row.pk for row in sort_rows(expected, order)], order
        assert [figures(line.row) for line in lines] == [figures(row) for row in sort_rows(expected, order)]


def test_units_without_a_rate_come_last_and_rates_equal_to_one_decimal_keep_the_code_order(org_client, many_units):
    expected = expected_unit_rows()
    tied = [row.pk for row in expected if row.rate == Decimal("33.3")]
    assert len(tied) >= 3
    without_rate = {row.pk for row in expected if row.rate is None}
    for order in ("rate", "-rate"):
        pks = [line.row.pk for line in all_pages(org_client, o=order)]
        assert set(pks[-len(without_rate) :]) == without_rate
        assert [pk for pk in pks if pk in tied] == tied  # code order, in both directions


def test_the_unit_tab_reads_one_page_of_units(org_client, many_units):
    with CaptureQueriesContext(connection) as queries:
        response = org_client.get(UNITS, {"o": "-rate", "page": 2})
    assert [line.row.pk for line in response.context["lines"]] == [
        row.pk for row in sort_rows(expected_unit_rows(), "-rate")[100:200]
    ]
    unit_reads = [query["sql"] for query in queries if 'FROM "communities_unit"' in query["sql"]]
    assert unit_reads
    for sql in unit_reads:
        assert "COUNT(" in sql or re.search(r"LIMIT 100\b", sql), sql


def test_the_unit_export_holds_every_unit_in_scope_in_the_order_on_screen(org_client, many_units):
    sheet = read_sheet(org_client.get(UNITS, {"export": "xlsx", "o": "-rate", "page": 2}))
    expected = sort_rows(expected_unit_rows(), "-rate")
    assert [row[1] for row in sheet[3:]] == [row.code for row in expected]
    assert ExportRecord.objects.get().filters["rows"] == [row.pk for row in expected]


def test_page_links_keep_the_year_the_filter_and_the_order(org_client, city):
    last_year = THIS_YEAR - 1
    units = [factories.UnitFactory() for _ in range(120)]
    # Last year every one of them was under the line; this year none is.
    UnitTally.objects.bulk_create(
        [UnitTally(unit=unit, year=last_year, roster=10, registered=10, reported=n % 9) for n, unit in enumerate(units)]
        + [UnitTally(unit=unit, year=THIS_YEAR, roster=10, registered=10, reported=10) for unit in units]
    )
    tally_relink()  # rows written directly, bypassing the services
    params = {"year": str(last_year), "o": "-rate", "below": "1"}
    first = org_client.get(UNITS, params)
    paginator = first.content.decode().split('class="paginator"')[1].split("</p>")[0]
    links = re.findall(r'href="([^"]+)"', paginator)
    assert len(links) == 1  # "next"; no "previous" on the first page
    query = parse_qs(urlsplit(html.unescape(links[0])).query)
    assert query == {"year": [str(last_year)], "o": ["-rate"], "below": ["1"], "page": ["2"]}
    second = org_client.get(UNITS + "?" + urlsplit(html.unescape(links[0])).query)
    lines = [*first.context["lines"], *second.context["lines"]]
    assert len(first.context["lines"]) == 100
    assert len(lines) == 120
    assert all(line.row.below_line for line in lines)
    rates = [line.row.rate for line in lines]
    assert rates == sorted(rates, reverse=True)
    assert org_client.get(UNITS, {"below": "1"}).context["lines"] == []  # this year: nobody under it


def test_the_unit_tab_filters_the_line_on_exact_fractions(org_client, city, settings):
    settings.REPORTING_RATE_THRESHOLD = 89.9
    at_line, under, empty = (factories.UnitFactory() for _ in range(3))
    UnitTally.objects.create(unit=at_line, year=THIS_YEAR, roster=1000, registered=1000, reported=899)
    UnitTally.objects.create(unit=under, year=THIS_YEAR, roster=10000, registered=10000, reported=8989)
    UnitTally.objects.create(unit=empty, year=THIS_YEAR)
    lines = org_client.get(UNITS, {"below": "1"}).context["lines"]
    assert [(line.row.pk, line.row.rate) for line in lines] == [(under.pk, Decimal("89.8"))]
    everyone = {line.row.pk: line.row for line in org_client.get(UNITS).context["lines"]}
    assert (everyone[at_line.pk].rate, everyone[at_line.pk].below_line) == (Decimal("89.9"), False)


def tally_reads(sql: str) -> int:
    tables = r'"(?:registration_(?:community|unit)tally|rates_(?:street|district)tally)"'
    return len(re.findall(rf"(?:FROM|JOIN) {tables}", sql))


def test_rate_pages_read_each_keys_row_in_effect_in_one_pass(org_client, known):
    """The row in effect for a year is read through its link to the next row, not by looking up each key's
    latest row in a subquery over the same table."""
    community = known["communities"][0]
    urls = [
        PLACES,
        f"{PLACES}?district={community.district_id}",
        f"{PLACES}?street={community.street_id}&year={THIS_YEAR - 1}",
        f"{UNITS}?o=rate",
        community_url(community),
        reverse("rates:all-communities-export"),
        f"{UNITS}?export=xlsx",
    ]
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert org_client.get(url).status_code == 200
        reads = [query["sql"] for query in queries if tally_reads(query["sql"])]
        assert reads, url
        assert all(tally_reads(sql) == 1 for sql in reads), url


# --- The chart ----------------------------------------------------------------------------------------------


def test_the_chart_draws_one_bar_per_row_with_the_line_and_red_bars_under_it(org_client, edge_street):
    street, (under, at_line, empty) = edge_street
    page = org_client.get(PLACES, {"street": street.pk}).content.decode()
    chart = page[page.index('class="rate-chart"') :]
    svg = chart[chart.index("<svg") : chart.index("</svg>")]
    assert svg.count('<g class="bar') == 3
    assert svg.count('<g class="bar below-line">') == 1
    assert 'class="threshold"' in svg
    assert "89.9%" in svg and "90.0%" in svg
    # Served by the project: no script or stylesheet from another host.
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_chart_and_table_escape_names(org_client, city):
    community = city["communities"][0]
    community.name = "<b>x</b>社区"
    community.save()
    CommunityTally.objects.create(community=community, year=THIS_YEAR, roster=2, registered=1, reported=1)
    page = org_client.get(PLACES, {"street": community.street_id}).content.decode()
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;社区" in page


# --- The export ---------------------------------------------------------------------------------------------


def read_sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def sheet_figures(row):
    figures = [row.roster, row.reported, row.pending, row.registered_not_reported, row.not_registered]
    return [*figures, float(row.rate), row.off_roster_reported]


def test_the_export_holds_what_is_on_screen_with_a_chinese_header_and_is_recorded(org_client, staff_users, known):
    params = {"district": known["districts"][0].pk, "o": "-rate"}
    screen = org_client.get(PLACES, params)
    sheet = read_sheet(org_client.get(PLACES, {**params, "export": "xlsx"}))
    assert str(THIS_YEAR) in sheet[0][0]
    assert str(staff_users["org_city"]) in sheet[1][0]
    assert sheet[2][0] == "街道"
    assert sheet[2][2:8] == ["应报到", "已报到", "待确认", "已注册未报到", "未注册", "报到率 (%)"]
    assert len(sheet[2]) == 10  # with the code, the members not on a roster and the note
    body = sheet[3:]
    expected = [[line.label, line.row.code, *sheet_figures(line.row)] for line in screen.context["lines"]]
    assert [row[:9] for row in body[:-1]] == expected
    assert body[-1][2:9] == sheet_figures(screen.context["total"])
    for row in body:
        assert row[3] + row[4] + row[5] + row[6] == row[2]  # the columns add up to the roster
    record = ExportRecord.objects.get()
    assert record.user == staff_users["org_city"]
    assert record.kind == "reporting-rates"
    assert record.row_count == len(body)
    assert record.filters["rows"] == [line.row.pk for line in screen.context["lines"]]
    assert record.filters["year"] == THIS_YEAR
    assert record.filters["o"] == "-rate"
    assert record.filters["district"] == known["districts"][0].pk


def test_the_export_marks_rows_under_the_line(org_client, edge_street):
    street, (under, at_line, _empty) = edge_street
    sheet = read_sheet(org_client.get(PLACES, {"street": street.pk, "export": "xlsx"}))
    notes = {row[0]: row[9] for row in sheet[3:-1]}
    assert notes[under.name]  # the label, in whatever language the catalogue gives
    assert not notes[at_line.name]


def test_the_unit_export_holds_every_matching_row_and_writes_formula_names_as_text(org_client, known):
    for _ in range(100):
        factories.UnitFactory()
    risky = factories.UnitFactory(name='=HYPERLINK("http://x","y")', party_organisation="+cmd")
    UnitTally.objects.create(unit=risky, year=THIS_YEAR, roster=4, registered=2, reported=1)
    sheet = read_sheet(org_client.get(UNITS, {"export": "xlsx", "o": "name", "page": 1}))
    body = sheet[3:]
    assert len(body) == 104  # every unit, not the 100 of one page
    assert "104" in sheet[0][0]
    assert sheet[2][0] == "单位"
    names = [row[0] for row in body]
    assert '\'=HYPERLINK("http://x","y")' in names
    risky_row = body[names.index('\'=HYPERLINK("http://x","y")')]
    assert risky_row[2] == "'+cmd"
    assert risky_row[3:9] == [4, 1, 0, 1, 2, 25]
    record = ExportRecord.objects.get(kind="reporting-rates-units")
    assert len(record.filters["rows"]) == 104
    assert risky.pk in record.filters["rows"]


# --- The admin index and query counts -----------------------------------------------------------------------


def test_the_admin_index_links_to_the_rate_view(org_client, city):
    page = org_client.get(reverse("admin:index")).content.decode()
    assert f'href="{PLACES}"' in page
    assert 'id="reporting-rates-link"' in page
    assert 'class="app-communities module' in page  # the normal app list is still there


def grow(city, size):
    """`size` more communities on the first street, each with members in every state, and units to match."""
    street = city["streets"][0]
    grown = []
    for n in range(size):
        community = factories.CommunityFactory(street=street)
        unit = factories.UnitFactory(district=street.district)
        factories.PairingFactory(unit=unit, community=community)
        grown.append(community)
        for state in ("reported", "pending", "registered", "not_registered"):
            person(unit, community, state if n % 2 else "reported")
    tally_rebuild(THIS_YEAR)
    return grown


# Per page: session, user, the second-factor device, the user's scope, then places: the district or street
# asked for (or the unassigned row), the places with their sums, the month-end snapshots of the trend by month (one
# more since issue 17's trend); units: the count, the page's rows (figures and party organisations), pairings;
# community: the community twice, the street, the tab counts, the community's figures, the page count and rows.
MAX_QUERIES = {"places": 7, "units": 7, "community": 10}


@pytest.mark.parametrize("size", [1, 12])
def test_query_counts_do_not_grow_with_the_city(org_client, city, size, django_assert_max_num_queries):
    community = grow(city, size)[-1]
    street = community.street
    pages = {
        "places": [PLACES, f"{PLACES}?district={street.district_id}", f"{PLACES}?street={street.pk}&o=rate"],
        "units": [UNITS, f"{UNITS}?o=-rate&below=1"],
        "community": [community_url(community), community_url(community, status="pending")],
    }
    for kind, urls in pages.items():
        for url in urls:
            with django_assert_max_num_queries(MAX_QUERIES[kind]):
                assert org_client.get(url).status_code == 200


def test_a_row_under_the_line_never_shows_the_lines_own_figure():
    from registration.rates.selectors import RateRow

    row = RateRow(pk=1, name="", code="", roster=2000, registered=2000, reported=1799, pending=0, off_roster_reported=0)
    assert (row.rate, row.below_line) == (Decimal("89.9"), True)


def test_the_all_communities_export_lists_every_community_in_scope_with_its_place(client, city, staff_users):
    factories.RosterEntryFactory(community=city["communities"][0])
    tally_rebuild(timezone.localdate().year)
    client.force_login(staff_users["org_district"])
    response = client.get(reverse("rates:all-communities-export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [row for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert [row[2] for row in rows] == [community.name for community in city["communities"][:4]]
    assert rows[0][:2] == (city["districts"][0].name, city["streets"][0].name)
    assert rows[0][4] == 1
    assert ExportRecord.objects.get().row_count == 4


def test_markup_in_a_place_name_is_escaped_in_the_table_and_the_chart(org_client, city):
    # The rows and the chart's bars are written in Python (registration.rates.views.place_rows_html, chart.bar_chart).
    district = city["districts"][0]
    district.name = "<script>alert(1)</script>"
    district.save()
    content = org_client.get(PLACES).content.decode()
    assert "<script>alert(1)" not in content
    # The row's link and the chart bar's title in full, the bar's label shortened.
    assert content.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
    assert content.count("&lt;script&gt;") == 3


def test_markup_in_a_unit_its_party_organisation_and_a_paired_community_is_escaped(org_client, city):
    # The unit tab's rows are written in Python too (registration.rates.views.unit_rows_html).
    unit, community = city["units"][0], city["communities"][0]
    Unit.objects.filter(pk=unit.pk).update(name="<i>u</i>", party_organisation="<u>p</u>")
    community.name = "<s>c</s>"
    community.save()
    factories.PairingFactory(unit=unit, community=community)
    UnitTally.objects.create(unit=unit, year=THIS_YEAR, roster=10, registered=1, reported=1)
    page = org_client.get(UNITS).content.decode()
    assert not re.search(r"<(i|u|s)>", page)
    shown = cells(page, f'data-pk="{unit.pk}"')
    assert shown[0].startswith("<i>u</i>")  # then the note: 1 of 10 is under the line
    assert shown[1:3] == [unit.code, "<u>p</u>"]
    assert shown[-1] == "<s>c</s>"
    assert "&lt;i&gt;u&lt;/i&gt;" in page and "&lt;u&gt;p&lt;/u&gt;" in page and "&lt;s&gt;c&lt;/s&gt;" in page


@pytest.mark.parametrize("who", ["community", "street", "unit", "org_district", "org_city"])
def test_the_unit_tabs_sql_reads_the_units_in_scope_with_the_figures_every_other_screen_reads(known, staff_users, who):
    # registration.rates.selectors.unit_rate_lines is written in SQL: its scope is Unit.objects.visible_to and its
    # figures those of with_figures (the unit's own page, the overview), whoever asks.
    from registration.rates import selectors as rates

    user = staff_users[who]
    expected = {
        unit.pk: (rates.figures_of(unit), unit.party_organisation)
        for unit in rates.with_figures(Unit.objects.visible_to(user), THIS_YEAR)
    }
    lines = rates.unit_rate_lines(user=user, year=THIS_YEAR)
    assert {row.pk: (row, party) for row, party in lines} == expected
    assert rates.unit_rate_count(user=user, year=THIS_YEAR) == len(expected)
    below = {pk for pk, (row, _party) in expected.items() if row.below_line}
    assert {row.pk for row, _party in rates.unit_rate_lines(user=user, year=THIS_YEAR, below=True)} == below
    assert rates.unit_rate_count(user=user, year=THIS_YEAR, below=True) == len(below)
    if who in ("community", "street"):  # they see no unit: nothing read, nothing paired
        assert expected == {} and rates.unit_pairings(unit_ids=Unit.objects.visible_to(user).values("pk")) == {}
    else:
        assert expected


def test_the_rate_and_the_line_in_whole_numbers_equal_the_decimal_definitions(settings):
    # RateRow computes both in whole numbers; the definitions are reported ÷ roster in per cent cut to one decimal,
    # and 100 × reported < threshold × roster.
    import random
    from decimal import ROUND_DOWN

    rng = random.Random(17)
    cases = [(2000, 1799), (1000, 900), (1000, 899), (3, 1), (3, 2), (7, 7), (1, 0), (10**9, 10**9 - 1)]
    rosters = [rng.randint(1, 10 ** rng.randint(1, 9)) for _ in range(3000)]
    cases += [(roster, rng.randint(0, roster)) for roster in rosters]
    for threshold in (90.0, 89.9, 95, 33.3):
        settings.REPORTING_RATE_THRESHOLD = threshold
        for roster, reported in cases:
            row = RateRow(pk=1, name="", code="", roster=roster, registered=roster, reported=reported, pending=0,
                          off_roster_reported=0)  # fmt: skip
            rate = (Decimal(100 * reported) / roster).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
            assert (row.rate, str(row.rate)) == (rate, str(rate))
            assert row.below_line == (Decimal(100 * reported) < Decimal(str(threshold)) * roster)
