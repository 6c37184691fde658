"""The council's pages render for who may open them, hold their query ceilings whatever the number of rows, and
the public page names nobody."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.models import StaffAssignment
from services.council import services
from services.council.models import Party

from .conftest import announce, hold, pass_resolution

pytestmark = pytest.mark.django_db


def _grow(world, count):
    for _ in range(count):
        resolution = pass_resolution(world)
        services.resolution_progress(resolution_id=resolution.pk, percent=50, note="一半", actor=world.contact)
    announce(world)


def _ceiling(client, django_assert_max_num_queries, url, ceiling):
    with django_assert_max_num_queries(ceiling):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("rows", [1, 4])
def test_query_ceilings_of_the_list_pages(client, world, django_assert_max_num_queries, rows):
    _grow(world, rows)
    client.force_login(world.staff)
    # Every logged-in page starts with the session, the user and the user's scope (3); the council's policies read
    # the user's memberships and companies once (2).
    # + the council, its members, topics, meetings (annotated), resolutions (with topic and executor joined).
    _ceiling(client, django_assert_max_num_queries, reverse("council:detail", args=[world.council.pk]), 10)
    # + the councils, the communities without one, the resolutions handed to the user, the staff tab's check.
    _ceiling(client, django_assert_max_num_queries, reverse("council:home"), 9)
    # + the page of resolutions and its count.
    _ceiling(client, django_assert_max_num_queries, reverse("council:resolutions"), 8)
    # + the page of communities and its count, the topics' and the resolutions' grouped counts.
    _ceiling(client, django_assert_max_num_queries, reverse("council:figures"), 8)
    meeting = world.council.meetings.order_by("pk").first()
    # + the meeting (with its council), the agenda with positions prefetched, the attendance.
    _ceiling(client, django_assert_max_num_queries, reverse("council:meeting", args=[meeting.pk]), 9)
    resolution = world.council.resolutions.first()
    # + the resolution (joined), its updates with their photos prefetched.
    _ceiling(client, django_assert_max_num_queries, reverse("council:resolution", args=[resolution.pk]), 9)
    client.force_login(world.contact)
    _ceiling(client, django_assert_max_num_queries, reverse("council:resolutions"), 8)
    client.logout()
    # No login: the community, then (on a miss) the council, its meetings, agendas, positions, resolutions, updates.
    _ceiling(client, django_assert_max_num_queries, reverse("council:public", args=[world.council.community.code]), 7)


def test_the_public_page_shows_meetings_resolutions_and_progress_without_names(client, world):
    resolution = pass_resolution(world)
    services.resolution_progress(resolution_id=resolution.pk, percent=60, note="王师傅已装12个", actor=world.contact)
    page = client.get(reverse("council:public", args=[world.council.community.code])).content.decode()
    assert "电动车充电桩" in page and "物业在北门安装20个充电桩" in page and 'value="60"' in page
    for private in ("赵代表", "王经理", "李支书", "13900000003", "王师傅", world.staff.full_name):
        assert private not in page


def test_the_public_page_is_drawn_again_when_progress_changes(client, world, django_assert_max_num_queries):
    resolution = pass_resolution(world)
    url = reverse("council:public", args=[world.council.community.code])
    client.get(url)
    with django_assert_max_num_queries(1):  # a cache hit reads no council row
        client.get(url)
    services.resolution_progress(resolution_id=resolution.pk, percent=100, note="完成", actor=world.contact)
    assert 'value="100"' in client.get(url).content.decode()


def test_the_public_page_of_a_community_without_a_council(client, city):
    response = client.get(reverse("council:public", args=[city["communities"][1].code]))
    assert response.status_code == 200
    assert client.get(reverse("council:public", args=["nope"])).status_code == 404


def test_staff_walk_the_forms(client, world):
    client.force_login(world.staff)
    council_url = reverse("council:detail", args=[world.council.pk])
    response = client.post(reverse("council:topic-new", args=[world.council.pk]),
                           {"title": "楼道堆物", "description": "清理楼道堆物。"})
    assert response.status_code == 302
    topic = world.council.topics.get()
    starts = timezone.localtime() + datetime.timedelta(days=4)
    response = client.post(reverse("council:meeting-new", args=[world.council.pk]), {
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "place": "议事厅", "topics": [topic.pk]})
    assert response.status_code == 302
    meeting = world.council.meetings.get()
    assert client.get(council_url).status_code == 200
    page = client.get(reverse("council:meeting", args=[meeting.pk])).content.decode()
    assert "议事厅" in page
    # Not started yet: no form to record it; posting is refused with the reason.
    response = client.post(reverse("council:meeting-hold", args=[meeting.pk]),
                           {"present": [m.pk for m in world.members.values()], "minutes": "纪要"})
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.status == "announced"


def test_the_decision_form_records_positions_and_the_resolution(client, world):
    meeting = announce(world)
    hold(world, meeting)
    item = meeting.items.get()
    client.force_login(world.staff)
    url = reverse("council:item-decide", args=[item.pk])
    assert client.get(url).status_code == 200
    due = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
    response = client.post(url, {"position_branch": "for", "position_residents": "for", "position_property": "for",
                                 "position_staff": "abstain", "resolution_text": "安装充电桩", "executor": "company",
                                 "due_on": due})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.resolution.executor_company == world.company
    assert client.get(url).status_code == 403  # decided already


def test_the_member_form_seats_a_representative(client, world):
    client.force_login(world.staff)
    response = client.post(reverse("council:member-add", args=[world.council.pk]), {
        "party": Party.RESIDENTS, "full_name": "孙代表", "phone": "13900000055", "password": "Strong2026pass"})
    assert response.status_code == 302
    assert world.council.members.filter(user__username="13900000055", party=Party.RESIDENTS).exists()
    response = client.post(reverse("council:member-add", args=[world.council.pk]), {
        "party": Party.RESIDENTS, "full_name": "孙\u200b代表", "phone": "13900000056", "password": "Strong2026pass"})
    assert response.status_code == 200 and "U+200B" in response.content.decode()


def test_the_company_page_adds_a_company_with_its_contacts_login(client, world):
    client.force_login(world.staff)
    response = client.post(reverse("council:company", args=[world.council.pk]) + "?action=create", {
        "create-name": "安居物业", "create-contact_name": "周经理", "create-contact_phone": "13900000066",
        "create-password": "Strong2026pass"})
    assert response.status_code == 302
    world.council.refresh_from_db()
    assert world.council.property_company.name == "安居物业"
    assert world.council.property_company.contact.username == "13900000066"


def test_figures_page_for_street_and_org_department(client, world, staff_users):
    pass_resolution(world)
    for role in ("street", "org_district", "org_city"):
        client.force_login(staff_users[role])
        response = client.get(reverse("council:figures"))
        assert response.status_code == 200
        assert world.council.community.name in response.content.decode()
    assert StaffAssignment.objects.filter(user=staff_users["unit"]).exists()
    client.force_login(staff_users["unit"])
    assert client.get(reverse("council:figures")).status_code == 403


def test_the_company_contact_finds_the_requests_handed_to_the_company_from_the_council_pages(client, world):
    """The contact lands on the council's pages, which have their own header: it links the handed requests, for the
    contact only."""
    handed = reverse("resident_requests:handed")
    client.force_login(world.contact)
    assert f'href="{handed}"' in client.get(reverse("council:home")).content.decode()
    client.force_login(world.resident)
    assert f'href="{handed}"' not in client.get(reverse("council:home")).content.decode()
