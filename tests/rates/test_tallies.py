"""The tallies behind every reporting rate stay equal to a recount, whatever happens to reports and rosters."""

import importlib
import io
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from registration import services
from registration.models import Report
from registration.rates import selectors as rates
from registration.rates.models import CommunityTally, DistrictTally, StreetTally, UnitTally
from registration.rates.tallies import (
    as_of_for_year,
    in_effect,
    tally_apply,
    tally_differences,
    tally_link_errors,
    tally_rebuild,
    tally_recount,
    tally_stored,
)
from registration.roster import roster_import_file
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def assert_in_step():
    assert tally_differences(YEAR) == []
    assert_one_row_in_effect()


def assert_one_row_in_effect(years=range(YEAR - 3, YEAR + 2)):
    """Every key that has rows has exactly one in effect for each year from its first row on, none before."""
    assert tally_link_errors() == []
    keyed = (
        (CommunityTally, "community_id"),
        (UnitTally, "unit_id"),
        (StreetTally, "street_id"),
        (DistrictTally, "district_id"),
    )
    for model, key in keyed:
        first_years = {}
        for key_value, year in model.objects.order_by("-year").values_list(key, "year"):
            first_years[key_value] = year  # the earliest comes last
        for year in years:
            in_effect_now = Counter(model.objects.filter(in_effect(year)).values_list(key, flat=True))
            expected = {key_value: 1 for key_value, first in first_years.items() if first <= year}
            assert dict(in_effect_now) == expected, (model.__name__, year)


def csv_upload(*rows):
    lines = ["姓名,身份证号码,应报到社区代码"] + [",".join(row) for row in rows]
    upload = io.BytesIO("\n".join(lines).encode("utf-8-sig"))
    upload.name = "roster.csv"
    return upload


def register(community, unit, n):
    return services.member_register(
        name=f"成员{n}",
        id_number=factories.valid_id_number(n),
        gender="M",
        birth_on="1985-06-15",
        unit=unit,
        position="科员",
        skills=[],
        specialty="",
        service_wishes="",
        home_address="团结路8号",
        phone=f"137{n:08d}",
        community=community,
        kind=Report.Kind.RESIDENCE,
        password="Tally2026check",
    )


def test_every_kind_of_change_keeps_the_tallies_equal_to_a_recount():
    home, other = factories.CommunityFactory(), factories.CommunityFactory()
    unit = factories.UnitFactory()
    staff_home, staff_other = make_staff("community", community=home), make_staff("community", community=other)

    # Roster upload: four people, one with no community yet.
    upload = csv_upload(*[(f"成员{n}", factories.valid_id_number(n), home.code) for n in range(1, 4)])
    assert roster_import_file(unit=unit, uploaded_file=upload).ok
    assert roster_import_file(unit=unit, uploaded_file=csv_upload(("成员4", factories.valid_id_number(4), ""))).ok
    assert_in_step()

    # Registration (on the roster and off it), confirmation, rejection.
    first, second, third, fourth = (register(home, unit, n) for n in range(1, 5))
    off_roster = register(home, unit, 50)
    assert_in_step()
    services.report_confirm(report_id=first.report.pk, user=staff_home)
    services.report_confirm(report_id=off_roster.report.pk, user=staff_home)
    services.report_reject(report_id=second.report.pk, user=staff_home, reason="请到居住地社区报到")
    services.report_confirm(report_id=fourth.report.pk, user=staff_home)  # fills the empty roster community
    assert_in_step()

    # Transfer: a new pending report, then its confirmation ends the old one.
    moved = services.report_change_community(member=first.member, community=other, kind=Report.Kind.OTHER)
    assert_in_step()
    services.report_confirm(report_id=moved.pk, user=staff_other)
    assert_in_step()

    # Withdrawal of a pending report and of a confirmed one; a new report after a rejection.
    services.report_withdraw(member=third.member, report_id=third.report.pk)
    services.report_withdraw(member=fourth.member, report_id=fourth.report.pk)
    services.report_change_community(member=second.member, community=home, kind=Report.Kind.RESIDENCE)
    assert_in_step()

    # A roster upload that moves people, and one that lists a member who registered first.
    assert roster_import_file(
        unit=unit, uploaded_file=csv_upload(("成员1", factories.valid_id_number(1), other.code))
    ).ok
    assert roster_import_file(unit=unit, uploaded_file=csv_upload(("成员50", factories.valid_id_number(50), ""))).ok
    assert off_roster.member.__class__.objects.get(pk=off_roster.member.pk).roster_entry is not None
    assert_in_step()

    counts = tally_stored(YEAR)
    assert counts[("unit", unit.pk)] == {
        "roster": 5,  # 1, 2, 3, 4 and 50
        "registered": 5,
        "reported": 2,  # 1 (moved, confirmed in `other`) and 50
        "pending": 1,  # 2, asking to report to `home`
        "off_roster_reported": 0,
    }


