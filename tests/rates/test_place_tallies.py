"""The streets' and districts' own tallies (issue 17's speed): each equal to the sum of its communities' tallies,
kept in step by the same writes and checked by the same recount, so that the city page reads 50 district rows and
its trend 50 × 12 month rows instead of summing 10,000 communities (× 12) a request."""

import datetime
import importlib
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.models import Community
from registration import services
from registration.models import Member, Report, RosterEntry
from registration.rates import selectors as rates
from registration.rates.models import (
    CommunityTally,
    DistrictTally,
    MonthlyCommunityTally,
    MonthlyDistrictTally,
    MonthlyStreetTally,
    StreetTally,
    TallyCounts,
)
from registration.rates.tallies import (
    in_effect,
    month_end,
    recount_as_of,
    snapshot_month_ends,
    tally_differences,
    tally_link_errors,
    tally_rebuild,
    tally_recount,
    tally_stored,
    with_places,
)
from tests.conftest import Role, make_staff
from tests.rates.test_rates_view import known, person  # noqa: F401 (fixtures)
from tests.rates.test_tallies import register

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
FIELDS = TallyCounts.COUNT_FIELDS
PLACES = reverse("rates:places")


def community_sums(place: str, year: int) -> dict:
    """{place id: {field: n}} of the communities' tally rows in effect for `year`, summed in Python."""
    sums = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    rows = CommunityTally.objects.filter(in_effect(year), community__isnull=False).select_related("community")
    for row in rows:
        for field in FIELDS:
            sums[getattr(row.community, f"{place}_id")][field] += getattr(row, field)
    return {key: counts for key, counts in sums.items() if any(counts.values())}


def stored(model, place: str, year: int) -> dict:
    rows = model.objects.filter(in_effect(year)).values_list(f"{place}_id", *FIELDS)
    return {key: dict(zip(FIELDS, numbers, strict=True)) for key, *numbers in rows if any(numbers)}


def assert_places_in_step(year=YEAR):
    assert tally_differences(year) == []
    assert tally_link_errors() == []
    assert stored(StreetTally, "street", year) == community_sums("street", year)
    assert stored(DistrictTally, "district", year) == community_sums("district", year)


def test_every_write_keeps_the_streets_and_districts_equal_to_their_communities(city):
    c0, c1, c2 = city["communities"][0], city["communities"][1], city["communities"][2]  # c0, c1 share a street
    c_far = city["communities"][-1]  # the other district
    unit = city["units"][0]
    staff = {community.pk: make_staff(Role.COMMUNITY_STAFF, community=community) for community in (c0, c1, c_far)}
    waiting = {community.pk: person(unit, community, "pending") for community in (c0, c1, c_far)}
    person(unit, c2, "not_registered")
    tally_rebuild(YEAR)
    assert_places_in_step()
    reports = {pk: Report.objects.get(member__roster_entry=entry) for pk, entry in waiting.items()}

    services.report_confirm(report_id=reports[c0.pk].pk, user=staff[c0.pk])
    services.report_reject(report_id=reports[c1.pk].pk, user=staff[c1.pk], reason="请到居住地社区报到")
    services.report_confirm(report_id=reports[c_far.pk].pk, user=staff[c_far.pk])
    off_roster = register(c0, unit, 40)
    services.report_confirm(report_id=off_roster.report.pk, user=staff[c0.pk])
    assert_places_in_step()
    recount = tally_recount(YEAR)
    assert recount[("street", c0.street_id)] == {
        "roster": 2,
        "registered": 2,
        "reported": 1,
        "pending": 0,
        "off_roster_reported": 1,
    }
    # The roster entry of c0's member stays at c0; the report moves to the other district and is confirmed there.
    member = reports[c0.pk].member
    moved = services.report_change_community(member=member, community=c_far, kind=Report.Kind.OTHER)
    services.report_confirm(report_id=moved.pk, user=staff[c_far.pk])
    services.report_withdraw(member=reports[c_far.pk].member, report_id=reports[c_far.pk].pk)
    assert_places_in_step()
    assert tally_recount(YEAR)[("district", c2.district_id)]["roster"] == 3


