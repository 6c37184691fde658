"""Excel exports: one writer for every app, so that escaping, the header, the layout fit for filing and the audit
record are never forgotten.

Every sheet has the same layout: row 1 the title, row 2 the place, the period and who exported it when, row 3 the
column headers (frozen, so they stay in view), then the data. Columns are sized to their content (Chinese
characters count double) and columns of ID numbers, phones and codes are stored as text, so that Excel neither
shows 1.1E+17 nor drops a leading zero when someone edits a cell. The file name is Chinese (RFC 6266
`filename*`), with an ASCII name for the clients that do not read it.
"""

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from itertools import chain, islice
from urllib.parse import quote

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .audit import Action, audit
from .models import ExportRecord

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is a formula (or becomes one) when a spreadsheet opens it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses these in a sheet's name; a title naming a place or unit may contain them.
SHEET_NAME_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
# Characters no file name may hold on Windows, plus the quote and the controls that would break the header.
FILENAME_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f;]')
# An ID number (masked or not), a phone, a community or unit code: digits that must stay text.
NUMBER_LIKE = re.compile(r"^[0-9][0-9*Xx]{5,}$")
TEXT_FORMAT = "@"
# Rows read ahead to size the columns; the rest stream through without being held.
WIDTH_SAMPLE = 500
MIN_WIDTH, MAX_WIDTH = 6, 60
HEADER_ROW = 3  # title, place/period/time, headers


def safe_cell(value):
    """Text that a spreadsheet would read as a formula is written with a leading apostrophe, as text; the control
    characters a workbook cannot hold are dropped. Forms refuse them (communities.text); a value stored before
    that, or by another path, must still never stop an export."""
    if isinstance(value, Promise):  # a lazy translation (a choice's label) is text
        value = str(value)
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def display_width(value) -> int:
    """Columns a value takes in Excel's default font: wide (CJK) characters count two."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment header with the UTF-8 name (RFC 6266/5987 `filename*`) and an ASCII `filename` before it."""
    ascii_name = FILENAME_FORBIDDEN.sub("", fallback).encode("ascii", "ignore").decode() or "export.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def export_filename(title: str, at) -> str:
    """The Chinese file name: the title and the minute of export, without characters a file system refuses."""
    stem = FILENAME_FORBIDDEN.sub("", title).strip(" .") or _("Export")
    return f"{stem[:80]}-{at:%Y%m%d-%H%M}.xlsx"


def xlsx_response(content: bytes, *, filename: str, fallback: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, fallback)
    return response


def scope_place(user) -> str:
    """The place a user's exports cover, for the title row: the city, or the names of their districts, streets,
    communities and units (at most three, then a count)."""
    # Imported here: the scope lives in the platform package, which imports this module's neighbours.
    from .models import Community, District, Street, Unit
    from .platform.policies import scope_of

    scope = scope_of(user)
    if scope.sees_everything:
        return _("Whole city")
    names = [
        *District.objects.filter(pk__in=scope.district_ids).values_list("name", flat=True),
        *Street.objects.filter(pk__in=scope.street_ids).values_list("name", flat=True),
        *Community.objects.filter(pk__in=scope.community_ids).values_list("name", flat=True),
        *Unit.objects.filter(pk__in=scope.unit_ids).values_list("name", flat=True),
    ]
    if len(names) > 3:
        return _("%(names)s and %(count)s more") % {"names": "、".join(names[:3]), "count": len(names) - 3}
    return "、".join(names) or "—"


def _text_columns(header: Sequence, sample: list[Sequence], text_columns: Iterable[int]) -> set[int]:
    """Columns to store as text: the ones named, and any whose values look like ID numbers, phones or codes."""
    chosen = set(text_columns)
    for row in sample:
        for index, value in enumerate(row):
            if isinstance(value, str) and NUMBER_LIKE.match(value):
                chosen.add(index)
    return chosen


def _widths(header: Sequence, sample: list[Sequence]) -> list[float]:
    widths = [display_width(label) for label in header]
    for row in sample:
        for index, value in enumerate(row):
            if index < len(widths):
                widths[index] = max(widths[index], display_width(value))
            else:
                widths.append(display_width(value))
    return [min(MAX_WIDTH, max(MIN_WIDTH, width + 2)) for width in widths]


def write_sheet(sheet, *, title: str, place: str, period: str, header: Sequence, rows: Iterable[Sequence],
                user=None, at=None, text_columns: Iterable[int] = ()) -> int:  # fmt: skip
    """Write the filing layout onto a write-only sheet; returns the number of data rows."""
    at = at or timezone.localtime()
    rows = iter(rows)
    sample = [list(row) for row in islice(rows, WIDTH_SAMPLE)]
    header = [str(label) for label in header]
    text = _text_columns(header, sample, text_columns)
    for index, width in enumerate(_widths(header, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"

    title_cell = WriteOnlyCell(sheet, value=safe_cell(title))
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    parts = [
        _("Place: %(place)s") % {"place": place},
        _("Period: %(period)s") % {"period": period},
        _("Exported at %(time)s") % {"time": f"{at:%Y-%m-%d %H:%M}"},
    ]
    if user is not None:
        parts.append(_("by %(user)s") % {"user": user})
    sheet.append([safe_cell("　".join(parts))])
    header_cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=safe_cell(label))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)

    count = 0
    for row in chain(sample, rows):
        values = [safe_cell(value) for value in row]
        for index in text:
            if index < len(values) and values[index] is not None:
                cell = WriteOnlyCell(sheet, value=str(values[index]))
                cell.number_format = TEXT_FORMAT
                values[index] = cell
        sheet.append(values)
        count += 1
    return count


def sheet_title(title: str) -> str:
    return SHEET_NAME_FORBIDDEN.sub("", title)[:31] or "Sheet1"


def xlsx_export(
    *,
    user,
    kind: str,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    filters: dict,
    place: str,
    period: str,
    full_values: bool = False,
    text_columns: Iterable[int] = (),
) -> HttpResponse:
    """Write rows to an .xlsx download fit for filing (see the module's docstring), and record the export.

    The record stores who, when, what kind, the filters and the row count; it is written before the
    response is returned, so an export that was served is always on record. The audit trail gets the same, in
    the same transaction (action "export_full" when personal data is not masked).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    exported_at = timezone.localtime()
    count = write_sheet(
        sheet,
        title=title,
        place=place,
        period=period,
        header=header,
        rows=rows,
        user=user,
        at=exported_at,
        text_columns=text_columns,
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    with transaction.atomic():
        record = ExportRecord.objects.create(
            user=user, kind=kind, filters=filters, row_count=count, full_values=full_values
        )
        audit(
            action=Action.EXPORT_FULL if full_values else Action.EXPORT,
            user=user,
            obj=record,
            detail={"kind": kind, "filters": filters, "rows": count, "full_values": full_values},
        )
    return xlsx_response(
        buffer.getvalue(),
        filename=export_filename(title, exported_at),
        fallback=f"{kind}-{exported_at:%Y%m%d-%H%M%S}.xlsx",
    )


def year_period(year: int) -> str:
    return _("Year %(year)s") % {"year": year}


def as_of_period() -> str:
    """The period of a list that has none (a ledger): the day it was taken."""
    return _("As of %(date)s") % {"date": f"{timezone.localdate():%Y-%m-%d}"}


def date_period(start, end) -> str:
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
