"""The roster (应报到名单) import: a unit's spreadsheet of the members who must report.

A file is checked whole and saved whole: every row is validated, every error is reported with its row
and column, and nothing is written unless the whole file is clean. Rows are matched to the roster by
the keyed hash of the ID card number, so a re-upload updates the people already on the unit's roster
instead of duplicating them. ID numbers are stored only through registration.identity.protect_id_number.

Used by the unit liaison's upload page and by the `roster_import` management command.
"""

import csv
import io
import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from communities.iterables import batched
from communities.models import Community, Unit
from communities.text import InvisibleCharacterValidator, normalize_text
from communities.uploads import UploadRefused, check_csv, check_xlsx

from .identity import MOBILE_SHAPE, InvalidIdNumber, hash_id_number, parse_id_number, protect_id_number
from .models import Member, RosterEntry
from .rates.tallies import tallies_follow
from .signals import members_changed_in_bulk

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# Batch sizes: few enough queries that 100,000 rows stay well under a minute, small enough that each
# statement stays under SQLite's bound-parameter limit and PostgreSQL plans it quickly.
LOOKUP_CHUNK = 5_000
CREATE_BATCH = 2_000
# Rows per UPDATE ... FROM (VALUES ...) statement: 5 parameters each, within SQLite's 32,766.
UPDATE_BATCH = 1_000

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: the pre-2007 Excel format, which openpyxl cannot read
# Excel writes a number of more than 15 significant digits as a float and drops the rest: an ID number
# typed into a cell formatted as a number arrives above this bound and can no longer be trusted.
_EXACT_FLOAT_LIMIT = 2**53
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class RosterColumn:
    """One column of the roster file: its key, the Chinese header that names it in the file, and its rules."""

    key: str
    header: str
    required: bool
    max_length: int | None
    help_text: str


ROSTER_COLUMNS = [
    RosterColumn(
        "name",
        "姓名",
        True,
        50,
        gettext_lazy("Required. The member's full name, at most 50 characters."),
    ),
    RosterColumn(
        "id_number",
        "身份证号码",
        True,
        None,
        gettext_lazy(
            "Required. The 18-character resident ID card number; the last character may be X. "
            "Keep this column in text format so that Excel does not turn the number into 1.1E+17."
        ),
    ),
    RosterColumn(
        "position",
        "职务",
        False,
        100,
        gettext_lazy("Optional. The member's current position in the unit, at most 100 characters."),
    ),
    RosterColumn(
        "phone",
        "手机号码",
        False,
        None,
        gettext_lazy("Optional. An 11-digit mainland mobile number."),
    ),
    RosterColumn(
        "community_code",
        "应报到社区代码",
        False,
        None,
        gettext_lazy(
            "Optional. The code of the community where the member must report, from the list of the "
            "organisation department. Leave it empty and the community of the member's first report is used."
        ),
    ),
]
_HEADERS = {column.key: column.header for column in ROSTER_COLUMNS}
_COLUMN_ORDER = {column.header: index for index, column in enumerate(ROSTER_COLUMNS)}


@dataclass(frozen=True)
class RosterRowError:
    """One problem in the file: spreadsheet row (header is row 1; 0 for the whole file), column header or ""."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class RosterImportResult:
    """What an import did. With errors, created and updated are 0 and nothing was saved."""

    created: int
    updated: int
    errors: list[RosterRowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _FileRejected(Exception):
    """The file as a whole cannot be imported; carries the user-facing message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class _Row:
    """A data row that passed every check that needs no database; id_hash is "" when the ID number is bad."""

    number: int
    name: str
    id_number: str
    id_hash: str
    position: str
    phone: str
    community_code: str


# --- The template --------------------------------------------------------------------------------


# Rows of the roster sheet whose community cell offers the list of codes.
TEMPLATE_CHOICE_ROWS = 5000