def test_a_wrong_street_row_is_found_by_the_recount_and_rebuilt(known):  # noqa: F811
    street = known["streets"][0]
    StreetTally.objects.filter(street=street, year=YEAR).update(roster=999)
    differences = tally_differences(YEAR)
    assert [(kind, key, field) for kind, key, field, *_ in differences] == [("street", street.pk, "roster")]
    tally_rebuild(YEAR)
    assert_places_in_step()


def test_the_migration_sums_the_places_rows_of_every_year(city):
    migration = importlib.import_module("registration.rates.migrations.0003_place_tallies")
    c0, c1, c_far = city["communities"][0], city["communities"][1], city["communities"][-1]
    CommunityTally.objects.create(community=c0, year=YEAR - 2, roster=3, reported=1, superseded_in=YEAR)
    CommunityTally.objects.create(community=c0, year=YEAR, roster=5, reported=2)
    CommunityTally.objects.create(community=c1, year=YEAR - 1, roster=2, registered=2)
    CommunityTally.objects.create(community=c_far, year=YEAR, roster=1)
    CommunityTally.objects.create(community=None, year=YEAR, roster=7)  # unassigned: no place
    MonthlyCommunityTally.objects.create(community=c0, year=YEAR, month=1, roster=4)
    MonthlyCommunityTally.objects.create(community=c1, year=YEAR, month=1, roster=1, reported=1)
    state = MigrationLoader(connection).project_state(("rates", "0003_place_tallies"))
    migration.sum_places(state.apps, None)

    assert tally_link_errors() == []
    for year in (YEAR - 3, YEAR - 2, YEAR - 1, YEAR):
        assert stored(StreetTally, "street", year) == community_sums("street", year), year
        assert stored(DistrictTally, "district", year) == community_sums("district", year), year
    assert stored(StreetTally, "street", YEAR - 1)[c0.street_id]["roster"] == 5  # 3 (c0 of two years ago) + 2
    month = MonthlyStreetTally.objects.get(street=c0.street, year=YEAR, month=1)
    assert (month.roster, month.reported) == (5, 1)
    assert not MonthlyDistrictTally.objects.filter(district=c_far.district).exists()


def test_month_ends_store_each_streets_and_districts_sums(city):
    unit = city["units"][0]
    for community in city["communities"][:3]:
        person(unit, community, "reported")
        person(unit, community, "not_registered")
    person(unit, None, "not_registered")
    # All of it early last year, so that last year's month ends count it.
    last_year = YEAR - 1
    early = timezone.make_aware(datetime.datetime(last_year, 1, 10, 12))
    RosterEntry.objects.update(created_at=early)
    Member.objects.update(created_at=early)
    Report.objects.update(submitted_at=early)
    Report.objects.filter(decided_at__isnull=False).update(decided_at=early + datetime.timedelta(days=5))
    written = snapshot_month_ends(now=timezone.make_aware(datetime.datetime(last_year, 3, 15, 12)))
    assert written == [(last_year, 1), (last_year, 2)]
    year, month = written[-1]
    communities = MonthlyCommunityTally.objects.filter(year=year, month=month, community__isnull=False)
    for model, place in ((MonthlyStreetTally, "street"), (MonthlyDistrictTally, "district")):
        expected = defaultdict(Counter)
        for row in communities.select_related("community"):
            for field in FIELDS:
                expected[getattr(row.community, f"{place}_id")][field] += getattr(row, field)
        rows = model.objects.filter(year=year, month=month).values_list(f"{place}_id", *FIELDS)
        assert {key: dict(zip(FIELDS, numbers, strict=True)) for key, *numbers in rows} == {
            key: {field: counts[field] for field in FIELDS} for key, counts in expected.items()
        }
    # And the same as a recount of the places as of that month's end.
    recount = with_places(recount_as_of(month_end(year, month), kinds=("community",)))
    street = city["communities"][0].street
    assert MonthlyStreetTally.objects.get(street=street, month=month).roster == 4  # two communities, two each
    assert recount[("street", street.pk)]["roster"] == 4


