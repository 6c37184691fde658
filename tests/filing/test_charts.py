"""Figures as charts (issue 17): the staff dashboard's trend by month and comparison between communities, drawn
as SVG on the server from the dashboard selector's own querysets, accessible (title, description, a table), with
units, under the CSP (no script, no inline style); and the dashboard's export."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from communities.models import Community, StaffAssignment
from services import selectors
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
Role = StaffAssignment.Role
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)


@pytest.fixture
def street_with_work():
    street = factories.StreetFactory()
    first = factories.CommunityFactory(street=street, name="东风社区")
    second = factories.CommunityFactory(street=street, name="红旗社区")
    for community, served_on, hours in [
        (first, datetime.date(2026, 1, 10), "2"),
        (first, datetime.date(2026, 3, 5), "1.5"),
        (second, datetime.date(2026, 3, 20), "4"),
        (second, datetime.date(2025, 12, 31), "9"),  # before the period
    ]:
        factories.ServiceRecordFactory(
            community=community, served_on=served_on, hours=Decimal(hours), status="verified"
        )
    factories.ServiceRecordFactory(
        community=first, served_on=datetime.date(2026, 2, 1), hours=Decimal("7")
    )  # unverified
    published = timezone.make_aware(datetime.datetime(2026, 2, 14, 10))
    factories.ServiceNeedFactory(community=second, published_at=published)
    return {"street": street, "communities": [first, second]}


def test_the_series_add_up_to_the_dashboards_figures(street_with_work):
    communities = Community.objects.filter(street=street_with_work["street"])
    figures = selectors.community_dashboard(communities=communities, start=START, end=END)
    series = selectors.community_dashboard_series(communities=communities, start=START, end=END)
    months = [(f"{month:%Y-%m}", hours, records, posted) for month, hours, records, posted in series["by_month"]]
    assert months == [
        ("2026-01", Decimal("2"), 1, 0),
        ("2026-02", Decimal("0"), 0, 1),
        ("2026-03", Decimal("5.5"), 2, 0),
    ]
    assert sum(hours for _m, hours, _r, _p in months) == figures["hours"]
    assert sum(records for _m, _h, records, _p in months) == figures["records"]
    assert sum(posted for *_rest, posted in months) == figures["needs_posted"]
    assert series["by_community"] == [("红旗社区", Decimal("4"), 1), ("东风社区", Decimal("3.5"), 2)]


def svg_blocks(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, re.S)


def test_the_dashboard_draws_accessible_charts_with_units(client, street_with_work):
    client.force_login(make_staff(Role.STREET_STAFF, street=street_with_work["street"]))
    html = client.get(reverse("services:staff-dashboard"), {"start": START, "end": END}).content.decode()
    charts = [block for block in svg_blocks(html) if "chart-" in block]
    assert len(charts) == 3  # hours by month, needs by month, hours by community
    for block in charts:
        labelled = re.search(r'aria-labelledby="([^"]+)"', block).group(1).split()
        assert all(f'id="{name}"' in block for name in labelled)
        assert "<title" in block and "<desc" in block and 'role="img"' in block
        assert "style=" not in block and "<script" not in block  # the CSP allows neither
    hours_chart = next(block for block in charts if "按月已审核服务时长" in block)
    assert "2026-03：5.5 小时" in hours_chart  # every value with its unit
    comparison = next(block for block in charts if "各社区已审核服务时长" in block)
    assert comparison.index("红旗社区") < comparison.index("东风社区")
    # The table alternative holds the same figures.
    tables = re.findall(r'<details class="chart-table">.*?</details>', html, re.S)
    assert len(tables) == 3
    assert re.search(r"<th scope=\"row\">2026-03</th><td>5.5</td>", tables[0])


def test_one_community_gets_no_comparison(client, street_with_work):
    client.force_login(make_staff(Role.COMMUNITY_STAFF, community=street_with_work["communities"][0]))
    html = client.get(reverse("services:staff-dashboard"), {"start": START, "end": END}).content.decode()
    assert "按月已审核服务时长" in html and "各社区已审核服务时长" not in html


def test_the_dashboard_exports_its_figures_with_units(client, street_with_work):
    client.force_login(make_staff(Role.STREET_STAFF, street=street_with_work["street"]))
    response = client.get(reverse("services:staff-dashboard"), {"start": START, "end": END, "export": "xlsx"})
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "2026-01-01 – 2026-03-31" in sheet["A2"].value and street_with_work["street"].name in sheet["A2"].value
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows["服务时长"] == (7.5, "小时")  # 2 + 1.5 + 4
    assert rows["2026-03 服务时长"] == (5.5, "小时")
    assert rows["红旗社区 服务时长"] == (4, "小时")
