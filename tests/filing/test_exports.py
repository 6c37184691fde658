"""Exports fit for filing (issue 17): a Chinese file name with an ASCII fallback, a title row naming the place,
the period and the time, sized columns, a frozen header, numbers that must stay digits stored as text, and the
roster template with the community codes to choose from."""

import io
import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from communities import exports
from communities.models import StaffAssignment
from registration.models import Report
from tests import factories
from tests.conftest import make_staff
from tests.export_approval import full_export

pytestmark = pytest.mark.django_db
Role = StaffAssignment.Role


def filenames(response) -> tuple[str, str]:
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")
    ascii_name = re.search(r'filename="([^"]+)"', header).group(1)
    utf8_name = unquote(re.search(r"filename\*=UTF-8''(\S+)", header).group(1))
    ascii_name.encode("ascii")  # the fallback is plain ASCII
    return ascii_name, utf8_name


def workbook(response):
    return load_workbook(io.BytesIO(response.content))


def assert_filing_layout(sheet, *, title_part: str, place: str, period: str):
    assert title_part in sheet["A1"].value and sheet["A1"].font.b
    second = sheet["A2"].value
    assert f"地点：{place}" in second and f"期间：{period}" in second and "导出时间：" in second
    assert sheet.freeze_panes == "A4"
    assert all(cell.font.b for cell in sheet[3] if cell.value)
    widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
    assert all(width and width >= 6 for width in widths)


def test_the_ledger_export_is_fit_for_filing(client):
    community = factories.CommunityFactory(name="幸福里社区")
    member = factories.MemberFactory(name="欧阳建国同志的一个很长的名字")
    factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    staff = make_staff(Role.COMMUNITY_STAFF, community=community)
    client.force_login(staff)

    response = full_export(client, staff, community)

    ascii_name, name = filenames(response)
    assert name.startswith("在职党员信息台账-") and name.endswith(".xlsx")
    assert ascii_name.startswith("member-ledger-")
    sheet = workbook(response).active
    assert_filing_layout(sheet, title_part="台账", place="幸福里社区", period="截至")
    header = [cell.value for cell in sheet[3]]
    id_column = header.index("身份证号码") + 1
    phone_column = header.index("手机号码") + 1
    for column in (id_column, phone_column):
        cell = sheet.cell(row=4, column=column)
        assert cell.data_type == "s" and cell.number_format == "@"
    assert sheet.cell(row=4, column=id_column).value == member.id_number
    # The column of the long name is wider than the default and fits it (Chinese characters count two).
    assert sheet.column_dimensions["A"].width >= 2 * len(member.name)


def test_the_rates_exports_name_the_place_and_year(client, city, staff_users):
    client.force_login(staff_users["org_district"])
    district = city["districts"][0]
    response = client.get(reverse("rates:places"), {"export": "xlsx", "district": district.pk, "year": 2026})
    _, name = filenames(response)
    assert name.startswith("2026年报到率")
    sheet = workbook(response).active
    assert_filing_layout(sheet, title_part="2026", place=district.name, period="2026年度")
    codes = [row[1] for row in sheet.iter_rows(min_row=4, values_only=True) if row[1]]
    assert codes
    code_cells = [sheet.cell(row=row, column=2) for row in range(4, 4 + len(codes))]
    assert all(cell.number_format == "@" for cell in code_cells)

    response = client.get(reverse("rates:all-communities-export"), {"year": 2026})
    assert_filing_layout(workbook(response).active, title_part="2026", place=district.name, period="2026年度")


def test_the_assessment_export_names_the_unit_and_year(client, city):
    unit = city["units"][0]
    client.force_login(make_staff(Role.UNIT_LIAISON, unit=unit))
    response = client.get(reverse("assessment:unit-export", args=[unit.pk]), {"year": 2026})
    assert response.status_code == 200
    assert "年度考核结果" in filenames(response)[1]
    assert_filing_layout(workbook(response).active, title_part="2026", place=unit.name, period="2026年度")


def test_a_filename_keeps_no_character_a_file_system_or_the_header_refuses():
    header = exports.content_disposition('a/b:c*"d";e\r\n.xlsx', 'x"y\r\n;z.xlsx')
    assert "\r" not in header and "\n" not in header
    assert 'filename="xyz.xlsx"' in header
    name = exports.export_filename('台账/2026:"第一"', __import__("datetime").datetime(2026, 1, 2, 3, 4))
    assert name == "台账2026第一-20260102-0304.xlsx"


def test_the_roster_template_lists_the_community_codes_and_keeps_the_id_column_text(client, city):
    client.force_login(make_staff(Role.UNIT_LIAISON, unit=city["units"][0]))
    response = client.get(reverse("registration:roster-template"))
    ascii_name, name = filenames(response)
    assert (ascii_name, name) == ("roster-template.xlsx", "应报到名单模板.xlsx")
    book = workbook(response)
    roster, codes = book.worksheets[0], book["社区代码"]
    header = [cell.value for cell in roster[1]]
    id_letter = "ABCDE"[header.index("身份证号码")]
    assert roster.column_dimensions[id_letter].number_format == "@"
    listed = {row[3] for row in codes.iter_rows(min_row=2, values_only=True)}
    assert listed == {community.code for community in city["communities"]}
    assert all(codes.cell(row=row, column=4).number_format == "@" for row in range(2, codes.max_row + 1))
    (choice,) = roster.data_validations.dataValidation
    assert choice.type == "list" and "社区代码" in choice.formula1
    assert "E2" in str(choice.sqref)
