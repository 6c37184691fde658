"""Issue 19, finding 3: upload bombs. A 1.46 MB .xlsx holding one huge shared string took 24 s and 2.9 GB of a
worker's memory; a 100,000-row import ran inside the web request. Uploads are now checked for their unpacked size
(the zip members' sizes, the shared strings' size) and their row count before anything parses them, and refused
with a clear Chinese message. The files below are real crafted workbooks, built the way the probe built them."""

import io
import struct
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from communities.grid.importing import grid_import_file
from communities.models import StaffAssignment
from registration import roster
from registration.models import RosterEntry
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
MB = 1024 * 1024
HEADER = ["姓名", "身份证号码", "职务", "手机号码", "应报到社区代码"]


SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def plain_workbook() -> dict[str, bytes]:
    """The parts of an ordinary small roster workbook whose position cell (C2) is shared string 0, as Excel writes
    text; the shared strings part itself is left to the caller."""
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(["张三", "11010519491231002X", "科员", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/></Types>'.encode(),
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdStrings" Type="{SHARED_STRINGS_RELATION}" Target="sharedStrings.xml"/>'
        "</Relationships>".encode(),
    )
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(b'<c r="C2"')
    end = sheet.index(b"</c>", start) + len(b"</c>")
    parts["xl/worksheets/sheet1.xml"] = sheet[:start] + b'<c r="C2" t="s"><v>0</v></c>' + sheet[end:]
    parts["xl/sharedStrings.xml"] = SST_HEAD + "科员".encode() + SST_TAIL
    return parts


SST_HEAD = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
SST_TAIL = b"</t></si></sst>"


def zipped(parts: dict[str, bytes], *, streamed: dict[str, tuple[bytes, int]] = None) -> bytes:
    """The parts as an .xlsx; `streamed` parts are a chunk repeated n times (written without holding them)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
        for name, (chunk, times) in (streamed or {}).items():
            with archive.open(name, "w", force_zip64=True) as stream:
                for _ in range(times):
                    stream.write(chunk)
    return buffer.getvalue()


def huge_shared_string_bomb(megabytes: int) -> bytes:
    """The probe's file: the workbook's one shared string is `megabytes` MB of one letter."""
    parts = plain_workbook()
    del parts["xl/sharedStrings.xml"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as stream:
            stream.write(SST_HEAD)
            for _ in range(megabytes):
                stream.write(b"A" * MB)
            stream.write(SST_TAIL)
    return buffer.getvalue()


def many_rows_workbook(rows: int) -> bytes:
    """A workbook whose sheet holds `rows` data rows (inline strings, as write-only openpyxl writes them)."""
    parts = plain_workbook()
    cells = "".join(f'<c t="inlineStr"><is><t>{title}</t></is></c>' for title in HEADER)
    body = io.StringIO()
    body.write('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    body.write(f'<sheetData><row r="1">{cells}</row>')
    for number in range(2, rows + 2):
        body.write(f'<row r="{number}"><c t="inlineStr"><is><t>李{number}</t></is></c></row>')
    body.write("</sheetData></worksheet>")
    parts["xl/worksheets/sheet1.xml"] = body.getvalue().encode()
    return zipped(parts)


def test_the_plain_workbook_imports_and_reads_its_shared_string():
    """The crafted files below are real workbooks: untampered, this one imports, its position read from the shared
    strings."""
    result = roster.roster_import_file(unit=factories.UnitFactory(), uploaded_file=upload(zipped(plain_workbook())))
    assert (result.created, result.errors) == (1, [])
    assert RosterEntry.objects.get().position == "科员"


def upload(content: bytes, name="bomb.xlsx"):
    return SimpleUploadedFile(name, content)


@pytest.fixture
def no_parsing(monkeypatch):
    """Fails the test if the file reaches openpyxl: the check must come before parsing."""

    def refuse(*args, **kwargs):
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(roster, "load_workbook", refuse)


def messages(result) -> str:
    return " ".join(error.message for error in result.errors)


def test_finding_3_one_huge_shared_string_is_refused_before_parsing(no_parsing):
    bomb = huge_shared_string_bomb(64)  # 64 MB of text in a file of about 100 KB
    assert len(bomb) < MB
    started = time.monotonic()
    result = roster.roster_import_file(unit=factories.UnitFactory(), uploaded_file=upload(bomb))
    assert time.monotonic() - started < 5
    assert not result.ok and RosterEntry.objects.count() == 0
    assert "解压后的文字超过 30 MB" in messages(result)


def test_finding_3_a_workbook_that_unpacks_to_gigabytes_is_refused_before_parsing(no_parsing):
    parts = plain_workbook()
    bomb = zipped(parts, streamed={"xl/media/image1.png": (b"\0" * MB, 130)})
    assert len(bomb) < MB
    result = roster.roster_import_file(unit=factories.UnitFactory(), uploaded_file=upload(bomb))
    assert "解压后超过 120 MB" in messages(result)


def test_finding_3_a_directory_that_understates_a_size_makes_the_file_unreadable_not_large():
    """The check trusts the declared sizes; zipfile never unpacks more than a member declares (and then fails
    its CRC), so a bomb that lies in its directory is refused as unreadable, quickly and in little memory."""
    bomb = bytearray(huge_shared_string_bomb(64))
    # Rewrite the shared strings' entry in the central directory to declare 1 KB (zip64 extra field included).
    position = 0
    while (position := bomb.find(b"PK\x01\x02", position + 1)) != -1:
        name_length = struct.unpack_from("<H", bomb, position + 28)[0]
        if bomb[position + 46 : position + 46 + name_length] == b"xl/sharedStrings.xml":
            break
    assert position != -1
    if struct.unpack_from("<I", bomb, position + 24)[0] != 0xFFFFFFFF:
        struct.pack_into("<I", bomb, position + 24, 1024)  # the uncompressed size
    extra_length = struct.unpack_from("<H", bomb, position + 30)[0]
    extra = position + 46 + name_length
    cursor = extra
    while cursor < extra + extra_length:
        tag, size = struct.unpack_from("<HH", bomb, cursor)
        if tag == 1 and struct.unpack_from("<I", bomb, position + 24)[0] == 0xFFFFFFFF:
            struct.pack_into("<Q", bomb, cursor + 4, 1024)  # zip64: the uncompressed size comes first
        cursor += 4 + size
    started = time.monotonic()
    result = roster.roster_import_file(unit=factories.UnitFactory(), uploaded_file=upload(bytes(bomb)))
    assert time.monotonic() - started < 5
    assert not result.ok and "不是可读取的Excel工作簿" in messages(result)


def test_finding_3_a_workbook_with_more_rows_than_an_import_takes_is_refused_before_parsing(no_parsing, settings):
    assert settings.ROSTER_MAX_ROWS == 100_000
    content = many_rows_workbook(100_001)
    result = roster.roster_import_file(unit=factories.UnitFactory(), uploaded_file=upload(content))
    assert "超过 100000 行" in messages(result)


def test_finding_3_a_csv_with_more_rows_than_an_import_takes_is_refused():
    content = ("姓名,身份证号码\n" + "李,1\n" * 100_001).encode()
    result = roster.roster_import_file(unit=factories.UnitFactory(), uploaded_file=upload(content, "big.csv"))
    assert [error.row for error in result.errors] == [0] and "超过 100000 行" in messages(result)


def test_finding_3_the_row_limit_counts_rows_not_bytes(settings):
    settings.ROSTER_MAX_ROWS = 3
    unit = factories.UnitFactory()
    assert "超过 3 行" in messages(roster.roster_import_file(unit=unit, uploaded_file=upload(many_rows_workbook(4))))
    result = roster.roster_import_file(unit=unit, uploaded_file=upload(many_rows_workbook(3)))
    assert "超过" not in messages(result)  # three rows pass the check (and fail only for their missing ID numbers)


def test_finding_3_the_upload_page_says_so_in_chinese(client):
    unit = factories.UnitFactory()
    client.force_login(make_staff(StaffAssignment.Role.UNIT_LIAISON, unit=unit))
    response = client.post(
        reverse("registration:roster-upload", args=[unit.pk]), {"file": upload(huge_shared_string_bomb(40))}
    )
    assert response.status_code == 400
    assert "解压后的文字超过 30 MB" in response.content.decode()


def test_finding_3_the_grid_import_refuses_the_same_bomb(monkeypatch):
    import communities.grid.importing as importing

    monkeypatch.setattr(importing, "load_workbook", lambda *a, **k: pytest.fail("the file was parsed"))
    result = grid_import_file(community=factories.CommunityFactory(), uploaded_file=upload(huge_shared_string_bomb(40)))
    assert "解压后的文字超过 30 MB" in " ".join(message for _row, message in result.errors)
