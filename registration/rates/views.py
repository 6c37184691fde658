"""The organisation department's reporting-rate pages inside the admin (flow 7): by place, by unit, and the
roster members behind a community's numbers, with a bar chart and an Excel export of what is on screen.

Every figure comes from registration.rates.selectors (the tallies); these views only choose, sort, page and draw.
"""

from dataclasses import dataclass
from html import escape
from urllib import parse

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from communities.charts import column_chart
from communities.exports import scope_place, xlsx_export, year_period
from communities.models import Community, District, Street, Unit
from communities.pagination import CountedPaginator
from communities.platform import navigation, policies
from communities.platform.web import FIRST_YEAR, admin_chrome, inside_admin, years_offered

from . import selectors as rates
from .chart import bar_chart

PAGE_SIZE = 100
SORTABLE = rates.SORT_FIELDS
STATUSES = ("not_registered", "pending", "registered", "reported", "all")


@dataclass(frozen=True)
class Filters:
    year: int
    order: str
    below: bool

    def as_record(self) -> dict:
        return {"year": self.year, "o": self.order, "below": self.below}


@dataclass(frozen=True)
class Line:
    """A table row as shown: the figures, where its name leads, and where its two "who" numbers lead."""

    row: rates.RateRow
    label: str
    href: str = ""
    pending_href: str = ""
    registered_not_reported_href: str = ""
    not_registered_href: str = ""
    party_organisation: str = ""
    pairings: tuple = ()


def _number_formatter():
    """How the template's localisation writes a figure, decided once a page. While thousands are not grouped and
    the decimal mark is a point (this project's settings and locale), that is str(), at a fraction of the cost."""
    if settings.USE_THOUSAND_SEPARATOR or formats.get_format("DECIMAL_SEPARATOR") != ".":
        return formats.number_format
    return str


def _cells(line: Line, text) -> dict:
    """What the template writes for a line, worked out once as a plain dict: the figures as text, the mark under
    the line, the pairings joined. A page draws some 2,000 values, and each lookup or test in a template costs
    more than the same work here (a dict key is the template's quickest lookup)."""
    row = line.row
    rate = row.rate
    return {
        "pk": row.pk,
        "label": line.label,
        "href": line.href,
        "code": row.code,
        "party_organisation": line.party_organisation,
        # A row without a pk (the unassigned one) is not a party organisation: never marked.
        "below": row.pk is not None and row.below_line,
        "roster": text(row.roster),
        "reported": text(row.reported),
        "pending": text(row.pending),
        "pending_href": line.pending_href,
        "registered_not_reported": text(row.registered_not_reported),
        "registered_not_reported_href": line.registered_not_reported_href,
        "not_registered": text(row.not_registered),
        "not_registered_href": line.not_registered_href,
        "rate": "—" if rate is None else f"{text(rate)}%",
        "off_roster_reported": text(row.off_roster_reported),
        "pairings": "、".join(line.pairings),
    }


def _table(lines: list[Line]) -> list[dict]:
    text = _number_formatter()
    return [_cells(line, text) for line in lines]


# The rows of the admin's place and unit tables, written here rather than by a template loop: some 15 lookups,
# tests and escapes a row cost a third of the city page's time with 51 rows, and 60% of the unit tab's with 100.
# Straight from the lines (no dict of cells in between); every text is escaped (html.escape, as the template's
# autoescape), the figures are numbers.