def test_the_known_answer_of_a_small_city():
    community = factories.CommunityFactory()
    unit = factories.UnitFactory()
    entries = [factories.RosterEntryFactory(unit=unit, community=community) for _ in range(5)]
    factories.ReportFactory(
        member=factories.MemberFactory(unit=unit, roster_entry=entries[0]),
        community=community,
        status="confirmed",
        decided_at=timezone.now(),
    )
    factories.ReportFactory(member=factories.MemberFactory(unit=unit, roster_entry=entries[1]), status="pending")
    factories.MemberFactory(unit=unit, roster_entry=entries[2])  # registered, no report
    factories.ReportFactory(community=community, status="confirmed", decided_at=timezone.now())  # off roster
    recount = tally_recount(YEAR)
    assert recount[("community", community.pk)] == {
        "roster": 5,
        "registered": 3,
        "reported": 1,
        "pending": 1,
        "off_roster_reported": 1,
    }


def test_a_report_counts_from_the_year_it_was_confirmed_while_active():
    community = factories.CommunityFactory()
    entry = factories.RosterEntryFactory(community=community, created_at=timezone.now() - timedelta(days=800))
    member = factories.MemberFactory(roster_entry=entry, created_at=timezone.now() - timedelta(days=800))
    last_year_end = as_of_for_year(YEAR - 1)
    factories.ReportFactory(
        member=member,
        community=community,
        status="ended",
        submitted_at=last_year_end - timedelta(days=30),
        decided_at=last_year_end - timedelta(days=20),
        ended_at=last_year_end + timedelta(days=10),
    )
    assert tally_recount(YEAR - 1)[("community", community.pk)]["reported"] == 1
    assert tally_recount(YEAR)[("community", community.pk)]["reported"] == 0
    assert tally_recount(YEAR - 2)[("community", community.pk)]["reported"] == 0


def test_rebuild_then_the_year_in_effect_is_the_latest_row():
    community = factories.CommunityFactory()
    CommunityTally.objects.create(community=community, year=YEAR - 2, roster=10, reported=9)
    stored = tally_stored(YEAR - 1)
    assert stored[("community", community.pk)]["roster"] == 10  # nothing changed in the year after
    tally_rebuild(YEAR)  # nobody is on a roster any more: a row of zeros stands for this year
    assert tally_stored(YEAR).get(("community", community.pk)) is None
    assert CommunityTally.objects.get(community=community, year=YEAR).roster == 0


def test_recount_command_reports_differences_and_fixes_them():
    unit = factories.UnitFactory()
    factories.RosterEntryFactory(unit=unit)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("recount_rates", stdout=out)
    assert f"unit {unit.pk} roster: tally 0, recount 1" in out.getvalue()
    call_command("recount_rates", "--fix", stdout=io.StringIO())
    call_command("recount_rates", stdout=out)
    assert UnitTally.objects.get(unit=unit, year=YEAR).roster == 1


def test_the_demo_city_is_in_step_after_seeding():
    call_command("seed_demo", members=300, stdout=io.StringIO())
    assert_in_step()


