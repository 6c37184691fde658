import pytest
from django.db import IntegrityError, connection

from registration.models import Member, Report, RosterEntry
from tests import factories

pytestmark = pytest.mark.django_db


def test_member_id_number_is_unique():
    factories.MemberFactory(id_number=factories.valid_id_number(1))
    with pytest.raises(IntegrityError):
        factories.MemberFactory(id_number=factories.valid_id_number(1))


def test_roster_id_number_is_unique():
    factories.RosterEntryFactory(id_number=factories.valid_id_number(2))
    with pytest.raises(IntegrityError):
        factories.RosterEntryFactory(id_number=factories.valid_id_number(2))


def test_member_phone_is_unique():
    factories.MemberFactory(phone="13900000001")
    with pytest.raises(IntegrityError):
        factories.MemberFactory(phone="13900000001")


def test_one_confirmed_report_per_member():
    report = factories.ReportFactory(status=Report.Status.CONFIRMED)
    with pytest.raises(IntegrityError):
        factories.ReportFactory(member=report.member, status=Report.Status.CONFIRMED)


def test_one_pending_report_per_member():
    report = factories.ReportFactory(status=Report.Status.PENDING)
    with pytest.raises(IntegrityError):
        factories.ReportFactory(member=report.member, status=Report.Status.PENDING)


def test_a_pending_report_may_stand_beside_the_confirmed_one_and_history_is_unlimited():
    confirmed = factories.ReportFactory(status=Report.Status.CONFIRMED)
    member = confirmed.member
    factories.ReportFactory(member=member, status=Report.Status.PENDING)
    factories.ReportFactory(member=member, status=Report.Status.ENDED)
    factories.ReportFactory(member=member, status=Report.Status.ENDED)
    factories.ReportFactory(member=member, status=Report.Status.REJECTED, reject_reason="不在本社区居住")
    assert member.reports.count() == 5


def test_a_rejected_report_needs_a_reason():
    with pytest.raises(IntegrityError):
        factories.ReportFactory(status=Report.Status.REJECTED, reject_reason="")


def test_letter_numbers_are_unique():
    factories.ReportFactory(letter_number="202600000001")
    with pytest.raises(IntegrityError):
        factories.ReportFactory(letter_number="202600000001")


def test_no_column_holds_the_plain_id_number():
    number = factories.valid_id_number(7)
    member = factories.MemberFactory(id_number=number)
    entry = factories.RosterEntryFactory(id_number=factories.valid_id_number(8))
    for model, pk in ((Member, member.pk), (RosterEntry, entry.pk)):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
            row = cursor.fetchone()
        assert not any(factories.valid_id_number(n) in str(value) for value in row for n in (7, 8))
    assert member.id_number == number
    assert member.id_number_mask == number[:3] + "*" * 11 + number[-4:]


def test_str_never_touches_related_rows(django_assert_num_queries):
    report = factories.ReportFactory()
    report = Report.objects.get(pk=report.pk)
    with django_assert_num_queries(0):
        str(report)
