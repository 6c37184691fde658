import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import translation
from openpyxl import Workbook, load_workbook

from registration import roster
from registration.identity import hash_id_number, mask_id_number
from registration.management.commands.roster_import import Command as RosterImportCommand
from registration.models import RosterEntry
from registration.roster import (
    ROSTER_COLUMNS,
    RosterImportResult,
    RosterRowError,
    roster_import_file,
    roster_template_xlsx,
)
from tests.factories import CommunityFactory, RosterEntryFactory, UnitFactory, valid_id_number

pytestmark = pytest.mark.django_db

HEADERS = [column.header for column in ROSTER_COLUMNS]
NAME, ID_NUMBER, POSITION, PHONE, COMMUNITY = HEADERS
# A published GB 11643 example whose check character is X.
ID_WITH_X = "11010519491231002X"


def xlsx_bytes(rows, *, header=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file(rows, *, header=HEADERS, name="roster.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(rows, header=header))


def csv_file(rows, *, header=HEADERS, encoding="utf-8-sig", name="roster.csv"):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode(encoding))


def person(n, *, name=None, position="科员", phone=None, community=""):
    return [name or f"张{n}", valid_id_number(n), position, phone or f"139{n:08d}", community]


def where(result: RosterImportResult) -> set[tuple[int, str]]:
    return {(error.row, error.column) for error in result.errors}


# --- Good files ----------------------------------------------------------------------------------


def test_xlsx_import_creates_entries_with_encrypted_id_numbers():
    unit = UnitFactory()
    community = CommunityFactory()
    rows = [person(1, community=community.code), person(2), ["王五", ID_WITH_X, "", "", ""]]

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows))

    assert result == RosterImportResult(created=3, updated=0, errors=[])
    assert result.ok
    first = RosterEntry.objects.get(id_number_hash=hash_id_number(valid_id_number(1)))
    assert (first.unit, first.name, first.position, first.phone, first.community) == (
        unit,
        "张1",
        "科员",
        "13900000001",
        community,
    )
    assert first.id_number == valid_id_number(1)
    assert first.id_number_mask == mask_id_number(valid_id_number(1))
    assert valid_id_number(1) not in first.id_number_encrypted
    assert first.created_at is not None
    third = RosterEntry.objects.get(id_number_hash=hash_id_number(ID_WITH_X))
    assert (third.id_number, third.position, third.phone, third.community) == (ID_WITH_X, "", "", None)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_import_creates_entries_in_either_encoding(encoding):
    unit = UnitFactory()
    rows = [["欧阳娜娜", valid_id_number(1), "办公室主任", "13812345678", ""], person(2)]

    result = roster_import_file(unit=unit, uploaded_file=csv_file(rows, encoding=encoding))

    assert (result.created, result.updated, result.errors) == (2, 0, [])
    entry = RosterEntry.objects.get(id_number_hash=hash_id_number(valid_id_number(1)))
    assert (entry.name, entry.position, entry.phone, entry.id_number) == (
        "欧阳娜娜",
        "办公室主任",
        "13812345678",
        valid_id_number(1),
    )


def test_format_is_decided_by_content_not_by_file_name():
    unit = UnitFactory()

    as_csv = roster_import_file(unit=unit, uploaded_file=xlsx_file([person(1)], name="roster.csv"))
    as_xlsx = roster_import_file(unit=unit, uploaded_file=csv_file([person(2)], name="roster.xlsx"))

    assert (as_csv.created, as_xlsx.created) == (1, 1)


def test_cells_are_normalised_numbers_spaces_and_lower_case_x():
    unit = UnitFactory()
    community = CommunityFactory()
    rows = [
        ["  李四 ", f"  {ID_WITH_X.lower()}  ", " 科长 ", " 13912345678 ", f" {community.code} "],
        # Phone and community code typed into number cells come back as numbers.
        ["赵六", valid_id_number(7), "科员", 13987654321, int(community.code)],
    ]

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows))

    assert result.ok, result.errors
    first = RosterEntry.objects.get(id_number_hash=hash_id_number(ID_WITH_X))
    assert (first.name, first.position, first.phone, first.community) == ("李四", "科长", "13912345678", community)
    assert first.id_number == ID_WITH_X
    second = RosterEntry.objects.get(id_number_hash=hash_id_number(valid_id_number(7)))
    assert (second.phone, second.community) == ("13987654321", community)


