"""The rates pages' trend by month (issue 17): the reporting rate at each past month's end of the year, from
snapshots the monthly job writes with the recount's own as-of definition, and for the year's last month shown the
live figure of the table's total row; a month without a snapshot has no column, never a made-up zero."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.platform import jobs
from registration.models import Report
from registration.rates.models import MonthlyCommunityTally
from registration.rates.tallies import month_end, snapshot_month_ends, store_month_end, tally_rebuild
from tests.rates.test_rates_view import default_line, known, org_client, person  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

PLACES = reverse("rates:places")
LAST_YEAR = timezone.localdate().year - 1


def at(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 12))


def trend(page: str) -> list[tuple[str, Decimal]]:
    """The (month, rate) rows of the trend's table alternative."""
    chart = page[page.index('id="chart-rate-by-month"') :]
    table = chart[chart.index("<tbody>") : chart.index("</tbody>")]
    return [(label, Decimal(value)) for label, value in re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table)]


def table_total_rate(page: str) -> Decimal:
    return Decimal(re.search(r'<tr class="rate-total">.*?<td class="num rate">([\d.]+)%</td>', page, re.S).group(1))


@pytest.mark.parametrize("place", ["city", "district", "street"])
def test_the_current_months_figure_is_the_tables_total(org_client, known, place):  # noqa: F811
    community = known["communities"][0]
    query = {"city": "", "district": f"?district={community.district_id}", "street": f"?street={community.street_id}"}
    page = org_client.get(PLACES + query[place]).content.decode()

    months = trend(page)
    today = timezone.localdate()
    assert months[-1][0] == f"{today.year}年{today.month}月"
    assert months[-1][1] == table_total_rate(page)
    assert "（单位：%）" in page  # the unit in the caption


def test_month_ends_are_counted_as_of_each_month_end_once(city):
    community, unit = city["communities"][0], city["units"][0]
    reported = person(unit, community, "reported")
    never = person(unit, community, "not_registered")
    report = Report.objects.get(member__roster_entry=reported)
    type(reported).objects.filter(pk=reported.pk).update(created_at=at(LAST_YEAR, 1, 10))
    reported.member.__class__.objects.filter(roster_entry=reported).update(created_at=at(LAST_YEAR, 1, 10))
    Report.objects.filter(pk=report.pk).update(submitted_at=at(LAST_YEAR, 2, 1), decided_at=at(LAST_YEAR, 3, 5))
    type(never).objects.filter(pk=never.pk).update(created_at=at(LAST_YEAR, 2, 15))

    written = snapshot_month_ends(now=at(LAST_YEAR, 5, 15))

    assert written == [(LAST_YEAR, month) for month in (1, 2, 3, 4)]
    stored = {
        row.month: (row.roster, row.registered, row.pending, row.reported)
        for row in MonthlyCommunityTally.objects.filter(community=community, year=LAST_YEAR)
    }
    assert stored == {1: (1, 1, 0, 0), 2: (2, 1, 1, 0), 3: (2, 1, 0, 1), 4: (2, 1, 0, 1)}
    assert snapshot_month_ends(now=at(LAST_YEAR, 5, 20)) == []  # a stored month is never rewritten
    assert month_end(LAST_YEAR, 12) == timezone.make_aware(datetime.datetime(LAST_YEAR + 1, 1, 1)) - datetime.timedelta(
        microseconds=1
    )


def test_a_past_years_trend_shows_the_stored_months_and_the_years_end_without_inventing_the_rest(
    org_client, city  # noqa: F811
):
    community, unit = city["communities"][0], city["units"][0]
    reported = person(unit, community, "reported")
    person(unit, community, "not_registered")
    Report.objects.filter(member__roster_entry=reported).update(decided_at=at(LAST_YEAR, 3, 5))
    type(reported).objects.update(created_at=at(LAST_YEAR, 1, 10))
    reported.member.__class__.objects.update(created_at=at(LAST_YEAR, 1, 10))
    snapshot_month_ends(now=at(LAST_YEAR, 5, 15))
    tally_rebuild(LAST_YEAR)

    page = org_client.get(f"{PLACES}?year={LAST_YEAR}&street={community.street_id}").content.decode()

    label = f"{LAST_YEAR}年%s月"
    assert trend(page) == [
        (label % 1, Decimal(0)),
        (label % 2, Decimal(0)),
        (label % 3, Decimal(50)),
        (label % 4, Decimal(50)),
        (label % 12, Decimal(50)),  # the year's end: the table's figure
    ]
    assert table_total_rate(page) == Decimal(50)


def test_the_month_end_job_is_scheduled():
    assert any(entry["task"].endswith("rates_month_end_task") for entry in jobs.beat_schedule().values())


def test_an_unassigned_entry_counts_in_the_city_trend_only(org_client, city):  # noqa: F811
    person(city["units"][2], None, "not_registered")
    person(city["units"][0], city["communities"][0], "reported")
    store_month_end(
        year=LAST_YEAR,
        month=6,
        counts={
            ("community", None): {"roster": 1},
            ("community", city["communities"][0].pk): {"roster": 1, "reported": 1},
        },
    )
    tally_rebuild(LAST_YEAR)

    city_trend = dict(trend(org_client.get(f"{PLACES}?year={LAST_YEAR}").content.decode()))
    street = city["communities"][0].street_id
    street_trend = dict(trend(org_client.get(f"{PLACES}?year={LAST_YEAR}&street={street}").content.decode()))

    assert city_trend[f"{LAST_YEAR}年6月"] == Decimal(50)
    assert street_trend[f"{LAST_YEAR}年6月"] == Decimal(100)