def roster_template_xlsx(*, communities) -> bytes:
    """An empty roster workbook: the header row (each header cell commented), a sheet of the community codes the
    liaison may choose (`communities`: rows of district, street, community name, code) with the code column
    offering them as a list, and a sheet of instructions.

    The ID number, phone and code columns are formatted as text so that Excel keeps all 18 digits.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Roster")
    sheet.append([column.header for column in ROSTER_COLUMNS])
    for index, column in enumerate(ROSTER_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.comment = Comment(str(column.help_text), gettext("Roster template"), width=300, height=120)
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = 24 if column.key in ("id_number", "community_code") else 16
        dimension.number_format = "@"
    sheet.freeze_panes = "A2"


    notes = workbook.create_sheet(gettext("Instructions"))
    notes.append([gettext("Column"), gettext("Required"), gettext("What to fill in")])
    for column in ROSTER_COLUMNS:
        notes.append([column.header, gettext("Yes") if column.required else gettext("No"), str(column.help_text)])
    notes.append([])
    for rule in _import_rules():
        notes.append([rule])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 90
    # The column rows wrap inside their cells; the rules below stay unwrapped and run across the empty cells.
    for row in notes.iter_rows(min_row=2, max_row=len(ROSTER_COLUMNS) + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    codes = workbook.create_sheet(gettext("Community codes"))
    codes.append([gettext("District"), gettext("Street"), gettext("Community"), ROSTER_COLUMNS[-1].header])
    for cell in codes[1]:
        cell.font = Font(bold=True)
    count = 0
    for district, street, name, code in communities:
        codes.append([district, street, name, code])
        codes.cell(row=codes.max_row, column=4).number_format = "@"
        count += 1
    for letter, width in zip("ABCD", (14, 18, 24, 18), strict=True):
        codes.column_dimensions[letter].width = width
    codes.freeze_panes = "A2"
    if count:
        # The code column offers the list; a code typed by hand is still checked on upload.
        code_index = next(i for i, column in enumerate(ROSTER_COLUMNS, start=1) if column.key == "community_code")
        letter = get_column_letter(code_index)
        choice = DataValidation(
            type="list",
            formula1=f"'{codes.title}'!$D$2:$D${count + 1}",
            allow_blank=True,
            showErrorMessage=False,
        )
        sheet.add_data_validation(choice)
        choice.add(f"{letter}2:{letter}{TEMPLATE_CHOICE_ROWS + 1}")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import_rules() -> list[str]:
    return [
        gettext("Keep the header row as row 1 of the first sheet; the order of the columns does not matter."),
        gettext("Upload an .xlsx workbook or a CSV file (UTF-8 or GBK) of at most 10 MB."),
        gettext("If any row has an error, nothing is saved: correct every reported row and upload the whole file."),
        gettext("A person already on your unit's roster (same ID card number) is updated, not added twice."),
        gettext("An ID card number on another unit's roster is refused; the organisation department can move it."),
        gettext("People left out of the file stay on the roster; removing someone is done by the administrator."),
    ]


# --- The import ----------------------------------------------------------------------------------


def _no_progress(done: int, total: int) -> None:
    pass


# Rows parsed between two progress reports.
PROGRESS_EVERY = 2_000


def roster_import_file(*, unit: Unit, uploaded_file, user=None, progress=_no_progress) -> RosterImportResult:
    """Import a roster file (.xlsx or CSV, told apart by content) for `unit`, all or nothing.

    Guarantees: either every data row is saved in one transaction (new ID numbers created on this unit's
    roster, ID numbers already on it updated) and the counts are returned, or nothing is saved and every
    error found is returned, sorted by row. An ID number on another unit's roster is an error whose message
    does not say which unit. `user` is recorded in the log line only. Raises nothing for bad input;
    database errors other than a concurrent insert of the same ID number propagate.

    `progress(done, total)` is told the rows read so far and the file's rows (a background import shows them);
    done == total once the file is read, and once more when the rows are saved.
    """
    try:
        table, total = _read_table(uploaded_file)
        total = max(total - 1, 0)  # the header
        progress(0, total)
        rows, errors, columns = _parse_rows(table, progress=lambda done: progress(min(done, total), total))
    except _FileRejected as rejected:
        return _refused([RosterRowError(0, "", rejected.message)], unit=unit, user=user)

    for attempt in (1, 2):
        try:
            result = _save(unit=unit, rows=rows, errors=errors, columns=columns)
            break
        except IntegrityError:
            # Another import inserted one of these ID numbers between our check and our insert; the
            # second attempt sees that row and reports or updates it like any other.
            if attempt == 2:
                message = gettext(
                    "Another upload changed the roster at the same time. Nothing was saved; please upload the "
                    "file again."
                )
                result = RosterImportResult(0, 0, [RosterRowError(0, "", message)])
    if not result.ok:
        return _refused(result.errors, unit=unit, user=user)
    progress(total, total)
    logger.info(
        "Roster import for unit %s by user %s: %s created, %s updated",
        unit.pk,
        getattr(user, "pk", None),
        result.created,
        result.updated,
    )
    return result


def _refused(errors: list[RosterRowError], *, unit: Unit, user) -> RosterImportResult:
    logger.info(
        "Roster import for unit %s by user %s refused with %s errors", unit.pk, getattr(user, "pk", None), len(errors)
    )
    return RosterImportResult(0, 0, sorted(errors, key=_error_order))


def _error_order(error: RosterRowError) -> tuple[int, int]:
    return error.row, _COLUMN_ORDER.get(error.column, -1)


# --- Reading the file into rows of cell values --------------------------------------------------------


def _read_table(uploaded_file) -> tuple[Iterator[tuple], int]:
    """The rows of the file as tuples of raw cell values, header first, and how many rows it has (header
    included; for a progress display). Raises _FileRejected."""
    data = _read_bytes(uploaded_file)
    if not data:
        raise _FileRejected(gettext("The file is empty."))
    try:
        if data.startswith(_XLSX_MAGIC):
            total = check_xlsx(data, max_rows=settings.ROSTER_MAX_ROWS)
        else:
            total = check_csv(data, max_rows=settings.ROSTER_MAX_ROWS)
    except UploadRefused as refused:
        raise _FileRejected(str(refused)) from refused
    if data.startswith(_XLSX_MAGIC):
        return _xlsx_rows(data), total
    if data.startswith(_XLS_MAGIC):
        raise _FileRejected(
            gettext("This is an old Excel .xls file. Save it as an Excel workbook (.xlsx) or as CSV and upload it.")
        )
    return _csv_rows(_decode_text(data)), total


def _read_bytes(uploaded_file) -> bytes:
    too_large = _FileRejected(
        gettext("The file is larger than %(limit)s MB. Split it into smaller files.")
        % {"limit": f"{MAX_UPLOAD_BYTES / (1024 * 1024):g}"}
    )
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise too_large
    if getattr(uploaded_file, "seekable", lambda: False)():
        uploaded_file.seek(0)  # a form may have peeked at the file already
    # Read one byte past the limit: a file-like without a trustworthy size is still bounded.
    data = uploaded_file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large
    return data


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    not_a_workbook = _FileRejected(gettext("The file is not a readable Excel workbook (.xlsx)."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # openpyxl raises a variety of types (BadZipFile, KeyError, InvalidFileException, XML errors) on
    # files that are zips but not workbooks; all mean the same thing to the person uploading.
    except Exception as error:
        raise not_a_workbook from error
    return _workbook_rows(workbook, not_a_workbook)


def _workbook_rows(workbook, not_a_workbook: _FileRejected) -> Iterator[tuple]:
    """Rows of the first sheet whose row 1 holds the required headers (the first sheet if none does)."""
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise not_a_workbook
        chosen = sheets[0]
        for sheet in sheets:
            # Some writers record a wrong used range (A1:A1), which read-only mode would trust and truncate to.
            sheet.reset_dimensions()
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            if not _missing_required(_header_positions(first)):
                chosen = sheet
                break
        yield from chosen.iter_rows(values_only=True)
    except _FileRejected:
        raise
    except Exception as error:  # a broken sheet inside a valid zip: see _xlsx_rows
        raise not_a_workbook from error
    finally:
        workbook.close()


def _decode_text(data: bytes) -> str:
    # Excel on a Chinese Windows saves "CSV" in GBK (a subset of GB 18030); everything else saves UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Binary files sometimes decode as GB 18030; control characters show they are not text.
        if not _CONTROL_CHARACTER.search(text):
            return text
    raise _FileRejected(gettext("The file is neither an Excel workbook (.xlsx) nor a CSV text file."))


def _csv_rows(text: str) -> Iterator[tuple]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from (tuple(row) for row in reader)
    except csv.Error as error:
        raise _FileRejected(
            gettext("The CSV file is malformed near row %(row)s.") % {"row": reader.line_num}
        ) from error


# --- Checking rows without the database ---------------------------------------------------------------


def _header_positions(header: Iterable) -> dict[str, int]:
    """Column key → index in the row, for the headers this file has (first occurrence)."""
    wanted = {column.header: column.key for column in ROSTER_COLUMNS}
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = wanted.get(_cell_text(value))
        if key is not None and key not in positions:
            positions[key] = index
    return positions


def _missing_required(positions: dict[str, int]) -> list[str]:
    return [column.header for column in ROSTER_COLUMNS if column.required and column.key not in positions]


def _check_header(header: tuple) -> dict[str, int]:
    positions = _header_positions(header)
    missing = _missing_required(positions)
    if missing:
        raise _FileRejected(
            gettext("The header row (row 1) lacks the required column(s): %(headers)s.")
            % {"headers": "、".join(missing)}
        )
    texts = [_cell_text(value) for value in header]
    for column in ROSTER_COLUMNS:
        if texts.count(column.header) > 1:
            raise _FileRejected(
                gettext("The column %(header)s appears more than once in the header row.") % {"header": column.header}
            )
    return positions


def _parse_rows(table: Iterator[tuple], progress=None) -> tuple[list[_Row], list[RosterRowError], frozenset[str]]:
    """Every non-blank data row checked, its errors, and the keys of the columns the file has.

    Raises _FileRejected for a bad header or a file without data rows.
    """
    header = next(table, None)
    if header is None:
        raise _FileRejected(gettext("The file is empty."))
    positions = _check_header(header)
    rows: list[_Row] = []
    errors: list[RosterRowError] = []
    first_row_of: dict[str, int] = {}
    for number, values in enumerate(table, start=2):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number - 1)
        raw = {key: values[index] if index < len(values) else None for key, index in positions.items()}
        if all(_cell_text(value) == "" for value in raw.values()):
            continue
        row, row_errors = _parse_row(number, raw)
        if row.id_hash:
            earlier = first_row_of.setdefault(row.id_hash, number)
            if earlier != number:
                row_errors.append(
                    _row_error(
                        number,
                        "id_number",
                        gettext("This ID card number already appears in row %(row)s of this file.") % {"row": earlier},
                    )
                )
        rows.append(row)
        errors.extend(row_errors)
    if not rows:
        raise _FileRejected(gettext("The file has no data rows below the header."))
    return rows, errors, frozenset(positions)


def _parse_row(number: int, raw: dict) -> tuple[_Row, list[RosterRowError]]:
    errors: list[RosterRowError] = []
    text = {key: _cell_text(raw.get(key)) for key in _HEADERS}
    for column in ROSTER_COLUMNS:
        value = text[column.key]
        if column.required and not value:
            errors.append(_row_error(number, column.key, gettext("This field is required.")))
        elif column.max_length and len(value) > column.max_length:
            message = gettext("At most %(limit)s characters (this one has %(length)s).") % {
                "limit": column.max_length,
                "length": len(value),
            }
            errors.append(_row_error(number, column.key, message))
        else:
            try:
                _REFUSE_INVISIBLE(value)  # the rule of every form (communities.text), for a spreadsheet's cells
            except ValidationError as invisible:
                errors.append(_row_error(number, column.key, " ".join(invisible.messages)))

    id_number, id_hash = "", ""
    if text["id_number"]:
        try:
            id_number = _id_number_from_cell(raw.get("id_number"), text["id_number"])
            id_hash = hash_id_number(id_number)
        except InvalidIdNumber as invalid:
            errors.append(_row_error(number, "id_number", str(invalid)))

    phone = text["phone"]
    if phone and not MOBILE_SHAPE.match(phone):
        errors.append(
            _row_error(number, "phone", gettext("Enter an 11-digit mainland mobile number starting with 13 to 19."))
        )

    row = _Row(
        number=number,
        name=text["name"],
        id_number=id_number,
        id_hash=id_hash,
        position=text["position"],
        phone=phone,
        community_code=text["community_code"],
    )
    return row, errors


def _id_number_from_cell(value, text: str) -> str:
    """The normalised ID number; raises InvalidIdNumber, also when Excel has already rounded the number."""
    if isinstance(value, float) and abs(value) >= _EXACT_FLOAT_LIMIT:
        raise InvalidIdNumber(
            gettext(
                "Excel stored this ID card number as a number and lost its last digits. Format the column as text "
                "and type the number again."
            )
        )
    number, _birth_on, _gender = parse_id_number(text)
    return number


_REFUSE_INVISIBLE = InvisibleCharacterValidator()


def _cell_text(value) -> str:
    """A cell as trimmed text; integral numbers lose their ".0" (a phone typed as a number is 13912345678.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # Normalised as typed text is (full-width digits become ASCII), so that IDs and phones match.
    return normalize_text(str(value)).strip()


def _row_error(number: int, key: str, message: str) -> RosterRowError:
    return RosterRowError(number, _HEADERS[key], message)


# --- Checking against the database and saving ---------------------------------------------------------


def _save(*, unit: Unit, rows: list[_Row], errors: list[RosterRowError], columns: frozenset[str]) -> RosterImportResult:
    """Check the rows against the roster and communities, then write them; one transaction.

    Raises IntegrityError when a concurrent import inserted one of the same ID numbers first.
    """
    with transaction.atomic():
        # Serialises imports for one unit (a double-clicked upload updates instead of colliding). NO KEY
        # UPDATE leaves inserts that reference the unit (members registering meanwhile) unblocked.
        list(Unit.objects.select_for_update(no_key=True).filter(pk=unit.pk).values_list("pk", flat=True))
        existing = _existing_entries([row.id_hash for row in rows if row.id_hash])
        community_ids = _community_ids({row.community_code for row in rows if row.community_code})
        errors = errors + _database_errors(unit=unit, rows=rows, existing=existing, community_ids=community_ids)
        if errors:
            return RosterImportResult(0, 0, errors)
        created, updated = _write(unit=unit, rows=rows, existing=existing, community_ids=community_ids, columns=columns)
    return RosterImportResult(created, updated, [])


def _existing_entries(hashes: list[str]) -> dict[str, tuple]:
    """ID hash → (pk, unit_id, name, position, phone, community_id) of the roster entries already saved."""
    found: dict[str, tuple] = {}
    for chunk in batched(hashes, LOOKUP_CHUNK):
        entries = RosterEntry.objects.filter(id_number_hash__in=chunk).values_list(
            "id_number_hash", "pk", "unit_id", "name", "position", "phone", "community_id"
        )
        for id_hash, *values in entries:
            found[id_hash] = tuple(values)
    return found


def _community_ids(codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in batched(sorted(codes), LOOKUP_CHUNK):
        found.update(Community.objects.filter(code__in=chunk).values_list("code", "pk"))
    return found


def _database_errors(*, unit: Unit, rows: list[_Row], existing: dict, community_ids: dict) -> list[RosterRowError]:
    errors = []
    for row in rows:
        entry = existing.get(row.id_hash)
        if entry is not None and entry[1] != unit.pk:
            # Which unit, and whose entry it is, stay undisclosed: the uploader may only learn that it is taken.
            message = gettext(
                "This ID card number is already on another unit's roster. If the person has changed unit, ask "
                "the organisation department to move them."
            )
            errors.append(_row_error(row.number, "id_number", message))
        if row.community_code and row.community_code not in community_ids:
            message = gettext("No community has this code. Check it against the organisation department's list.")
            errors.append(_row_error(row.number, "community_code", message))
    return errors


def _write(
    *, unit: Unit, rows: list[_Row], existing: dict, community_ids: dict, columns: frozenset[str]
) -> tuple[int, int]:
    """Create the new entries and update the matched ones; returns (created, updated).

    `updated` counts every matched entry; only those whose details differ are written. A column the file
    does not have leaves that detail as it was, and so does an empty community cell: the roster keeps the
    community filled in from the member's first report.
    """
    now = timezone.now()
    to_create, to_update, matched = [], [], 0
    for row in rows:
        entry = existing.get(row.id_hash)
        if entry is None:
            to_create.append(
                RosterEntry(
                    unit_id=unit.pk,
                    name=row.name,
                    position=row.position,
                    phone=row.phone,
                    community_id=community_ids.get(row.community_code),
                    created_at=now,
                    **protect_id_number(row.id_number),
                )
            )
            continue
        matched += 1
        pk, _unit_id, *current = entry
        name, position, phone, community_id = current
        wanted = (
            row.name,
            row.position if "position" in columns else position,
            row.phone if "phone" in columns else phone,
            community_ids.get(row.community_code) or community_id,
        )
        if list(wanted) != current:
            to_update.append((pk, *wanted))
    # Members who registered before their unit listed them are linked now, and every change the file
    # makes to who counts where goes into the reporting tallies in the same transaction.
    waiting = dict(
        Member.objects.filter(
            id_number_hash__in=[entry.id_number_hash for entry in to_create], roster_entry__isnull=True
        ).values_list("id_number_hash", "pk")
    )
    created_ids = []
    with tallies_follow(entry_ids=[pk for pk, *_ in to_update], member_ids=waiting.values(), new_entries=created_ids):
        RosterEntry.objects.bulk_create(to_create, batch_size=CREATE_BATCH)
        created_ids.extend(entry.pk for entry in to_create)
        _update_entries(to_update)
        for entry in to_create:
            if entry.id_number_hash in waiting:
                Member.objects.filter(pk=waiting[entry.id_number_hash]).update(roster_entry=entry, unit_id=unit.pk)
    if waiting:
        members_changed_in_bulk.send(sender=Member, member_ids=list(waiting.values()))
    return len(to_create), matched


_UPDATED_FIELDS = ("name", "position", "phone", "community")


def _update_entries(updates: list[tuple]) -> None:
    """Write (pk, name, position, phone, community_id) tuples: one statement per UPDATE_BATCH rows."""
    if not _can_update_from_values():
        entries = [
            RosterEntry(pk=pk, name=name, position=position, phone=phone, community_id=community_id)
            for pk, name, position, phone, community_id in updates
        ]
        RosterEntry.objects.bulk_update(entries, _UPDATED_FIELDS, batch_size=UPDATE_BATCH)
        return
    # Django's bulk_update spends ~0.4 ms of Python per row building CASE expressions (40 s for 100,000
    # rows); a join against a VALUES list does the same in one plain statement per batch.
    quote = connection.ops.quote_name
    meta = RosterEntry._meta
    table = quote(meta.db_table)
    name, position, phone, community = (quote(meta.get_field(field).column) for field in _UPDATED_FIELDS)
    with connection.cursor() as cursor:
        for chunk in batched(updates, UPDATE_BATCH):
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            # Identifiers come from the model's metadata and every value is a bound parameter. VALUES
            # columns are named column1..column5 by both PostgreSQL and SQLite; the cast types a column
            # of NULLs, which PostgreSQL would otherwise take for text.
            sql = (
                f"UPDATE {table} SET {name} = v.column2, {position} = v.column3, {phone} = v.column4, "  # noqa: S608  # nosec B608
                f"{community} = CAST(v.column5 AS bigint) FROM (VALUES {values}) AS v "
                f"WHERE {table}.{quote(meta.pk.column)} = v.column1"
            )
            cursor.execute(sql, [value for row in chunk for value in row])


def _can_update_from_values() -> bool:
    # UPDATE ... FROM arrived in SQLite 3.33; older SQLite and other databases take the ORM's bulk_update.
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 33)