def test_headers_match_in_any_order_with_spaces_and_unknown_columns_ignored():
    unit = UnitFactory()
    header = ["序号", f" {ID_NUMBER} ", "备注", f"{NAME}  "]
    rows = [[1, valid_id_number(1), "无", "张三"]]

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows, header=header))

    assert result.created == 1
    entry = RosterEntry.objects.get()
    assert (entry.name, entry.id_number, entry.position, entry.phone) == ("张三", valid_id_number(1), "", "")


def test_blank_rows_are_skipped_and_row_numbers_still_count_them():
    unit = UnitFactory()
    rows = [person(1), [None, None, None, None, None], ["  ", "", "", "", ""], ["", "123", "", "", ""]]

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows))

    assert where(result) == {(5, NAME), (5, ID_NUMBER)}


# --- Re-upload -----------------------------------------------------------------------------------


def test_reupload_updates_the_units_entries_without_duplicates():
    unit = UnitFactory()
    roster_import_file(unit=unit, uploaded_file=xlsx_file([person(1), person(2)]))
    first_created_at = RosterEntry.objects.get(id_number_hash=hash_id_number(valid_id_number(1))).created_at

    rows = [person(1, position="副处长"), person(2), person(3)]
    result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows))

    assert (result.created, result.updated, result.errors) == (1, 2, [])
    assert RosterEntry.objects.filter(unit=unit).count() == 3
    first = RosterEntry.objects.get(id_number_hash=hash_id_number(valid_id_number(1)))
    assert first.position == "副处长"
    assert first.created_at == first_created_at


def test_reupload_keeps_the_community_when_its_cell_is_empty_and_details_of_absent_columns():
    unit = UnitFactory()
    community, other = CommunityFactory(), CommunityFactory()
    kept = RosterEntryFactory(unit=unit, id_number=valid_id_number(1), community=community, phone="13900000009")
    moved = RosterEntryFactory(unit=unit, id_number=valid_id_number(2), community=community)
    header = [NAME, ID_NUMBER, COMMUNITY]
    rows = [["新名字", valid_id_number(1), ""], ["张二", valid_id_number(2), other.code]]

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows, header=header))

    assert (result.created, result.updated) == (0, 2)
    kept.refresh_from_db()
    moved.refresh_from_db()
    assert (kept.name, kept.community, kept.phone, kept.position) == ("新名字", community, "13900000009", "科员")
    assert moved.community == other


@pytest.mark.parametrize("set_based", [True, False], ids=["update-from-values", "orm-bulk-update"])
def test_both_update_paths_write_the_same_details(set_based, monkeypatch):
    monkeypatch.setattr(roster, "_can_update_from_values", lambda: set_based)
    unit = UnitFactory()
    community = CommunityFactory()
    roster_import_file(unit=unit, uploaded_file=xlsx_file([person(n) for n in range(5)]))
    rows = [person(0, name="改名", position="", phone="13700000000", community=community.code)]
    rows += [person(n, position=f"职务{n}") for n in range(1, 5)]

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows))

    assert (result.created, result.updated, result.errors) == (0, 5, [])
    entries = {entry.name: entry for entry in RosterEntry.objects.filter(unit=unit)}
    assert (entries["改名"].position, entries["改名"].phone, entries["改名"].community) == (
        "",
        "13700000000",
        community,
    )
    assert [entries[f"张{n}"].position for n in range(1, 5)] == [f"职务{n}" for n in range(1, 5)]
    assert entries["张1"].community is None


# --- Errors --------------------------------------------------------------------------------------