def _linked(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{text}</a>' if href else text


def _figure_cells(row: rates.RateRow, text, line: Line | None = None) -> str:
    """The seven figure cells of a row, its three "who" numbers linked when the line says where."""
    rate = row.rate
    pending, registered_not_reported, not_registered = (
        text(row.pending),
        text(row.registered_not_reported),
        text(row.not_registered),
    )
    if line is not None:
        pending = _linked(line.pending_href, pending)
        registered_not_reported = _linked(line.registered_not_reported_href, registered_not_reported)
        not_registered = _linked(line.not_registered_href, not_registered)
    return (
        f'<td class="num">{text(row.roster)}</td><td class="num">{text(row.reported)}</td>'
        f'<td class="num">{pending}</td><td class="num">{registered_not_reported}</td>'
        f'<td class="num">{not_registered}</td>'
        f'<td class="num rate">{"—" if rate is None else f"{text(rate)}%"}</td>'
        f'<td class="num minor">{text(row.off_roster_reported)}</td>'
    )


def place_rows_html(lines: list[Line], below_label: str) -> str:
    """The <tr> elements of the admin's place table (templates/admin/rates/places.html)."""
    text = _number_formatter()
    note = f' <span class="below-label">{escape(below_label)}</span>'
    rows = []
    for line in lines:
        row = line.row
        # A row without a pk (the unassigned one) is not a party organisation: never marked.
        below = row.pk is not None and row.below_line
        rows.append(
            f'<tr class="rate-row{" below-line" if below else ""}"'
            f"""{f' data-pk="{row.pk}"' if row.pk else ' data-unassigned="1"'}>"""
            f'<th scope="row">{_linked(line.href, escape(line.label))}{note if below else ""}</th>'
            f"<td>{escape(row.code)}</td>{_figure_cells(row, text, line)}</tr>"
        )
    # Every text above is escaped; the rest are numbers and the project's own attributes.
    return mark_safe("\n".join(rows))  # noqa: S308  # nosec B308 B703


def unit_rows_html(lines: list[Line], below_label: str) -> str:
    """The <tr> elements of the unit tab's table (templates/admin/rates/units.html)."""
    text = _number_formatter()
    note = f'<span class="below-label">{escape(below_label)}</span>'
    rows = []
    for line in lines:
        row = line.row
        below = row.below_line
        rows.append(
            f'<tr class="rate-row{" below-line" if below else ""}" data-pk="{row.pk}">'
            f'<th scope="row">{escape(line.label)}{note if below else ""}</th><td>{escape(row.code)}</td>'
            f"<td>{escape(line.party_organisation)}</td>{_figure_cells(row, text)}"
            f'<td class="pairings">{escape("、".join(line.pairings))}</td></tr>'
        )
    # Every text above is escaped; the rest are numbers and the project's own attributes.
    return mark_safe("\n".join(rows))  # noqa: S308  # nosec B308 B703


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _filters(request) -> Filters:
    this_year = timezone.localdate().year
    year = _int_or_none(request.GET.get("year"))
    if year is None or not FIRST_YEAR <= year <= this_year:
        year = this_year
    order = request.GET.get("o", "")
    if order.lstrip("-") not in SORTABLE:
        order = ""
    return Filters(year=year, order=order, below=request.GET.get("below") == "1")


def _kept_params(request, *dropped: str) -> list[tuple[str, str]]:
    """The current query's parameters in order, without "export", "page" and `dropped`."""
    return [
        (key, value)
        for key, values in request.GET.lists()
        if key not in ("export", "page") and key not in dropped
        for value in values
    ]


def _query(request, **changes) -> str:
    """The current query string with some parameters changed (None removes one; a changed one goes last); never
    "export" or "page" unless asked for. What QueryDict's copy and urlencode give, without the deep copy."""
    params = _kept_params(request, *changes)
    params += [(key, value) for key, value in changes.items() if value is not None]
    return "?" + parse.urlencode(params)


def _columns(request, filters: Filters, first_label: str) -> list[dict]:
    labels = {
        "name": first_label,
        "code": _("Code"),
        "roster": _("On roster"),
        "reported": _("Reported"),
        "pending": _("Pending"),
        "registered_not_reported": _("Registered, not reported"),
        "not_registered": _("Not registered"),
        "rate": _("Reporting rate") + " (%)",
        "off_roster_reported": _("Reported, not on a roster"),
    }
    kept = _kept_params(request, "o")  # the same for every column: read once
    columns = []
    for key in SORTABLE:
        direction = "asc" if filters.order == key else "desc" if filters.order == f"-{key}" else ""
        columns.append(
            {
                "key": key,
                "label": labels[key],
                "href": "?" + parse.urlencode([*kept, ("o", f"-{key}" if direction == "asc" else key)]),
                "direction": direction,
            }
        )
    return columns


def header_html(columns: list[dict], *, after_code: str = "") -> str:
    """The <th> elements of a rate table's header row (sortable links), `after_code` an extra column's label
    after the code (the unit tab's party organisation). Written here as the rows are."""
    cells = []
    for index, column in enumerate(columns):
        classes = "num" if index and column["key"] != "code" else ""
        if column["key"] == "off_roster_reported":
            classes += " minor"
        sorted_class = f' class="sorted-{column["direction"]}"' if column["direction"] else ""
        cells.append(
            f'<th scope="col" class="{classes}"><a href="{escape(column["href"])}"{sorted_class}>'
            f"{escape(str(column['label']))}</a></th>"
        )
        if column["key"] == "code" and after_code:
            cells.append(f'<th scope="col">{escape(after_code)}</th>')
    # Every text above is escaped; the rest are the project's own attributes.
    return mark_safe("".join(cells))  # noqa: S308  # nosec B308 B703


def _scoped_place(request):
    """The district and street asked for, looked up within the user's scope (404 outside it)."""
    visible = Community.objects.visible_to(request.user)
    if "street" in request.GET:
        street_id = _int_or_none(request.GET["street"])
        if street_id is None:
            raise Http404
        streets = Street.objects.filter(pk__in=visible.values("street_id")).select_related("district")
        street = get_object_or_404(streets, pk=street_id)
        return street.district, street
    if "district" in request.GET:
        district_id = _int_or_none(request.GET["district"])
        if district_id is None:
            raise Http404
        return get_object_or_404(District.objects.filter(pk__in=visible.values("district_id")), pk=district_id), None
    return None, None


def _below_note(row: rates.RateRow) -> str:
    return _("May not be rated an advanced party organisation this year") if row.below_line else ""


def _tab_strip(filters: Filters, years: list[int], extra_tabs: list, tab: str) -> dict:
    """The two loops of the admin's tab strip (templates/admin/rates/tabs.html) written here, as the rows are:
    the year menu's options and the tabs other apps registered. Labels escaped, the rest numbers and our URLs."""
    text = _number_formatter()
    year = text(filters.year)
    options = "".join(
        f'<option value="{text(option)}"{" selected" if option == filters.year else ""}>{text(option)}</option>'
        for option in years
    )
    items = "".join(
        f'<li><a href="{escape(reverse("rates:tab", args=[extra.key]))}?year={year}"'
        f' class="{"active" if tab == extra.key else ""}">{escape(str(extra.label))}</a></li>'
        for extra in extra_tabs
    )
    return {
        "year_options_html": mark_safe(options),  # noqa: S308  # nosec B308 B703
        "extra_tabs_html": mark_safe(items),  # noqa: S308  # nosec B308 B703
    }


def _context(request, filters: Filters, **extra) -> dict:
    years = years_offered(filters.year)
    extra_tabs = navigation.rates_tabs_for(request.user)
    return {
        **admin_chrome(request),
        "filters": filters,
        "years": years,
        "threshold": rates.rate_threshold(),
        "below_label": _("May not be rated an advanced party organisation this year"),
        "extra_tabs": extra_tabs,
        **_tab_strip(filters, years, extra_tabs, extra.get("tab", "")),
        **extra,
    }


@inside_admin("rates.view_rates")
def places(request):
    """Districts of the city, streets of a district or communities of a street, with a total row."""
    filters = _filters(request)
    district, street = _scoped_place(request)
    rows = rates.place_rate_rows(user=request.user, year=filters.year, district=district, street=street)
    unassigned = None
    if district is None and street is None:
        unassigned = rates.unassigned_rate_row(user=request.user, year=filters.year)
    # The trend is the place's, whatever rows the filter keeps: its last month is the place's total now.
    place_total = rates.city_total(rows, unassigned)
    if filters.below:
        rows = [row for row in rows if row.below_line]
        unassigned = None  # Not a party organisation: never "under the line" itself.
    rows = rates.sort_rows(rows, filters.order)
    total = rates.city_total(rows, unassigned)
    if street is not None:
        level, first_label = "community", _("Community")
    elif district is not None:
        level, first_label = "street", _("Street")
    else:
        level, first_label = "district", _("District")
    lines = _place_lines(rows, level, filters)
    if unassigned is not None:
        lines.append(Line(row=unassigned, label=_("Not yet assigned to a community")))
    place_name = street.name if street else district.name if district else _("All districts")
    if request.GET.get("export") == "xlsx":
        # xlsx_export names the sheet after the title, and a sheet name may not hold / * ? : [ ] or a backslash.
        safe_name = place_name.translate(str.maketrans("", "", "\\/*?:[]"))
        title = _("Reporting rates %(year)s, %(place)s") % {"year": filters.year, "place": safe_name}
        header = [*(column["label"] for column in _columns(request, filters, first_label)), _("Note")]
        record = {
            **filters.as_record(),
            "district": district.pk if district else None,
            "street": street.pk if street else None,
            "level": level,
            "rows": [row.pk for row in rows],
        }
        body = [_export_numbers(line.label, line.row) for line in lines]
        body.append(_export_numbers(_("Total"), total))
        return xlsx_export(
            user=request.user, kind="reporting-rates", title=title, header=header, rows=body, filters=record,
            place=place_name, period=year_period(filters.year),
        )  # fmt: skip
    (total_cells,) = _table([Line(row=total, label=_("Total"))])
    columns = _columns(request, filters, first_label)
    context = _context(
        request,
        filters,
        title=_("Reporting rate statistics"),
        subtitle=f"{filters.year} · {place_name}",
        tab="places",
        district=district,
        street=street,
        lines=lines,
        total=total,
        table_html=place_rows_html(lines, _("May not be rated an advanced party organisation this year")),
        total_cells=total_cells,
        columns=columns,
        header_html=header_html(columns),
        chart=bar_chart(rows, rates.rate_threshold()),
        trend=_month_trend(request, filters.year, place_name, district, street, place_total),
        export_query=_query(request, export="xlsx"),
        level=level,
    )
    return render(request, "admin/rates/places.html", context)


def month_points(*, year: int, months: dict, last: rates.RateRow) -> list[tuple[int, rates.RateRow]]:
    """(month, figures) of the trend: the stored month ends before the year's last month shown (the current month
    of this year, December of a past one), which is the live figure the table shows. Months without a snapshot
    or with nobody on the roster have no point (never a made-up zero)."""
    today = timezone.localdate()
    last_month = today.month if year == today.year else 12
    points = [(month, months[month]) for month in range(1, last_month) if month in months]
    points.append((last_month, last))
    return [(month, row) for month, row in points if row.rate is not None]


def _month_trend(request, year: int, place_name: str, district, street, total: rates.RateRow):
    months = rates.place_month_rows(
        user=request.user, year=year, district=district, street=street, unassigned=district is None and street is None
    )
    points = month_points(year=year, months=months, last=total)
    month_label = _("%(month)s mo.")
    return column_chart(
        key="rate-by-month",
        title=_("Reporting rate by month, %(place)s") % {"place": place_name},
        description=_(
            "One column per month of %(year)s: the reporting rate (reported ÷ on roster) at the month's end, and for "
            "the current month as of now, the figure of the table's total row. A month before the first monthly "
            "snapshot has no column."
        ) % {"year": year},
        unit="%",
        points=[
            (_("%(year)s yr.") % {"year": year} + month_label % {"month": month}, row.rate) for month, row in points
        ],
        label_header=_("Month"),
        short_labels=[month_label % {"month": month} for month, _row in points],
    )


@inside_admin("rates.view_rates")
def all_communities_export(request):
    """Every community in the user's scope in one sheet, with its district and street (no page shows
    10,000 rows; the sheet does)."""
    filters = _filters(request)
    lines = rates.all_community_rate_rows(user=request.user, year=filters.year)
    if filters.below:
        lines = [(community, row) for community, row in lines if row.below_line]
    header = [
        _("District"), _("Street"), _("Community"), _("Code"), _("On roster"), _("Reported"), _("Pending"),
        _("Registered, not reported"), _("Not registered"), _("Rate (%)"), _("Reported, not on a roster"), _("Note"),
    ]  # fmt: skip
    body = (
        [community.district.name, community.street.name, *_export_numbers(community.name, row)]
        for community, row in lines
    )
    return xlsx_export(
        user=request.user,
        kind="reporting-rates-communities",
        title=_("Reporting rates %(year)s, all communities") % {"year": filters.year},
        header=header,
        rows=body,
        filters={**filters.as_record(), "level": "all-communities"},
        place=scope_place(request.user),
        period=year_period(filters.year),
    )


def _place_lines(rows: list[rates.RateRow], level: str, filters: Filters) -> list[Line]:
    if level in ("district", "street"):
        # Drilling down keeps the year, the filter and the order; the same for every row, so encoded once.
        keep = urlencode(
            {
                "year": filters.year,
                **({"below": 1} if filters.below else {}),
                **({"o": filters.order} if filters.order else {}),
            }
        )
        places_url = reverse("rates:places")
        return [Line(row=row, label=row.name, href=f"{places_url}?{level}={row.pk}&{keep}") for row in rows]
    return [_community_line(row, filters) for row in rows]


def _community_line(row: rates.RateRow, filters: Filters, namespace: str = "rates") -> Line:
    community_url = reverse(f"{namespace}:community", args=[row.pk])
    return Line(
        row=row,
        label=row.name,
        href=f"{community_url}?year={filters.year}",
        pending_href=f"{community_url}?year={filters.year}&status=pending",
        registered_not_reported_href=f"{community_url}?year={filters.year}&status=registered",
        not_registered_href=f"{community_url}?year={filters.year}&status=not_registered",
    )


def _export_numbers(label, row: rates.RateRow, *, unit_columns=None) -> list:
    """One sheet row in the order of the columns on screen."""
    first = [label, row.code, *(unit_columns or [])]
    numbers = [
        row.roster,
        row.reported,
        row.pending,
        row.registered_not_reported,
        row.not_registered,
        row.rate,
        row.off_roster_reported,
    ]
    return [*first, *numbers, _below_note(row)]


@inside_admin("rates.view_rates")
def units(request):
    """One row per unit (party organisation) in scope, sorted and paged by the database, 100 a page; the
    export holds every matching row."""
    filters = _filters(request)
    if request.GET.get("export") == "xlsx":
        return _export_units(request, filters)
    count = rates.unit_rate_count(user=request.user, year=filters.year, below=filters.below)
    # The paginator only checks the page number against the count; the page's rows are read by LIMIT/OFFSET.
    page = CountedPaginator(range(count), PAGE_SIZE, count=count).get_page(request.GET.get("page"))
    unit_lines = rates.unit_rate_lines(
        user=request.user,
        year=filters.year,
        order=filters.order,
        below=filters.below,
        offset=page.start_index() - 1 if count else 0,
        limit=PAGE_SIZE,
    )
    pairings = rates.unit_pairings(unit_ids=[row.pk for row, _party in unit_lines])
    lines = [
        Line(row=row, label=row.name, party_organisation=party, pairings=tuple(pairings.get(row.pk, ())))
        for row, party in unit_lines
    ]
    columns = _columns(request, filters, _("Unit"))
    context = _context(
        request,
        filters,
        title=_("Reporting rate statistics"),
        subtitle=f"{filters.year} · {_('By unit')}",
        tab="units",
        page=page,
        lines=lines,
        table_html=unit_rows_html(lines, _("May not be rated an advanced party organisation this year")),
        columns=columns,
        header_html=header_html(columns, after_code=_("Party organisation")),
        chart=bar_chart([line.row for line in lines], rates.rate_threshold()),
        export_query=_query(request, export="xlsx"),
    )
    return render(request, "admin/rates/units.html", context)


def _export_units(request, filters: Filters):
    # Every matching row, not only one page: the pairings of the whole scope fetched by a subquery rather
    # than a list of thousands of ids.
    unit_lines = rates.unit_rate_lines(user=request.user, year=filters.year, order=filters.order, below=filters.below)
    pairings = rates.unit_pairings(unit_ids=Unit.objects.visible_to(request.user).values("pk"))
    columns = _columns(request, filters, _("Unit"))
    header = [
        columns[0]["label"],
        columns[1]["label"],
        _("Party organisation"),
        *(column["label"] for column in columns[2:]),
        _("Paired communities"),
        _("Note"),
    ]
    body, row_ids = [], []
    for row, party in unit_lines:
        line = _export_numbers(row.name, row, unit_columns=[party])
        line.insert(-1, "、".join(pairings.get(row.pk, ())))
        body.append(line)
        row_ids.append(row.pk)
    title = _("Reporting rates by unit %(year)s, all %(count)s rows matching the filters") % {
        "year": filters.year,
        "count": len(body),
    }
    record = {**filters.as_record(), "district": None, "street": None, "rows": row_ids}
    return xlsx_export(
        user=request.user, kind="reporting-rates-units", title=title, header=header, rows=body, filters=record,
        place=scope_place(request.user), period=year_period(filters.year),
    )  # fmt: skip


def _breakdown(request, community_id: int, filters: Filters) -> dict:
    """What a community's page shows, in the admin and on the street staff's page: its figures and the roster
    entries behind them, by status, with masked personal data. 404 outside the user's scope."""
    status = request.GET.get("status", "all")
    if status not in STATUSES:
        status = "all"
    community, everyone = rates.community_breakdown(user=request.user, community_id=community_id, year=filters.year)
    counts = everyone.aggregate(
        all=Count("pk"), **{key: Count("pk", filter=condition) for key, condition in rates.BREAKDOWN.items()}
    )
    entries = everyone.filter(rates.BREAKDOWN[status]) if status in rates.BREAKDOWN else everyone
    street = Street.objects.select_related("district").get(pk=community.street_id)
    figures = next(
        (
            row
            for row in rates.place_rate_rows(user=request.user, year=filters.year, street=street)
            if row.pk == community.pk
        ),
        None,
    )
    labels = {
        "not_registered": _("Not registered"),
        "pending": _("Pending"),
        "registered": _("Registered, not reported"),
        "reported": _("Reported"),
        "all": _("Everyone"),
    }
    tabs = [
        {"key": key, "label": labels[key], "count": counts[key], "href": _query(request, status=key)}
        for key in STATUSES
    ]
    return {
        "title": _("Reporting rate statistics"),
        "subtitle": f"{filters.year} · {community.name}",
        "community": community,
        "street": street,
        "district": street.district,
        "figures": figures,
        "status": status,
        "tabs": tabs,
        "page": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
    }


@inside_admin("rates.view_rates")
def community(request, community_id: int):
    """The roster entries behind one community's figures, by status, with masked personal data."""
    filters = _filters(request)
    context = _context(request, filters, **_breakdown(request, community_id, filters))
    return render(request, "admin/rates/community.html", context)


# --- Street staff: their street's rates outside the admin (they are no admin users), from the same reads ---------


def _street_context(request, filters: Filters, **extra) -> dict:
    return {
        "filters": filters,
        "years": years_offered(filters.year),
        "threshold": rates.rate_threshold(),
        "below_label": _("May not be rated an advanced party organisation this year"),
        "extra_tabs": navigation.rates_tabs_for(request.user),
        **extra,
    }


@login_required
def street_places(request):
    """The communities of one street in the user's scope (the first by code, or ?street=), with a total row: the
    admin's street level, to street staff."""
    policies.require("rates.view_street_rates", request.user)
    filters = _filters(request)
    visible = Community.objects.visible_to(request.user)
    streets = list(Street.objects.filter(pk__in=visible.values("street_id")).order_by("code"))
    street = streets[0] if streets else None
    if "street" in request.GET:
        street_id = _int_or_none(request.GET["street"])
        street = next((candidate for candidate in streets if candidate.pk == street_id), None)
        if street is None:
            raise Http404
    rows = []
    if street is not None:
        rows = rates.place_rate_rows(user=request.user, year=filters.year, street=street)
    if filters.below:
        rows = [row for row in rows if row.below_line]
    rows = rates.sort_rows(rows, filters.order)
    total = rates.city_total(rows)
    lines = [_community_line(row, filters, namespace="street-rates") for row in rows]
    *table, total_cells = _table([*lines, Line(row=total, label=_("Total"))])
    context = _street_context(
        request,
        filters,
        street=street,
        streets=streets,
        lines=lines,
        total=total,
        table=table,
        total_cells=total_cells,
        columns=_columns(request, filters, _("Community")),
    )
    return render(request, "rates/street.html", context)


@login_required
def street_community(request, community_id: int):
    """The roster entries behind one community's figures, to the street staff of its street."""
    policies.require("rates.view_street_rates", request.user)
    filters = _filters(request)
    return render(
        request,
        "rates/street_community.html",
        _street_context(request, filters, **_breakdown(request, community_id, filters)),
    )


# --- Tabs that other apps register (communities.platform.navigation.add_rates_tab) ------------------------------


def _registered_tab(request, key: str) -> tuple:
    """The tab and what it draws, for this user: 404 for an unknown tab, 403 when its policy refuses the user."""
    tab = navigation.rates_tab(key)
    if tab is None:
        raise Http404
    if tab.policy is not None:
        policies.require(tab.policy, request.user)
    filters = _filters(request)
    return tab, filters, tab.context(request, filters.year)


@inside_admin("rates.view_rates")
def registered_tab(request, key: str):
    """A tab another app registered, inside the organisation department's rates pages."""
    tab, filters, drawn = _registered_tab(request, key)
    context = _context(
        request, filters, title=_("Reporting rate statistics"), subtitle=f"{filters.year} · {tab.label}",
        tab=tab.key, tab_template=tab.template, namespace="rates", **drawn,
    )
    return render(request, "admin/rates/registered_tab.html", context)


@login_required
def street_registered_tab(request, key: str):
    """The same tab in the street staff's rates pages."""
    policies.require("rates.view_street_rates", request.user)
    tab, filters, drawn = _registered_tab(request, key)
    context = _street_context(request, filters, tab=tab.key, tab_label=tab.label, tab_template=tab.template,
                              namespace="street-rates", **drawn)
    return render(request, "rates/street_tab.html", context)
