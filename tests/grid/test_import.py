import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from communities.grid.importing import grid_import_file
from communities.grid.models import Building, Grid
from tests import factories

pytestmark = pytest.mark.django_db


def workbook(rows) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


def test_areas_and_buildings_are_imported_and_updated_by_name():
    community = factories.CommunityFactory()
    rows = [("户数", "网格", "楼栋", "地址"), (40, "第1网格", "1号楼", "幸福路1号"), (None, "第1网格", "2号楼", None),
            (30, "第2网格", "3号楼", "幸福路3号"), (None, None, None, None)]
    result = grid_import_file(community=community, uploaded_file=workbook(rows))
    assert (result.ok, result.grids_created, result.buildings_created) == (True, 2, 3)
    assert Building.objects.get(name="1号楼").households == 40
    again = grid_import_file(community=community, uploaded_file=workbook(
        [("网格", "楼栋", "户数"), ("第1网格", "1号楼", 42)]
    ))
    assert (again.grids_created, again.buildings_created, again.buildings_updated) == (0, 0, 1)
    assert Building.objects.get(name="1号楼").households == 42 and Grid.objects.count() == 2


def test_any_wrong_row_saves_nothing():
    community = factories.CommunityFactory()
    rows = [("网格", "楼栋", "户数"), ("第1网格", "1号楼", 40), ("第1网格", "", 3), ("第1网格", "2号楼", "很多"),
            ("第1网格", "1号楼", 1)]
    result = grid_import_file(community=community, uploaded_file=workbook(rows))
    assert [row for row, _message in result.errors] == [3, 4, 5]
    assert not Grid.objects.exists() and not Building.objects.exists()


def test_a_file_without_the_columns_or_not_a_workbook_is_refused():
    community = factories.CommunityFactory()
    assert not grid_import_file(community=community, uploaded_file=workbook([("名称", "地址")])).ok
    assert not grid_import_file(community=community, uploaded_file=io.BytesIO(b"not a workbook")).ok


def test_the_command(tmp_path):
    community = factories.CommunityFactory()
    path = tmp_path / "grid.xlsx"
    path.write_bytes(workbook([("网格", "楼栋"), ("第1网格", "1号楼")]).getvalue())
    call_command("grid_import", "--community", community.code, str(path))
    assert Building.objects.filter(grid__community=community).count() == 1
    with pytest.raises(CommandError):
        call_command("grid_import", "--community", "nope", str(path))
