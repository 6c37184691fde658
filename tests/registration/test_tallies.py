"""The tallies behind every reporting rate stay equal to a recount, whatever happens to reports and rosters."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from registration import services
from registration.models import CommunityTally, Report, UnitTally
from registration.roster import roster_import_file
from registration.tallies import as_of_for_year, tally_differences, tally_rebuild, tally_recount, tally_stored
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def assert_in_step():
    assert tally_differences(YEAR) == []


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
    liaison = make_staff("unit", unit=unit)

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

    # A roster upload that moves people, one that lists a member who registered first, and a removal.
    assert roster_import_file(
        unit=unit, uploaded_file=csv_upload(("成员1", factories.valid_id_number(1), other.code))
    ).ok
    assert roster_import_file(unit=unit, uploaded_file=csv_upload(("成员50", factories.valid_id_number(50), ""))).ok
    assert off_roster.member.__class__.objects.get(pk=off_roster.member.pk).roster_entry is not None
    assert_in_step()
    services.roster_entry_remove(user=liaison, entry_id=second.member.roster_entry_id)
    assert_in_step()

    counts = tally_stored(YEAR)
    assert counts[("unit", unit.pk)] == {
        "roster": 4,  # 1, 3, 4 and 50 (2 was removed)
        "registered": 4,
        "reported": 2,  # 1 (moved, confirmed in `other`) and 50
        "pending": 0,
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
