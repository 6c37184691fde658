import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from registration import services
from registration.models import Member, Report, RosterEntry, Skill, User
from tests import factories
from tests.concurrency import race
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def register(community, unit, n=21, **overrides):
    values = {
        "name": "赵建国",
        "id_number": factories.valid_id_number(n),
        "gender": "M",
        "birth_on": "1985-06-15",
        "unit": unit,
        "position": "副科长",
        "skills": [],
        "specialty": "",
        "service_wishes": "",
        "home_address": "团结路8号",
        "phone": f"137{n:08d}",
        "community": community,
        "kind": Report.Kind.RESIDENCE,
        "password": "Zhao2026jianguo",
    }
    values.update(overrides)
    return services.member_register(**values)


@pytest.fixture
def community():
    return factories.CommunityFactory()


@pytest.fixture
def unit():
    return factories.UnitFactory()


def test_registration_creates_user_member_and_pending_report(community, unit):
    registration = register(community, unit)
    member = registration.member
    assert registration.created
    assert member.user.username == member.phone
    assert member.user.check_password("Zhao2026jianguo")
    assert member.id_number == factories.valid_id_number(21)
    assert member.roster_entry is None
    assert registration.report.status == Report.Status.PENDING
    assert registration.report.community == community
    assert re.fullmatch(r"\d{4}\d{8}", registration.report.letter_number)
    assert registration.report.letter_number.endswith(f"{registration.report.pk:08d}")


def test_registration_matches_the_roster_by_id_number_and_takes_its_unit(community, unit):
    roster_unit = factories.UnitFactory()
    entry = factories.RosterEntryFactory(unit=roster_unit, id_number=factories.valid_id_number(21))
    member = register(community, unit).member
    assert member.roster_entry == entry
    assert member.unit == roster_unit


def test_an_id_number_already_registered_is_refused_without_saying_whose(community, unit):
    register(community, unit)
    with pytest.raises(ValidationError) as error:
        register(community, unit, phone="13700000999", name="钱多多", password="Other2026pass")
    assert error.value.code == "conflict"  # one answer for the whole form: not which field, not whose
    assert "赵建国" not in str(error.value)
    assert Member.objects.count() == 1


def test_a_phone_already_registered_is_refused(community, unit):
    register(community, unit)
    with pytest.raises(ValidationError) as error:
        register(community, unit, n=22, phone=factories.MemberFactory._meta.model.objects.get().phone)
    assert error.value.code == "conflict"


def test_a_phone_taken_as_another_accounts_username_is_refused_and_nothing_is_saved(community, unit):
    factories.UserFactory(username="13700000021")  # an account that is no member, named by this phone
    with pytest.raises(ValidationError) as error:
        register(community, unit, phone="13700000021")
    assert error.value.code == "conflict"
    assert (Member.objects.count(), Report.objects.count()) == (0, 0)


def test_the_skills_chosen_are_saved(community, unit):
    skills = [Skill.objects.create(name="法律咨询"), Skill.objects.create(name="心理疏导")]
    member = register(community, unit, skills=skills).member
    assert set(member.skills.all()) == set(skills)


def test_a_repeated_submit_returns_the_first_registration(community, unit):
    first = register(community, unit)
    again = register(community, unit)
    assert not again.created
    assert (again.member, again.report) == (first.member, first.report)
    assert (User.objects.count(), Member.objects.count(), Report.objects.count()) == (1, 1, 1)