# --- The row in effect for a year ---------------------------------------------------------------------------


def test_the_row_in_effect_across_three_years_for_a_key_that_changed_in_the_first_and_the_third(time_machine):
    first, middle = YEAR - 2, YEAR - 1
    now = timezone.now()
    home, elsewhere = factories.CommunityFactory(), factories.CommunityFactory()
    unit, other_unit = factories.UnitFactory(), factories.UnitFactory()
    staff = make_staff("community", community=home)
    org = make_staff("org")

    time_machine.move_to(timezone.make_aware(datetime(first, 3, 1, 9)))
    upload = csv_upload(*[(f"成员{n}", factories.valid_id_number(n), home.code) for n in (1, 2)])
    assert roster_import_file(unit=unit, uploaded_file=upload).ok
    services.report_confirm(report_id=register(home, unit, 1).report.pk, user=staff)

    time_machine.move_to(timezone.make_aware(datetime(middle, 6, 1, 9)))  # only another key changes
    upload = csv_upload(("成员3", factories.valid_id_number(3), elsewhere.code))
    assert roster_import_file(unit=other_unit, uploaded_file=upload).ok

    time_machine.move_to(now)
    services.report_confirm(report_id=register(home, unit, 2).report.pk, user=staff)

    rows = CommunityTally.objects.filter(community=home).order_by("year")
    assert list(rows.values_list("year", "superseded_in")) == [(first, YEAR), (YEAR, None)]
    assert list(UnitTally.objects.filter(unit=unit).order_by("year").values_list("year", "superseded_in")) == [
        (first, YEAR),
        (YEAR, None),
    ]
    shown = {
        year: {
            row.pk: (row.roster, row.registered, row.reported)
            for row in rates.place_rate_rows(user=org, year=year, street=home.street)
        }[home.pk]
        for year in (first - 1, first, middle, YEAR)
    }
    assert shown == {first - 1: (0, 0, 0), first: (2, 1, 1), middle: (2, 1, 1), YEAR: (2, 2, 2)}
    units = {year: {row.pk: row for row in rates.unit_rate_rows(user=org, year=year)} for year in (first, middle, YEAR)}
    assert [units[year][unit.pk].reported for year in (first, middle, YEAR)] == [1, 1, 2]
    for year in (first, middle, YEAR):
        assert tally_differences(year) == [], year
    assert_one_row_in_effect()


def test_a_row_written_between_two_years_is_linked_on_both_sides():
    community = factories.CommunityFactory()
    one = Counter({("community", community.pk, "roster"): 1})
    for year in (YEAR - 2, YEAR, YEAR - 1):
        tally_apply(after=one, before=Counter(), year=year)
    rows = CommunityTally.objects.filter(community=community).order_by("year")
    assert list(rows.values_list("year", "superseded_in")) == [(YEAR - 2, YEAR - 1), (YEAR - 1, YEAR), (YEAR, None)]
    assert_one_row_in_effect()


def test_the_unassigned_row_is_linked_like_any_other():
    unit = factories.UnitFactory()
    one = Counter({("community", None, "roster"): 1, ("unit", unit.pk, "roster"): 1})
    tally_apply(after=one, before=Counter(), year=YEAR - 1)
    tally_apply(after=one, before=Counter(), year=YEAR)
    rows = CommunityTally.objects.filter(community__isnull=True).order_by("year")
    assert list(rows.values_list("year", "superseded_in", "roster")) == [(YEAR - 1, YEAR, 1), (YEAR, None, 2)]
    assert_one_row_in_effect()


