"""Own data: the profile page and its service (roster match on a change of unit, unit-linked reports back to staff,
the history), and the correction of a returned report."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from communities.models import AuditEvent
from registration import services as registration_services
from registration.models import Member, Report
from registration.selfservice import services
from registration.selfservice.audit_actions import Action
from registration.selfservice.models import ProfileChange, ReturnedFields
from tests import factories
from tests.conftest import make_staff

from .helpers import register, roster_entry, tallies_in_step

pytestmark = pytest.mark.django_db


@pytest.fixture
def place():
    community = factories.CommunityFactory(name="卧虎湾社区")
    units = [factories.UnitFactory(district=None, name=f"市第{n}局") for n in range(2)]
    staff = make_staff("community", community=community)
    return {"community": community, "units": units, "staff": staff}


def values(member, **changes):
    data = {
        "unit": member.unit,
        "position": member.position,
        "skills": list(member.skills.all()),
        "specialty": member.specialty,
        "service_wishes": member.service_wishes,
        "home_address": member.home_address,
    }
    data.update(changes)
    return data


# --- Service ----------------------------------------------------------------------------------------------------


def test_a_change_of_position_and_address_is_saved_and_kept_in_the_history_without_values(place):
    member = register(place["community"], place["units"][0], 1).member
    skill = factories.SkillFactory(name="法律咨询")
    update = services.profile_update(
        member=member, user=member.user, **values(member, position="副科长", home_address="新村2号", skills=[skill])
    )
    member.refresh_from_db()
    assert (member.position, member.home_address, list(member.skills.all())) == ("副科长", "新村2号", [skill])
    assert update.change.fields == ["position", "home_address", "skills"]
    assert update.report is None
    # The history names the fields, never the old or new text.
    assert "新村2号" not in str(ProfileChange.objects.values().get())
    event = AuditEvent.objects.get(action=Action.PROFILE_CHANGE)
    assert event.detail == {"fields": ["position", "home_address", "skills"]}


def test_saving_unchanged_data_writes_no_history(place):
    member = register(place["community"], place["units"][0], 1).member
    assert services.profile_update(member=member, user=member.user, **values(member)).change is None
    assert not ProfileChange.objects.exists()


def test_a_member_on_a_units_roster_cannot_move_to_another_unit(place):
    first, second = place["units"]
    roster_entry(first, 1)
    member = register(place["community"], first, 1).member
    with pytest.raises(ValidationError) as error:
        services.profile_update(member=member, user=member.user, **values(member, unit=second))
    assert "unit" in error.value.error_dict
    member.refresh_from_db()
    assert member.unit == first


def test_a_new_unit_whose_roster_lists_the_member_links_the_entry_and_the_tallies_follow(place):
    first, second = place["units"]
    member = register(place["community"], first, 1).member  # registered before any roster listed them
    assert member.roster_entry is None
    entry = roster_entry(second, 1)  # listed by the second unit, entry not linked (added by hand)
    update = services.profile_update(member=member, user=member.user, **values(member, unit=second))
    member.refresh_from_db()
    assert (member.unit, member.roster_entry) == (second, entry)
    assert (update.change.unit_before, update.change.unit_after) == (first, second)
    assert tallies_in_step()


def test_a_change_of_unit_sends_a_unit_linked_report_back_to_staff(place):
    first, second = place["units"]
    registration = register(place["community"], first, 1, kind=Report.Kind.UNIT_LINKED)
    registration_services.report_confirm(report_id=registration.report.pk, user=place["staff"])
    member = Member.objects.get(pk=registration.member.pk)
    update = services.profile_update(member=member, user=member.user, **values(member, unit=second))
    assert update.report.status == Report.Status.PENDING
    assert update.report.community == place["community"]
    # The confirmed report stays until staff decide; confirming the new one ends it.
    assert member.reports.filter(status=Report.Status.CONFIRMED).count() == 1
    registration_services.report_confirm(report_id=update.report.pk, user=place["staff"])
    assert list(member.reports.values_list("status", flat=True).order_by("pk")) == ["ended", "confirmed"]
    assert tallies_in_step()


def test_a_change_of_unit_leaves_a_residence_report_alone(place):
    first, second = place["units"]
    registration = register(place["community"], first, 1)
    registration_services.report_confirm(report_id=registration.report.pk, user=place["staff"])
    member = Member.objects.get(pk=registration.member.pk)
    assert services.profile_update(member=member, user=member.user, **values(member, unit=second)).report is None
    assert member.reports.count() == 1
    assert tallies_in_step()


def returned(place, n=1, fields=("unit",)):
    registration = register(place["community"], place["units"][0], n)
    services.report_return(
        report_id=registration.report.pk, user=place["staff"], reason="单位名称与介绍信不符", fields=fields
    )
    return Member.objects.get(pk=registration.member.pk), registration.report


def test_a_rejection_keeps_the_fields_it_names_and_drops_unknown_ones(place):
    member, report = returned(place, fields=["unit", "home_address", "password"])
    assert ReturnedFields.objects.get(report=report).fields == ["unit", "home_address"]
    report.refresh_from_db()
    assert report.status == Report.Status.REJECTED


def test_a_refused_rejection_is_recorded_and_keeps_nothing(place):
    registration = register(place["community"], place["units"][0], 1)
    outsider = make_staff("community", community=factories.CommunityFactory())
    with pytest.raises(Exception):  # noqa: B017,PT011  (PermissionDenied, raised by report_reject)
        services.report_return(report_id=registration.report.pk, user=outsider, reason="x", fields=["unit"])
    assert AuditEvent.objects.filter(action="report_reject", outcome="refused").count() == 1
    assert not ReturnedFields.objects.exists()


def test_a_returned_report_is_corrected_and_sent_again_to_the_same_community(place):
    member, report = returned(place)
    second = place["units"][1]
    new = services.report_resubmit(
        member=member, report_id=report.pk, user=member.user, kind=Report.Kind.RESIDENCE, **values(member, unit=second)
    )
    assert (new.status, new.community, new.pk != report.pk) == (Report.Status.PENDING, place["community"], True)
    report.refresh_from_db()
    assert report.status == Report.Status.REJECTED  # kept as history
    member.refresh_from_db()
    assert member.unit == second
    change = ProfileChange.objects.get()
    assert (change.source, change.report, change.fields) == ("correction", new, ["unit"])
    assert AuditEvent.objects.filter(action=Action.REPORT_RESUBMIT, outcome="success").count() == 1
    assert tallies_in_step()


def test_a_returned_report_is_sent_again_once(place):
    member, report = returned(place)
    kwargs = dict(member=member, report_id=report.pk, user=member.user, kind=Report.Kind.RESIDENCE, **values(member))
    services.report_resubmit(**kwargs)
    with pytest.raises(ValidationError):
        services.report_resubmit(**kwargs)
    assert member.reports.filter(status=Report.Status.PENDING).count() == 1
    assert AuditEvent.objects.filter(action=Action.REPORT_RESUBMIT, outcome="failure").count() == 1


def test_a_correction_refused_by_the_roster_sends_nothing(place):
    first, second = place["units"]
    roster_entry(first, 1)
    member, report = returned(place)
    with pytest.raises(ValidationError):
        services.report_resubmit(
            member=member, report_id=report.pk, user=member.user, kind="residence", **values(member, unit=second)
        )
    assert not member.reports.filter(status=Report.Status.PENDING).exists()


def test_another_members_report_cannot_be_corrected(place):
    _member, report = returned(place, 1)
    other = register(place["community"], place["units"][0], 2).member
    registration_services.report_withdraw(member=other, report_id=other.reports.get().pk)
    with pytest.raises(ValidationError):
        services.report_resubmit(
            member=other, report_id=report.pk, user=other.user, kind="residence", **values(other)
        )


# --- Pages ---------------------------------------------------------------------------------------------------


def profile_post(member, **changes):
    data = {
        "unit_district": "city",
        "unit": member.unit_id,
        "position": member.position,
        "specialty": member.specialty,
        "service_wishes": member.service_wishes,
        "home_address": member.home_address,
    }
    data.update(changes)
    return data


def test_the_profile_page_saves_and_shows_the_history(client, place):
    member = register(place["community"], place["units"][0], 1).member
    client.force_login(member.user)
    response = client.post(reverse("registration:profile"), profile_post(member, service_wishes="辅导作业"))
    assert response.status_code == 302
    page = client.get(reverse("registration:profile")).content.decode()
    assert "服务意愿" in page and 'id="profile-history"' in page
    assert f'data-field="phone">{member.phone_masked}' in page  # masked (the navigation shows the login name)
    assert Member.objects.get(pk=member.pk).service_wishes == "辅导作业"


def test_the_profile_page_shows_the_rosters_refusal_next_to_the_unit_and_keeps_the_input(client, place):
    first, second = place["units"]
    roster_entry(first, 1)
    member = register(place["community"], first, 1).member
    client.force_login(member.user)
    response = client.post(reverse("registration:profile"), profile_post(member, unit=second.pk, position="处长"))
    assert response.status_code == 400
    assert "处长" in response.content.decode()
    assert response.context["form"].errors["unit"]


def test_the_profile_page_is_for_members_only(client, place):
    client.force_login(place["staff"])
    assert client.get(reverse("registration:profile")).status_code == 403


def test_the_profile_page_query_count(client, place, django_assert_max_num_queries):
    member = register(place["community"], place["units"][0], 1).member
    for n in range(3):
        services.profile_update(member=member, user=member.user, **values(member, position=f"职务{n}"))
    client.force_login(member.user)
    # session, user, roles, member with unit, district choices, unit choices, the member's skills, skill choices,
    # the history with its units and reports, unread messages
    with django_assert_max_num_queries(10):
        assert client.get(reverse("registration:profile")).status_code == 200


def test_the_member_home_offers_the_correction_beside_the_returned_report(client, place):
    member, report = returned(place)
    client.force_login(member.user)
    page = client.get(reverse("registration:member-home")).content.decode()
    assert reverse("registration:report-correct", args=[report.pk]) in page


def test_the_correction_page_shows_the_reason_beside_the_named_field_only(client, place):
    member, report = returned(place, fields=["position"])
    client.force_login(member.user)
    response = client.get(reverse("registration:report-correct", args=[report.pk]))
    page = response.content.decode()
    assert page.count("单位名称与介绍信不符") == 2  # the summary on top, and beside the position
    assert 'data-returned="position"' in page and 'data-returned="unit"' not in page


def test_the_correction_page_sends_the_report_again(client, place):
    member, report = returned(place)
    client.force_login(member.user)
    data = {**profile_post(member, unit=place["units"][1].pk), "kind": "residence"}
    response = client.post(reverse("registration:report-correct", args=[report.pk]), data)
    new = member.reports.get(status=Report.Status.PENDING)
    assert response.status_code == 302 and response.url == reverse("registration:letter", args=[new.pk])


def test_another_members_returned_report_is_not_found(client, place):
    _member, report = returned(place, 1)
    other = register(place["community"], place["units"][0], 2).member
    client.force_login(other.user)
    assert client.get(reverse("registration:report-correct", args=[report.pk])).status_code == 404


def test_the_correction_page_query_count(client, place, django_assert_max_num_queries):
    member, report = returned(place)
    client.force_login(member.user)
    # session, user, roles, member with unit, reports, returned fields, district choices, unit choices, skills,
    # skill choices, unread messages
    with django_assert_max_num_queries(11):
        assert client.get(reverse("registration:report-correct", args=[report.pk])).status_code == 200


def test_the_staffs_reject_form_names_the_fields(client, place):
    registration = register(place["community"], place["units"][0], 1)
    client.force_login(place["staff"])
    response = client.post(
        reverse("registration:report-reject", args=[registration.report.pk]),
        {"reason": "职务与介绍信不符", "fields": ["position"]},
    )
    assert response.status_code == 302
    assert ReturnedFields.objects.get(report=registration.report).fields == ["position"]


def test_the_phone_is_changed_on_its_own_page_with_an_sms_check(client, place):
    member = register(place["community"], place["units"][0], 1).member
    client.force_login(member.user)
    page = client.get(reverse("registration:profile")).content.decode()
    assert f'href="{reverse("registration:phone_change")}"' in page
    assert 'name="phone"' not in page  # never changed here without the code


def test_a_service_records_rejection_does_not_ask_which_member_details(client, place):
    factories.ServiceRecordFactory(community=place["community"])  # waiting: its row has the reject form
    client.force_login(place["staff"])
    page = client.get(reverse("services:staff-record-queue")).content.decode()
    assert 'name="reason"' in page and 'name="fields"' not in page
    registration = register(place["community"], place["units"][0], 1)
    review = client.get(reverse("registration:report-review", args=[registration.report.pk])).content.decode()
    assert 'name="fields"' in review