def test_a_failure_inside_the_transaction_saves_nothing(community, unit, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_report_create", broken)
    with pytest.raises(RuntimeError):
        register(community, unit)
    assert (User.objects.count(), Member.objects.count(), Report.objects.count()) == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_two_identical_submits_at_once_create_one_of_each(community, unit):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    results, errors = race(lambda: register(community, unit), lambda: register(community, unit))
    assert errors == []
    assert (User.objects.count(), Member.objects.count(), Report.objects.count()) == (1, 1, 1)
    assert sorted(result.created for result in results) == [False, True]


def test_change_of_community_adds_a_pending_report_beside_the_confirmed_one(community, unit):
    report = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED)
    elsewhere = factories.CommunityFactory()
    new = services.report_change_community(member=report.member, community=elsewhere, kind=Report.Kind.OTHER)
    assert new.status == Report.Status.PENDING
    report.refresh_from_db()
    assert report.status == Report.Status.CONFIRMED
    with pytest.raises(ValidationError):
        services.report_change_community(member=report.member, community=factories.CommunityFactory(), kind="other")


def test_change_to_the_community_already_served_is_refused(community):
    report = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED)
    with pytest.raises(ValidationError):
        services.report_change_community(member=report.member, community=community, kind="residence")


def test_confirming_ends_the_previous_report_and_fills_the_roster_community(community):
    staff = make_staff("community", community=community)
    entry = factories.RosterEntryFactory(community=None)
    member = factories.MemberFactory(roster_entry=entry)
    old = factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    new = factories.ReportFactory(member=member, community=community, status=Report.Status.PENDING)

    services.report_confirm(report_id=new.pk, user=staff)

    old.refresh_from_db()
    new.refresh_from_db()
    entry.refresh_from_db()
    assert (old.status, new.status) == (Report.Status.ENDED, Report.Status.CONFIRMED)
    assert old.ended_at is not None
    assert new.decided_by == staff
    assert entry.community == community


def test_confirming_keeps_a_roster_community_the_unit_set(community):
    staff = make_staff("community", community=community)
    expected = factories.CommunityFactory()
    entry = factories.RosterEntryFactory(community=expected)
    report = factories.ReportFactory(member=factories.MemberFactory(roster_entry=entry), community=community)
    services.report_confirm(report_id=report.pk, user=staff)
    assert RosterEntry.objects.get(pk=entry.pk).community == expected


def test_only_the_communitys_own_staff_decide(community):
    report = factories.ReportFactory(community=community)
    other_staff = make_staff("community", community=factories.CommunityFactory())
    street_staff = make_staff("street", street=community.street)
    for user in (other_staff, street_staff):
        with pytest.raises(PermissionDenied):
            services.report_confirm(report_id=report.pk, user=user)
        with pytest.raises(PermissionDenied):
            services.report_reject(report_id=report.pk, user=user, reason="不认识")
    report.refresh_from_db()
    assert report.status == Report.Status.PENDING


def test_a_decided_report_cannot_be_decided_again(community):
    staff = make_staff("community", community=community)
    report = factories.ReportFactory(community=community)
    services.report_confirm(report_id=report.pk, user=staff)
    with pytest.raises(ValidationError):
        services.report_confirm(report_id=report.pk, user=staff)
    with pytest.raises(ValidationError):
        services.report_reject(report_id=report.pk, user=staff, reason="重复")


def test_rejection_needs_a_reason_and_keeps_it(community):
    staff = make_staff("community", community=community)
    report = factories.ReportFactory(community=community)
    with pytest.raises(ValidationError):
        services.report_reject(report_id=report.pk, user=staff, reason="   ")
    services.report_reject(report_id=report.pk, user=staff, reason="不在本社区居住")
    report.refresh_from_db()
    assert (report.status, report.reject_reason) == (Report.Status.REJECTED, "不在本社区居住")


def test_the_member_is_told_of_the_decision_in_their_inbox(community):
    from communities.models import Notification

    staff = make_staff("community", community=community)
    confirmed = factories.ReportFactory(community=community)
    rejected = factories.ReportFactory(community=community)
    services.report_confirm(report_id=confirmed.pk, user=staff)
    services.report_reject(report_id=rejected.pk, user=staff, reason="请到居住地社区报到")
    assert Notification.objects.get(user=confirmed.member.user).channel == Notification.Channel.INBOX
    returned = Notification.objects.get(user=rejected.member.user)
    assert "请到居住地社区报到" in returned.body
