"""The Excel import of a community's areas and buildings (网格、楼栋): one sheet with the columns 网格, 楼栋, 地址, 户数
(the first row names them, in any order). All or nothing: every row is checked first; any error and nothing is saved.
An area or a building that exists already (by name) is updated, never duplicated."""

from dataclasses import dataclass, field
from io import BytesIO

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from ..uploads import MB, UploadRefused, check_xlsx
from .models import Building, Grid

MAX_UPLOAD_BYTES = 10 * MB
MAX_ROWS = 20_000  # buildings of one community: a few hundred; far more is not a community's list

COLUMNS = {"网格": "grid", "楼栋": "building", "地址": "address", "户数": "households"}
REQUIRED = ("grid", "building")


@dataclass
class GridImportResult:
    errors: list = field(default_factory=list)  # (row number, message)
    grids_created: int = 0
    buildings_created: int = 0
    buildings_updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _rows(uploaded_file):
    # The same checks as the roster's before anything parses the file (issue 19, finding 3).
    too_large = UploadRefused(
        _("The file is larger than %(limit)s MB. Split it into smaller files.") % {"limit": MAX_UPLOAD_BYTES // MB}
    )
    if getattr(uploaded_file, "size", 0) and uploaded_file.size > MAX_UPLOAD_BYTES:
        raise too_large
    data = uploaded_file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large
    check_xlsx(data, max_rows=MAX_ROWS)
    sheet = load_workbook(BytesIO(data), read_only=True, data_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    names = [COLUMNS.get(str(cell).strip()) if cell is not None else None for cell in header]
    missing = [title for title, name in COLUMNS.items() if name in REQUIRED and name not in names]
    if missing:
        raise ValueError(_("The first row must name the columns %(columns)s.") % {"columns": "、".join(missing)})
    for number, row in enumerate(rows, start=2):
        values = {name: row[index] for index, name in enumerate(names) if name and index < len(row)}
        if any(value not in (None, "") for value in values.values()):
            yield number, values


def _clean(number, values, errors):
    text = {name: str(values.get(name) or "").strip() for name in ("grid", "building", "address")}
    if not text["grid"] or not text["building"]:
        errors.append((number, _("The area and the building are required.")))
        return None
    if len(text["grid"]) > 50 or len(text["building"]) > 50 or len(text["address"]) > 200:
        errors.append((number, _("A name is too long (areas and buildings 50 characters, addresses 200).")))
        return None
    households = values.get("households")
    try:
        households = int(households) if households not in (None, "") else 0
    except (TypeError, ValueError):
        households = -1
    if households < 0:
        errors.append((number, _("The households must be a whole number, 0 or more.")))
        return None
    return {**text, "households": households}


def grid_import_file(*, community, uploaded_file) -> GridImportResult:
    result = GridImportResult()
    try:
        rows = list(_rows(uploaded_file))
    except ValueError as error:
        result.errors.append((0, str(error)))
        return result
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds for a file that is not a workbook)
        result.errors.append((0, _("The file is not an Excel workbook (.xlsx).")))
        return result
    cleaned, seen = [], set()
    for number, values in rows:
        row = _clean(number, values, result.errors)
        if row is None:
            continue
        key = (row["grid"], row["building"])
        if key in seen:
            result.errors.append((number, _("This building is listed twice.")))
            continue
        seen.add(key)
        cleaned.append(row)
    if result.errors:
        return result
    with transaction.atomic():
        grids = {grid.name: grid for grid in Grid.objects.filter(community=community)}
        for row in cleaned:
            grid = grids.get(row["grid"])
            if grid is None:
                grid = grids[row["grid"]] = Grid.objects.create(community=community, name=row["grid"])
                result.grids_created += 1
            _building, created = Building.objects.update_or_create(
                grid=grid, name=row["building"], defaults={"address": row["address"], "households": row["households"]}
            )
            if created:
                result.buildings_created += 1
            else:
                result.buildings_updated += 1
    return result
