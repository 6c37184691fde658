"""Excel exports: one writer for every app, so that escaping, the header and the audit record are never forgotten."""

import io
import re
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .audit import Action, audit
from .models import ExportRecord

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is a formula (or becomes one) when a spreadsheet opens it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses these in a sheet's name; a title naming a place or unit may contain them.
SHEET_NAME_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")


def safe_cell(value):
    """Text that a spreadsheet would read as a formula is written with a leading apostrophe, as text; the control
    characters a workbook cannot hold are dropped. Forms refuse them (communities.text); a value stored before
    that, or by another path, must still never stop an export."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def xlsx_export(
    *,
    user,
    kind: str,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    filters: dict,
    full_values: bool = False,
) -> HttpResponse:
    """Write rows to an .xlsx download with who exported it and when, and record the export.

    The record stores who, when, what kind, the filters and the row count; it is written before the
    response is returned, so an export that was served is always on record. The audit trail gets the same, in
    the same transaction (action "export_full" when personal data is not masked).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=SHEET_NAME_FORBIDDEN.sub("", title)[:31] or "Sheet1")
    exported_at = timezone.localtime()
    sheet.append([safe_cell(title)])
    exported_by = _("Exported by %(user)s at %(time)s") % {"user": user, "time": f"{exported_at:%Y-%m-%d %H:%M}"}
    sheet.append([safe_cell(exported_by)])
    sheet.append([safe_cell(str(label)) for label in header])
    count = 0
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
        count += 1
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
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    filename = f"{kind}-{exported_at:%Y%m%d-%H%M%S}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