def test_every_error_is_reported_with_its_row_and_column_and_nothing_is_saved():
    unit = UnitFactory()
    other_unit = UnitFactory()
    RosterEntryFactory(unit=other_unit, id_number=valid_id_number(900))
    community = CommunityFactory()
    bad_checksum = valid_id_number(3)[:17] + ("0" if valid_id_number(3)[17] != "0" else "1")
    no_such_day = "110101198502300018"  # 30 February
    rows = [
        ["", valid_id_number(1), "", "", ""],  # row 2: no name
        ["长" * 51, valid_id_number(2), "", "", ""],  # row 3: name too long
        ["甲", bad_checksum, "", "", ""],  # row 4: check digit
        ["乙", no_such_day, "", "", ""],  # row 5: birth date
        ["丙", "", "", "", ""],  # row 6: no ID number
        ["丁", valid_id_number(6), "", "1391234567", ""],  # row 7: phone one digit short
        ["戊", valid_id_number(7), "职" * 101, "", ""],  # row 8: position too long
        ["己", valid_id_number(8), "", "", "999999999999"],  # row 9: unknown community
        ["庚", valid_id_number(9), "", "", community.code],  # row 10: fine
        ["辛", valid_id_number(9), "", "", ""],  # row 11: same ID as row 10
        ["壬", valid_id_number(900), "", "", ""],  # row 12: on another unit's roster
        ["癸", valid_id_number(12), "", "12345678901", ""],  # row 13: phone not a mobile number
        ["", "", "", "", ""],  # row 14: blank, skipped
        ["子", "12345", "", "", ""],  # row 15: ID too short
    ]

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows))

    assert not result.ok
    assert (result.created, result.updated) == (0, 0)
    assert [(error.row, error.column) for error in result.errors] == [
        (2, NAME),
        (3, NAME),
        (4, ID_NUMBER),
        (5, ID_NUMBER),
        (6, ID_NUMBER),
        (7, PHONE),
        (8, POSITION),
        (9, COMMUNITY),
        (11, ID_NUMBER),
        (12, ID_NUMBER),
        (13, PHONE),
        (15, ID_NUMBER),
    ]
    assert all(isinstance(error, RosterRowError) and error.message for error in result.errors)
    assert RosterEntry.objects.filter(unit=unit).count() == 0
    assert RosterEntry.objects.count() == 1


def test_one_bad_row_stops_an_update_of_existing_entries_too():
    unit = UnitFactory()
    entry = RosterEntryFactory(unit=unit, id_number=valid_id_number(1), position="科员")
    rows = [person(1, position="处长"), person(2), ["", valid_id_number(3), "", "", ""]]

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows))

    assert where(result) == {(4, NAME)}
    entry.refresh_from_db()
    assert entry.position == "科员"
    assert RosterEntry.objects.count() == 1


def test_errors_are_messages_in_english_when_english_is_active():
    unit = UnitFactory()
    rows = [["", valid_id_number(1), "", "", "404"], person(2), person(2)]

    with translation.override("en"):
        result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows))

    messages = {(error.row, error.column): error.message for error in result.errors}
    assert messages == {
        (2, NAME): "This field is required.",
        (2, COMMUNITY): "No community has this code. Check it against the organisation department's list.",
        (4, ID_NUMBER): "This ID card number already appears in row 3 of this file.",
    }


def test_duplicate_id_number_in_the_file_reports_each_later_row_naming_the_first():
    unit = UnitFactory()
    rows = [person(1), person(2), person(1, name="重复甲"), [f" {valid_id_number(1)} ", "", "", "", ""]]
    rows[3] = ["重复乙", f" {valid_id_number(1)} ", "", "", ""]

    with translation.override("en"):
        result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows))

    assert where(result) == {(4, ID_NUMBER), (5, ID_NUMBER)}
    assert all("row 2" in error.message for error in result.errors)
    assert RosterEntry.objects.count() == 0


def test_id_number_on_another_units_roster_is_refused_without_saying_whose():
    unit = UnitFactory()
    other_unit = UnitFactory(name="市保密局", code="SECRET01")
    taken = RosterEntryFactory(unit=other_unit, name="钱七", id_number=valid_id_number(1), position="局长")

    with translation.override("en"):
        result = roster_import_file(unit=unit, uploaded_file=xlsx_file([person(1, name="别人"), person(2)]))

    assert where(result) == {(2, ID_NUMBER)}
    message = result.errors[0].message
    assert "another unit" in message
    for secret in (other_unit.name, other_unit.code, str(other_unit.pk), taken.name, taken.position):
        assert secret not in message
    taken.refresh_from_db()
    assert (taken.unit, taken.name) == (other_unit, "钱七")
    assert RosterEntry.objects.count() == 1


def test_unknown_community_code_is_reported_on_its_column():
    unit = UnitFactory()
    community = CommunityFactory()
    rows = [person(1, community=community.code), person(2, community="110199999999")]

    result = roster_import_file(unit=unit, uploaded_file=csv_file(rows))

    assert where(result) == {(3, COMMUNITY)}
    assert RosterEntry.objects.count() == 0


