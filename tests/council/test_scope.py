"""Scope: a property company's contact sees only what was handed to the company; a representative only their
council; street and organisation-department staff read their places' councils; everyone else is refused."""

import pytest
from django.urls import reverse

from services.council import selectors, services
from services.council.models import Party

from .conftest import announce, pass_resolution

pytestmark = pytest.mark.django_db


def _pages(world, resolution, meeting):
    return [
        reverse("council:detail", args=[world.council.pk]),
        reverse("council:meeting", args=[meeting.pk]),
        reverse("council:resolution", args=[resolution.pk]),
    ]


def test_a_representative_sees_their_council_only(client, world, other_world):
    resolution = pass_resolution(world)
    other = pass_resolution(other_world)
    client.force_login(world.resident)
    for url in _pages(world, resolution, resolution.item.meeting):
        assert client.get(url).status_code == 200, url
    for url in _pages(other_world, other, other.item.meeting):
        assert client.get(url).status_code == 404, url
    assert set(selectors.councils_for(user=world.resident)) == {world.council}
    assert set(selectors.resolutions_for(user=world.resident)) == {resolution}


def test_a_company_contact_sees_only_what_was_handed_to_the_company(client, world, other_world):
    handed = pass_resolution(world)
    to_staff = pass_resolution(world, executor="staff")
    elsewhere = pass_resolution(other_world)
    # The contact is not seated here: only the company's login.
    services.council_member_remove(member_id=world.members[Party.PROPERTY].pk, actor=world.staff)
    client.force_login(world.contact)
    assert client.get(reverse("council:resolution", args=[handed.pk])).status_code == 200
    for hidden in (to_staff, elsewhere):
        assert client.get(reverse("council:resolution", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("council:detail", args=[world.council.pk])).status_code == 404
    assert client.get(reverse("council:meeting", args=[handed.item.meeting_id])).status_code == 404
    assert set(selectors.resolutions_for(user=world.contact)) == {handed}
    page = client.get(reverse("council:home")).content.decode()
    assert handed.topic.title in page


def test_the_company_serves_several_communities_and_sees_each_handed_resolution(client, world, other_world):
    services.council_set_company(council_id=other_world.council.pk, company_id=world.company.pk,
                                 actor=other_world.staff)
    there = pass_resolution(other_world)
    here = pass_resolution(world)
    assert set(selectors.handed_to(user=world.contact)) == {here, there}


def test_staff_of_another_community_are_refused_and_street_staff_read(client, world, other_world, staff_users):
    resolution = pass_resolution(world)
    meeting = resolution.item.meeting
    client.force_login(other_world.staff)
    for url in _pages(world, resolution, meeting):
        assert client.get(url).status_code == 404, url
    client.force_login(staff_users["street"])  # the street of communities 0 and 1
    for url in _pages(world, resolution, meeting):
        assert client.get(url).status_code == 200, url
    # Read only: the street acts for no council.
    response = client.post(reverse("council:member-add", args=[world.council.pk]),
                           {"party": "residents", "full_name": "某", "phone": "13900000077", "password": "x"})
    assert response.status_code == 403


def test_forbidden_paths(client, world, other_world):
    resolution = pass_resolution(world)
    meeting = announce(world)
    client.force_login(world.resident)
    # A representative does not keep the council, announce, record, decide or report progress.
    posts = [
        reverse("council:member-add", args=[world.council.pk]),
        reverse("council:meeting-new", args=[world.council.pk]),
        reverse("council:meeting-hold", args=[meeting.pk]),
        reverse("council:meeting-cancel", args=[meeting.pk]),
        reverse("council:resolution-progress", args=[resolution.pk]),
        reverse("council:company", args=[world.council.pk]),
        reverse("council:topic-from-request", args=[world.council.pk]),
    ]
    for url in posts:
        assert client.post(url, {}).status_code == 403, url
    client.force_login(world.contact)
    assert client.post(reverse("council:resolution-review", args=[resolution.pk]),
                       {"decision": "accept"}).status_code == 403
    client.force_login(other_world.resident)
    assert client.post(reverse("council:topic-new", args=[world.council.pk]),
                       {"title": "t", "description": "d"}).status_code == 404


def test_an_account_with_no_role_is_refused_and_anonymous_is_sent_to_log_in(client, world):
    from tests import factories

    client.force_login(factories.UserFactory())
    assert client.get(reverse("council:home")).status_code == 403
    assert client.get(reverse("council:figures")).status_code == 403
    client.logout()
    assert client.get(reverse("council:home")).status_code == 302


def test_the_home_page_sends_council_people_to_their_pages(client, world):
    client.force_login(world.resident)
    assert client.get("/").url == reverse("council:home")
    client.force_login(world.contact)
    assert client.get("/").url == reverse("council:home")