def test_rebuilding_a_past_year_links_it_between_its_neighbours():
    community = factories.CommunityFactory()
    factories.RosterEntryFactory(community=community, created_at=timezone.now() - timedelta(days=800))
    tally_rebuild(YEAR - 2)
    tally_rebuild(YEAR)
    assert list(
        CommunityTally.objects.filter(community=community).order_by("year").values_list("year", "superseded_in")
    ) == [
        (YEAR - 2, YEAR),
        (YEAR, None),
    ]
    tally_rebuild(YEAR - 1)
    rows = CommunityTally.objects.filter(community=community).order_by("year")
    assert list(rows.values_list("year", "superseded_in")) == [(YEAR - 2, YEAR - 1), (YEAR - 1, YEAR), (YEAR, None)]
    assert_one_row_in_effect()


def test_recount_reports_a_broken_link_and_fix_relinks():
    community = factories.CommunityFactory()
    CommunityTally.objects.create(community=community, year=YEAR - 1)
    CommunityTally.objects.create(community=community, year=YEAR)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 tally rows wrongly linked"):
        call_command("recount_rates", stdout=out)
    assert f"community {community.pk} row of {YEAR - 1}: superseded in -, next row {YEAR}" in out.getvalue()
    call_command("recount_rates", "--fix", stdout=io.StringIO())
    assert_one_row_in_effect()
    call_command("recount_rates", stdout=io.StringIO())


def test_a_row_cannot_be_superseded_in_its_own_year():
    community = factories.CommunityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CommunityTally.objects.create(community=community, year=YEAR, superseded_in=YEAR)


def test_the_migration_links_the_rows_that_were_there():
    migration = importlib.import_module("registration.migrations.0004_tally_superseded_in")
    community, unit = factories.CommunityFactory(), factories.UnitFactory()
    for year in (YEAR - 3, YEAR - 1, YEAR):
        CommunityTally.objects.create(community=community, year=year)
        UnitTally.objects.create(unit=unit, year=year)
    for year in (YEAR - 2, YEAR):
        CommunityTally.objects.create(community=None, year=year)
    # The models as they were at that migration (in the registration app, on the same tables).
    state = MigrationLoader(connection).project_state(("registration", "0004_tally_superseded_in"))
    migration.link_rows(state.apps, None)
    assert_one_row_in_effect()
    assert list(
        CommunityTally.objects.filter(community=community).order_by("year").values_list("superseded_in", flat=True)
    ) == [YEAR - 1, YEAR, None]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("holder_year", [YEAR - 1, YEAR])
def test_rows_of_two_years_created_at_once_around_new_year_stay_linked(holder_year):
    """One transaction creates a key's row for one year and holds its locks; another, creating the row for the
    other year, waits for it and then links around the row it could not see when it started."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    community = factories.CommunityFactory()
    one = Counter({("community", community.pk, "roster"): 1})
    with transaction.atomic():
        tally_apply(after=one, before=Counter(), year=YEAR - 2)
    created, release = threading.Event(), threading.Event()
    errors = []

    def apply(year, *, hold):
        try:
            with transaction.atomic():
                tally_apply(after=one, before=Counter(), year=year)
                if hold:
                    created.set()
                    release.wait(10)
        except Exception as error:  # noqa: BLE001  (collected and asserted on below)
            errors.append(error)
        finally:
            created.set()
            connection.close()

    holder = threading.Thread(target=apply, args=(holder_year,), kwargs={"hold": True})
    holder.start()
    created.wait(10)
    waiter = threading.Thread(target=apply, args=(({YEAR - 1, YEAR} - {holder_year}).pop(),), kwargs={"hold": False})
    waiter.start()
    with connection.cursor() as cursor:
        for _ in range(100):  # until the second transaction waits for the first one's lock
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the second transaction never waited for the first")
    release.set()
    holder.join()
    waiter.join()
    assert errors == []
    rows = CommunityTally.objects.filter(community=community).order_by("year")
    assert list(rows.values_list("year", "superseded_in")) == [(YEAR - 2, YEAR - 1), (YEAR - 1, YEAR), (YEAR, None)]
    if holder_year == YEAR - 1:  # the later year's row waited, so it carries the earlier one's change
        assert list(rows.values_list("roster", flat=True)) == [1, 2, 3]
    assert_one_row_in_effect()