@pytest.fixture
def months(known):  # noqa: F811
    """Last month's end stored for `known` (a past month of this year, or December of last year)."""
    today = timezone.localdate()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    from registration.rates.tallies import COMMUNITY, store_month_end

    store_month_end(year=year, month=month, counts=recount_as_of(timezone.now(), kinds=(COMMUNITY,)))
    return year, month


def by_communities(user, year, month, **place):
    """A place's month figures summed over its communities in the user's scope, in Python."""
    visible = Community.objects.visible_to(user)
    if "street" in place:
        visible = visible.filter(street=place["street"])
    elif "district" in place:
        visible = visible.filter(district=place["district"])
    totals = Counter()
    for row in MonthlyCommunityTally.objects.filter(year=year, month=month, community__in=visible):
        for field in FIELDS:
            totals[field] += getattr(row, field)
    return {field: totals[field] for field in FIELDS}


@pytest.mark.parametrize("who", ["org_city", "org_district", "street"])
def test_place_rows_and_month_rows_equal_their_communities_sums_in_every_scope(known, months, who):  # noqa: F811
    d0 = known["districts"][0]
    s0 = known["streets"][0]
    users = {
        "org_city": make_staff(Role.ORG_DEPARTMENT, is_staff=True),
        "org_district": make_staff(Role.ORG_DEPARTMENT, is_staff=True, district=d0),
        "street": make_staff(Role.STREET_STAFF, street=s0),
    }
    user = users[who]
    year, month = months
    sums = {place: community_sums(place, YEAR) for place in ("district", "street")}
    visible = Community.objects.visible_to(user)
    for level, rows in (
        ("district", rates.place_rate_rows(user=user, year=YEAR)),
        ("street", rates.place_rate_rows(user=user, year=YEAR, district=d0)),
    ):
        # Every place holding a community in scope, with the figures of those communities.
        in_level = visible.filter(district=d0) if level == "street" else visible
        expected_keys = sorted(set(in_level.values_list(f"{level}_id", flat=True)))
        assert sorted(row.pk for row in rows) == expected_keys, level
        for row in rows:
            in_scope = visible.filter(**{f"{level}_id": row.pk})
            expected = dict.fromkeys(FIELDS, 0)
            for tally in CommunityTally.objects.filter(in_effect(YEAR), community__in=in_scope):
                for field in FIELDS:
                    expected[field] += getattr(tally, field)
            assert {field: getattr(row, field) for field in FIELDS} == expected, (level, row.pk)
        if who != "street":  # a whole place: its own rows, which hold the same sums
            assert {
                row.pk: {f: getattr(row, f) for f in FIELDS} for row in rows if any(getattr(row, f) for f in FIELDS)
            } == {key: counts for key, counts in sums[level].items() if key in expected_keys}
    for place in ({}, {"district": d0}, {"street": s0}):
        trend = rates.place_month_rows(user=user, year=year, **place)
        expected = by_communities(user, year, month, **place)
        got = trend.get(month)
        assert {field: getattr(got, field) if got else 0 for field in FIELDS} == expected, place


def test_the_city_page_sums_no_community_rows(client, known, months):  # noqa: F811
    """The city level and its trend read the districts' rows: no query groups the communities' rows."""
    client.force_login(make_staff(Role.ORG_DEPARTMENT, is_staff=True))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PLACES).status_code == 200
    # Summing communities shows as a GROUP BY over a tally table joined to (or filtered by) the communities.
    tally_tables = ('"registration_communitytally"', '"rates_monthlycommunitytally"')
    grouped = [
        query["sql"]
        for query in queries
        if "GROUP BY" in query["sql"]
        and '"communities_community"' in query["sql"]
        and any(table in query["sql"] for table in tally_tables)
    ]
    assert grouped == []
    assert any('"rates_districttally"' in query["sql"] for query in queries)
    assert any('"rates_monthlydistricttally"' in query["sql"] for query in queries)


def test_stored_and_recounted_places_hold_the_same_keys(known):  # noqa: F811
    kinds = Counter(kind for kind, _key in tally_stored(YEAR))
    assert kinds["street"] and kinds["district"]
    assert kinds == Counter(
        kind for kind, _key in tally_recount(YEAR) if any(tally_recount(YEAR)[(kind, _key)].values())
    )
