"""Issue 19, finding 9: the public board listed every member by name and unit to anyone, without a separate
consent, and community codes are sequential, so the whole city could be scraped. Now "who serves here" names only
members who consented to it (registration.public_listing, withdrawable), and only at the community's non-guessable
public address (Community.public_slug: the poster's QR code, the staff's links); a board opened by its code shows
the needs and no member."""

import pytest
from django.test import Client
from django.urls import reverse

from communities.models import AuditEvent, Community
from registration.models import Member, Report
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def board():
    community = factories.CommunityFactory()
    agreed = factories.MemberFactory(name="赵同意")
    silent = factories.MemberFactory(name="钱未允")
    for member in (agreed, silent):
        factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    client = Client()
    client.force_login(agreed.user)
    response = client.post(reverse("registration:member-public-listing"), {"consent": "1"})
    assert response.status_code == 302
    return community, agreed, silent, client


def board_text(community, identifier=None):
    url = reverse("services:public-board", args=[identifier or community.public_slug])
    response = Client().get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_only_members_who_consented_are_named_at_the_public_address(board):
    community, agreed, silent, _client = board
    text = board_text(community)
    assert agreed.name in text and silent.name not in text
    agreed.refresh_from_db()
    assert agreed.public_listing_consented_at is not None
    assert AuditEvent.objects.filter(action="public_listing_consent", user=agreed.user).exists()


def test_the_consent_is_withdrawn_from_the_members_side_and_the_board_follows_at_once(board):
    community, agreed, _silent, client = board
    assert agreed.name in board_text(community)  # drawn and cached
    client.post(reverse("registration:member-public-listing"), {"consent": "0"})
    agreed.refresh_from_db()
    assert agreed.public_listing_consented_at is None
    assert agreed.name not in board_text(community)
    assert AuditEvent.objects.filter(action="public_listing_withdraw").exists()


def test_a_member_registered_before_has_not_consented():
    member = factories.MemberFactory()
    assert Member.objects.get(pk=member.pk).public_listing_consented_at is None
    field = Member._meta.get_field("public_listing_consented_at")
    assert field.null and field.get_default() is None


def test_the_code_opens_the_needs_but_names_nobody_and_never_leads_to_the_public_address(board):
    community, agreed, _silent, _client = board
    for url in (
        reverse("services:public-board", args=[community.code]),
        reverse("services:public-board-print", args=[community.code]),
    ):
        text = Client().get(url).content.decode()
        assert agreed.name not in text and community.public_slug not in text, url
    # After the code page was drawn, the public address still names the member (fragments kept apart).
    assert agreed.name in board_text(community)


def test_the_poster_at_the_public_address_encodes_the_public_address(board):
    community, agreed, _silent, _client = board
    response = Client().get(reverse("services:public-board-print", args=[community.public_slug]))
    assert response.status_code == 200
    assert response.context["board_url"].endswith(f"/c/{community.public_slug}/board/")
    assert agreed.name in response.content.decode()


def test_public_addresses_are_random_and_unique():
    slugs = {factories.CommunityFactory().public_slug for _ in range(20)}
    assert len(slugs) == 20 and all(len(slug) >= 20 for slug in slugs)
    assert not Community._meta.get_field("public_slug").editable


def test_the_consent_page_is_members_only(board):
    community, _agreed, _silent, _client = board
    anonymous = Client().get(reverse("registration:member-public-listing"))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    staff = Client()
    staff.force_login(factories.UserFactory())
    assert staff.get(reverse("registration:member-public-listing")).status_code == 403
