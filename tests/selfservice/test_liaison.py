"""The unit liaison's tools: contacts of unregistered people (masked, full on an audited click), 一键提醒 at most once
a week per person, adding a registered member to the roster, taking a person off it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from communities.models import AuditEvent, Notification, ReminderSent, StaffAssignment
from registration.models import Member, RosterEntry
from registration.reminders import UNREGISTERED_SMS, roster_key
from registration.selfservice import services
from registration.selfservice.audit_actions import Action
from tests import factories
from tests.conftest import make_staff

from .helpers import register, roster_entry, tallies_in_step

pytestmark = pytest.mark.django_db


@pytest.fixture
def place():
    community = factories.CommunityFactory()
    unit, other_unit = factories.UnitFactory(district=None), factories.UnitFactory(district=None)
    entries = [roster_entry(unit, n, phone=f"1390000{n:04d}", community=community) for n in range(1, 4)]
    no_phone = roster_entry(unit, 4, phone="")
    registered = register(community, unit, 1).member  # entry 1 registers
    return {
        "community": community,
        "unit": unit,
        "other_unit": other_unit,
        "entries": entries,
        "no_phone": no_phone,
        "registered": registered,
        "liaison": make_staff("unit", unit=unit),
        "other_liaison": make_staff("unit", unit=other_unit),
    }


def sms_to(phone):
    return Notification.objects.filter(channel=Notification.Channel.SMS, phone=phone)


# --- 一键提醒 ---------------------------------------------------------------------------------------------------------


def test_the_reminder_goes_to_each_unregistered_person_with_a_phone_once_a_week(place):
    result = services.roster_remind_unregistered(user=place["liaison"], unit_id=place["unit"].pk)
    assert (result.sent, result.already, result.no_phone) == (2, 0, 1)
    assert sms_to(place["entries"][1].phone).count() == 1 and sms_to(place["entries"][2].phone).count() == 1
    assert not sms_to(place["entries"][0].phone).exists()  # registered
    again = services.roster_remind_unregistered(user=place["liaison"], unit_id=place["unit"].pk)
    assert (again.sent, again.already) == (0, 2)
    next_week = timezone.now() + datetime.timedelta(days=7)
    assert services.roster_remind_unregistered(user=place["liaison"], unit_id=place["unit"].pk, now=next_week).sent == 2
    events = AuditEvent.objects.filter(action=Action.ROSTER_REMIND).order_by("pk")
    assert [event.detail["sent"] for event in events] == [2, 0, 2]


def test_the_reminder_leaves_out_who_had_the_automatic_reminder_this_week(place):
    ReminderSent.objects.create(kind=UNREGISTERED_SMS, period="once", recipient=roster_key(place["entries"][1].pk))
    result = services.roster_remind_unregistered(user=place["liaison"], unit_id=place["unit"].pk)
    assert (result.sent, result.already) == (1, 1)


def test_another_units_liaison_cannot_remind_this_unit(place):
    with pytest.raises(PermissionDenied):
        services.roster_remind_unregistered(user=place["other_liaison"], unit_id=place["unit"].pk)
    assert not Notification.objects.filter(channel=Notification.Channel.SMS).exists()
    assert AuditEvent.objects.get(action=Action.ROSTER_REMIND).outcome == "refused"


def test_community_staff_cannot_remind(place):
    staff = make_staff("community", community=place["community"])
    with pytest.raises(PermissionDenied):
        services.roster_remind_unregistered(user=staff, unit_id=place["unit"].pk)


# --- Contacts ---------------------------------------------------------------------------------------------------


def test_the_contacts_page_masks_the_phones_and_shows_one_in_full_on_an_audited_click(client, place):
    client.force_login(place["liaison"])
    entry = place["entries"][1]
    page = client.get(reverse("registration:liaison-contacts", args=[place["unit"].pk])).content.decode()
    assert entry.phone not in page and entry.phone_masked in page
    assert place["entries"][0].name not in page  # registered: not on this list
    response = client.post(reverse("registration:liaison-phone", args=[place["unit"].pk, entry.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="tel:{entry.phone}"' in page and place["entries"][2].phone not in page
    event = AuditEvent.objects.get(action=Action.ROSTER_PHONE_VIEW)
    assert (event.user, event.object_id, event.outcome) == (place["liaison"], str(entry.pk), "success")
    assert entry.phone not in str(event.detail)


def test_another_units_roster_is_out_of_reach(client, place):
    client.force_login(place["other_liaison"])
    unit, entry = place["unit"], place["entries"][1]
    assert client.get(reverse("registration:liaison-contacts", args=[unit.pk])).status_code == 404
    assert client.post(reverse("registration:liaison-phone", args=[unit.pk, entry.pk])).status_code == 404
    # Its own unit's page with this unit's entry: not found either.
    own = place["other_unit"].pk
    assert client.post(reverse("registration:liaison-phone", args=[own, entry.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        services.roster_phone_reveal(user=place["other_liaison"], entry_id=entry.pk)
    assert not AuditEvent.objects.filter(action=Action.ROSTER_PHONE_VIEW, outcome="success").exists()


def test_a_member_cannot_open_the_liaison_pages(client, place):
    client.force_login(place["registered"].user)
    assert client.get(reverse("registration:liaison-contacts", args=[place["unit"].pk])).status_code == 403


def test_the_remind_button_reports_the_counts(client, place):
    client.force_login(place["liaison"])
    response = client.post(reverse("registration:liaison-remind", args=[place["unit"].pk]), follow=True)
    assert "已发送提醒：2" in response.content.decode()
    page = client.get(reverse("registration:liaison-contacts", args=[place["unit"].pk])).content.decode()
    assert page.count("本周已提醒") == 2


@pytest.mark.parametrize("size", [3, 30])
def test_the_contacts_page_query_count_does_not_grow(client, place, size, django_assert_max_num_queries):
    for _ in range(size):
        factories.RosterEntryFactory(unit=place["unit"])
        factories.MemberFactory(unit=place["unit"])  # off the roster
    client.force_login(place["liaison"])
    # session, user, second-factor check, scope, unit, page count, page rows (with reminded this week), off-roster
    # members, their reports, unread messages
    with django_assert_max_num_queries(10):
        assert client.get(reverse("registration:liaison-contacts", args=[place["unit"].pk])).status_code == 200


# --- Add a registered member to the roster -----------------------------------------------------------------------


def off_roster_member(place, n=50):
    member = register(place["community"], place["unit"], n).member
    assert member.roster_entry is None
    return member


def test_a_registered_member_who_named_the_unit_is_added_in_one_step(place):
    member = off_roster_member(place)
    entry = services.roster_add_member(user=place["liaison"], unit_id=place["unit"].pk, member_id=member.pk)
    member.refresh_from_db()
    assert member.roster_entry == entry
    assert (entry.unit, entry.name, entry.phone, entry.id_number_hash) == (
        place["unit"],
        member.name,
        member.phone,
        member.id_number_hash,
    )
    assert entry.community == place["community"]  # from the member's report
    assert entry.id_number == member.id_number
    assert tallies_in_step()
    assert AuditEvent.objects.get(action=Action.ROSTER_ADD_MEMBER).outcome == "success"


def test_a_member_on_a_roster_already_is_not_added_again(place):
    with pytest.raises(ValidationError):
        services.roster_add_member(
            user=place["liaison"], unit_id=place["unit"].pk, member_id=place["registered"].pk
        )


def test_a_member_of_another_unit_cannot_be_added(place):
    member = off_roster_member(place)
    with pytest.raises(PermissionDenied):
        services.roster_add_member(user=place["other_liaison"], unit_id=place["other_unit"].pk, member_id=member.pk)
    assert Member.objects.get(pk=member.pk).roster_entry is None


def test_the_add_button_adds_and_the_member_leaves_the_off_roster_list(client, place):
    member = off_roster_member(place)
    client.force_login(place["liaison"])
    url = reverse("registration:roster-add-member", args=[place["unit"].pk, member.pk])
    assert client.post(url).status_code == 302
    page = client.get(reverse("registration:liaison-contacts", args=[place["unit"].pk])).content.decode()
    assert 'id="off-roster-list"' not in page


# --- Take off the roster -------------------------------------------------------------------------------------------


def test_taking_a_registered_person_off_the_roster_keeps_the_member_and_the_tallies(place):
    entry = place["registered"].roster_entry
    services.roster_entry_remove(user=place["liaison"], entry_id=entry.pk, reason="moved")
    assert not RosterEntry.objects.filter(pk=entry.pk).exists()
    assert Member.objects.get(pk=place["registered"].pk).roster_entry is None
    assert tallies_in_step()
    event = AuditEvent.objects.get(action=Action.ROSTER_REMOVE)
    assert event.detail == {"unit_id": place["unit"].pk, "reason": "moved", "registered": True}


def test_community_staff_and_other_liaisons_cannot_take_anyone_off(place):
    entry = place["entries"][2]
    for user in (make_staff("community", community=place["community"]), place["other_liaison"]):
        with pytest.raises(PermissionDenied):
            services.roster_entry_remove(user=user, entry_id=entry.pk, reason="moved")
    assert RosterEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEvent.objects.filter(action=Action.ROSTER_REMOVE, outcome="refused").count() == 2


def test_the_org_department_of_the_city_may_take_someone_off(place):
    org = make_staff(StaffAssignment.Role.ORG_DEPARTMENT, is_staff=True)
    services.roster_entry_remove(user=org, entry_id=place["entries"][2].pk, reason="retired")
    assert not RosterEntry.objects.filter(pk=place["entries"][2].pk).exists()


def test_the_remove_page_asks_for_a_reason_then_removes(client, place):
    entry = place["entries"][2]
    client.force_login(place["liaison"])
    url = reverse("registration:roster-remove", args=[place["unit"].pk, entry.pk])
    page = client.get(url).content.decode()
    assert entry.name in page and entry.id_number_mask in page
    assert client.post(url, {}).status_code == 400
    response = client.post(url, {"reason": "retired"})
    assert response.status_code == 302 and response.url == reverse("registration:unit-roster", args=[place["unit"].pk])
    assert not RosterEntry.objects.filter(pk=entry.pk).exists()


def test_the_remove_page_of_another_units_entry_is_not_found(client, place):
    client.force_login(place["other_liaison"])
    entry = place["entries"][2]
    assert client.get(reverse("registration:roster-remove", args=[place["unit"].pk, entry.pk])).status_code == 404
    url = reverse("registration:roster-remove", args=[place["other_unit"].pk, entry.pk])
    assert client.post(url, {"reason": "moved"}).status_code == 404
    assert RosterEntry.objects.filter(pk=entry.pk).exists()


def test_the_roster_page_links_to_the_tools(client, place):
    client.force_login(place["liaison"])
    page = client.get(reverse("registration:unit-roster", args=[place["unit"].pk])).content.decode()
    assert reverse("registration:liaison-contacts", args=[place["unit"].pk]) in page
    assert reverse("registration:roster-remove", args=[place["unit"].pk, place["entries"][2].pk]) in page


def test_the_remove_page_query_count(client, place, django_assert_max_num_queries):
    client.force_login(place["liaison"])
    url = reverse("registration:roster-remove", args=[place["unit"].pk, place["entries"][2].pk])
    # session, user, second-factor check, scope, unit, the entry with its state, unread messages
    with django_assert_max_num_queries(7):
        assert client.get(url).status_code == 200