def test_id_number_that_excel_rounded_to_a_float_is_refused():
    unit = UnitFactory()
    rounded = float(valid_id_number(1))  # what Excel keeps of an ID typed into a number cell

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file([["张三", rounded, "", "", ""]]))

    assert where(result) == {(2, ID_NUMBER)}


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ([ID_NUMBER, POSITION], [NAME]),
        ([NAME, "身份证号", PHONE], [ID_NUMBER]),
        (["name", "id"], [NAME, ID_NUMBER]),
    ],
)
def test_missing_required_header_is_a_whole_file_error(header, missing):
    unit = UnitFactory()
    rows = [["x"] * len(header)]

    with translation.override("en"):
        result = roster_import_file(unit=unit, uploaded_file=xlsx_file(rows, header=header))

    assert where(result) == {(0, "")}
    assert all(header in result.errors[0].message for header in missing)
    assert RosterEntry.objects.count() == 0


def test_a_required_header_twice_is_a_whole_file_error():
    unit = UnitFactory()
    header = [NAME, ID_NUMBER, NAME]

    result = roster_import_file(
        unit=unit, uploaded_file=csv_file([["张三", valid_id_number(1), "李四"]], header=header)
    )

    assert where(result) == {(0, "")}


def test_header_without_rows_is_a_whole_file_error():
    result = roster_import_file(unit=UnitFactory(), uploaded_file=xlsx_file([[None] * 5]))

    assert where(result) == {(0, "")}


def zip_that_is_not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89",
        zip_that_is_not_a_workbook(),
        b"PK\x03\x04 truncated zip",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,  # the old .xls format
        b"",
    ],
    ids=["png", "zip", "broken-zip", "xls", "empty"],
)
def test_a_file_that_is_not_a_roster_spreadsheet_is_refused(content):
    unit = UnitFactory()

    result = roster_import_file(unit=unit, uploaded_file=SimpleUploadedFile("roster.xlsx", content))

    assert where(result) == {(0, "")}
    assert (result.created, result.updated) == (0, 0)
    assert RosterEntry.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    unit = UnitFactory()
    content = xlsx_bytes([person(n) for n in range(20)])
    monkeypatch.setattr(roster, "MAX_UPLOAD_BYTES", len(content) - 1)

    declared = roster_import_file(unit=unit, uploaded_file=SimpleUploadedFile("roster.xlsx", content))
    stream = io.BytesIO(content)  # a file-like without .size: the reader must still stop at the limit
    stream.name = "roster.xlsx"
    undeclared = roster_import_file(unit=unit, uploaded_file=stream)

    assert where(declared) == where(undeclared) == {(0, "")}
    assert RosterEntry.objects.count() == 0


def test_a_file_at_the_size_limit_is_read(monkeypatch):
    content = xlsx_bytes([person(1)])
    monkeypatch.setattr(roster, "MAX_UPLOAD_BYTES", len(content))
    stream = io.BytesIO(content)
    stream.name = "roster.xlsx"

    assert roster_import_file(unit=UnitFactory(), uploaded_file=stream).created == 1


def blind_first_lookups(monkeypatch, blind_calls: int):
    """Make the first lookups miss existing entries, as if another import inserted them just after."""
    real_lookup = roster._existing_entries
    calls = []

    def lookup(hashes):
        calls.append(hashes)
        return {} if len(calls) <= blind_calls else real_lookup(hashes)

    monkeypatch.setattr(roster, "_existing_entries", lookup)
    return calls


def test_an_id_number_inserted_concurrently_is_rechecked_once(monkeypatch):
    unit = UnitFactory()
    RosterEntryFactory(unit=unit, id_number=valid_id_number(1), position="科员")
    calls = blind_first_lookups(monkeypatch, blind_calls=1)

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file([person(1, position="处长"), person(2)]))

    assert (result.created, result.updated, result.errors) == (1, 1, [])
    assert len(calls) == 2
    assert RosterEntry.objects.get(id_number_hash=hash_id_number(valid_id_number(1))).position == "处长"
    assert RosterEntry.objects.count() == 2


def test_an_import_that_keeps_colliding_saves_nothing_and_says_so(monkeypatch):
    unit = UnitFactory()
    RosterEntryFactory(unit=UnitFactory(), id_number=valid_id_number(1))
    blind_first_lookups(monkeypatch, blind_calls=2)

    result = roster_import_file(unit=unit, uploaded_file=xlsx_file([person(1), person(2)]))

    assert where(result) == {(0, "")}
    assert RosterEntry.objects.count() == 1


