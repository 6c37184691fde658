"""Time the roster import on a large file: generate an .xlsx of N valid, unique people and import it.

Usage (on a throwaway database that has been migrated; the script refuses to run without DATABASE_URL):

    DATABASE_URL=sqlite:////tmp/roster_bench.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/roster_bench.sqlite3 .venv/bin/python scripts/bench_roster_import.py --rows 100000

Phases timed separately: generating the .xlsx, parsing and checking it alone (no database), the full import
into a fresh unit (parse + check + insert), a re-upload of the same file (every row matched, nothing
written), a re-upload with every position changed (every row updated), and the same people as CSV. The
rows it creates are deleted at the end unless --keep is given.
"""

import argparse
import csv
import datetime
import io
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402 - Django must be configured before the project's modules are imported

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from communities.models import Community, District, Street, Unit  # noqa: E402
from registration import roster  # noqa: E402
from registration.identity import id_check_char  # noqa: E402
from registration.models import RosterEntry  # noqa: E402

HEADERS = [column.header for column in roster.ROSTER_COLUMNS]


def id_number(n: int, *, region: str) -> str:
    """A valid, unique GB 11643 number for each n: 1,000 sequence numbers per birth day from 1960 on."""
    birth_on = datetime.date(1960, 1, 1) + datetime.timedelta(days=n // 1000)
    first17 = f"{region}{birth_on:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def people(rows: int, *, region: str, community_code: str, position: str) -> list[list[str]]:
    return [[f"测试{n:06d}", id_number(n, region=region), position, f"139{n:08d}", community_code] for n in range(rows)]


def xlsx_bytes(data: list[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADERS)
    for row in data:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(data: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    writer.writerows(data)
    return text.getvalue().encode("gb18030")


def timed(label: str, function):
    started = time.perf_counter()
    value = function()
    seconds = time.perf_counter() - started
    print(f"{label:<58} {seconds:7.1f} s", flush=True)
    return value


def import_into(unit: Unit, content: bytes, name: str) -> roster.RosterImportResult:
    result = roster.roster_import_file(unit=unit, uploaded_file=SimpleUploadedFile(name, content))
    if not result.ok:
        raise SystemExit(f"import refused: {result.errors[:5]} ({len(result.errors)} errors)")
    return result


def places(tag: str) -> Community:
    district = District.objects.create(code=tag[-6:], name=f"基准区{tag}")
    street = Street.objects.create(district=district, code=tag[-9:], name=f"基准街道{tag}")
    return Community.objects.create(street=street, code=tag[-12:], name=f"基准社区{tag}")


def clean_up(units: list[Unit], community: Community) -> None:
    with transaction.atomic():
        RosterEntry.objects.filter(unit__in=units).delete()
        Unit.objects.filter(pk__in=[unit.pk for unit in units]).delete()
        street = community.street
        community.delete()
        street.delete()
        street.district.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="leave the benchmark's rows in the database")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("Set DATABASE_URL to a throwaway, migrated database: this script writes to it.")

    tag = f"{time.time_ns() // 1000:012d}"
    print(
        f"{args.rows:,} rows on {connection.vendor} {connection.settings_dict['NAME']}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {datetime.datetime.now():%Y-%m-%d %H:%M}"
    )
    community = places(tag)
    xlsx_unit = Unit.objects.create(code=f"BX{tag}", name=f"基准单位X{tag}", party_organisation="基准党委")
    csv_unit = Unit.objects.create(code=f"BC{tag}", name=f"基准单位C{tag}", party_organisation="基准党委")

    data = people(args.rows, region="110101", community_code=community.code, position="科员")
    content = timed("generate .xlsx (openpyxl write_only)", lambda: xlsx_bytes(data))
    print(f"{'  .xlsx size':<58} {len(content) / 1024 / 1024:7.1f} MB")
    timed(
        "parse + check only, no database",
        lambda: roster._parse_rows(roster._read_table(SimpleUploadedFile("b.xlsx", content))[0]),
    )
    result = timed("import .xlsx into a fresh unit (all new)", lambda: import_into(xlsx_unit, content, "b.xlsx"))
    print(f"{'  created / updated':<58} {result.created} / {result.updated}")
    result = timed("re-upload the same .xlsx (all matched, none written)", lambda: import_into(xlsx_unit, content, "b"))
    print(f"{'  created / updated':<58} {result.created} / {result.updated}")

    changed = xlsx_bytes(people(args.rows, region="110101", community_code=community.code, position="副科长"))
    result = timed("re-upload with every position changed (all updated)", lambda: import_into(xlsx_unit, changed, "c"))
    print(f"{'  created / updated':<58} {result.created} / {result.updated}")

    csv_content = csv_bytes(people(args.rows, region="110102", community_code=community.code, position="科员"))
    print(f"{'  .csv size (GB 18030)':<58} {len(csv_content) / 1024 / 1024:7.1f} MB")
    result = timed("import .csv into a fresh unit (all new)", lambda: import_into(csv_unit, csv_content, "b.csv"))
    print(f"{'  created / updated':<58} {result.created} / {result.updated}")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(f"{'peak memory of this process':<58} {peak:7.0f} MB")
    if not args.keep:
        clean_up([xlsx_unit, csv_unit], community)


if __name__ == "__main__":
    main()