# --- The template --------------------------------------------------------------------------------


def test_template_is_an_xlsx_whose_header_row_is_the_roster_columns():
    workbook = load_workbook(io.BytesIO(roster_template_xlsx(communities=[])))

    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.comment is not None for cell in sheet[1])
    instructions = workbook.worksheets[1]
    assert [row[0] for row in instructions.iter_rows(min_row=2, max_row=6, values_only=True)] == HEADERS


def test_template_filled_in_imports():
    workbook = load_workbook(io.BytesIO(roster_template_xlsx(communities=[])))
    workbook.worksheets[0].append(person(1))
    workbook.active = 1  # saved with the instructions sheet in front: the roster sheet is still found
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = roster_import_file(unit=UnitFactory(), uploaded_file=SimpleUploadedFile("x.xlsx", buffer.getvalue()))

    assert (result.created, result.errors) == (1, [])


# --- The management command ----------------------------------------------------------------------


def test_command_imports_a_file_and_prints_the_counts(tmp_path):
    unit = UnitFactory()
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([person(1), person(2)]))
    out = io.StringIO()

    with translation.override("en"):
        call_command("roster_import", "--unit", unit.code, str(path), stdout=out)

    assert "2 added, 0 updated" in out.getvalue()
    assert RosterEntry.objects.filter(unit=unit).count() == 2


def test_command_prints_every_error_and_fails(tmp_path):
    unit = UnitFactory()
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_file([person(1), ["", "bad", "", "", ""]]).read())
    err = io.StringIO()

    with translation.override("en"), pytest.raises(CommandError, match="2 error"):
        call_command("roster_import", "--unit", unit.code, str(path), stderr=err)

    assert err.getvalue().splitlines() == [
        f"Row 3, {NAME}: This field is required.",
        f"Row 3, {ID_NUMBER}: An ID card number has 18 characters.",
    ]
    assert RosterEntry.objects.count() == 0


def test_command_fails_for_an_unknown_unit_or_a_missing_file(tmp_path):
    unit = UnitFactory()
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([person(1)]))

    with pytest.raises(CommandError):
        call_command("roster_import", "--unit", "NO-SUCH-UNIT", str(path))
    with pytest.raises(CommandError):
        call_command("roster_import", "--unit", unit.code, str(tmp_path / "missing.xlsx"))
    assert RosterEntry.objects.count() == 0


def test_command_exits_non_zero_from_the_command_line(tmp_path, monkeypatch, capsys):
    unit = UnitFactory()
    path = tmp_path / "roster.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    # run_from_argv closes every connection when it ends, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    with pytest.raises(SystemExit) as exit_info:
        RosterImportCommand().run_from_argv(
            ["manage.py", "roster_import", "--skip-checks", "--unit", unit.code, str(path)]
        )

    assert exit_info.value.code == 1
    assert "CommandError" in capsys.readouterr().err


def test_command_help_renders():
    parser = RosterImportCommand().create_parser("manage.py", "roster_import")

    assert "UNITCODE" in parser.format_help()


# --- Query count ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 300])
def test_import_query_count_does_not_grow_per_row(size, django_assert_max_num_queries):
    unit = UnitFactory()
    community = CommunityFactory()
    roster_import_file(unit=unit, uploaded_file=xlsx_file([person(n) for n in range(size)]))
    # Half the rows change, half are new: both the update and the insert path run.
    rows = [person(n, position="处长", community=community.code) for n in range(size // 2)]
    rows += [person(n) for n in range(size, size + size - size // 2)]
    upload = xlsx_file(rows)

    # Savepoint and release, the unit lock, the hash lookup, the community lookup, the INSERTs (SQLite
    # allows 999 parameters, so Django inserts 111 rows per statement there: 150 new rows are 2), one UPDATE;
    # then the tallies: members waiting to be linked, the lock on the entries followed, states before (2)
    # and after (2), and one UPDATE or create of a tally row per community, street, district and unit touched
    # (here: no community, one community with its street and district, the unit; a row created for the year
    # costs 5 queries, an existing one 1).
    with django_assert_max_num_queries(28):
        result = roster_import_file(unit=unit, uploaded_file=upload)

    assert (result.created, result.updated, result.errors) == (size - size // 2, size // 2, [])
