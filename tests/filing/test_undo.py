"""Undo where the domain allows it (issue 17): a report's confirmation, by the staff member who made it, within
REPORT_CONFIRM_UNDO_MINUTES; a need's publication, before anyone claims it. Both audited."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from communities.models import AuditEvent, Notification, StaffAssignment
from registration import services as registration_services
from registration.models import Report
from services import services as need_services
from services.models import Claim, ServiceNeed
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
Role = StaffAssignment.Role


@pytest.fixture
def place():
    community = factories.CommunityFactory()
    return {"community": community, "staff": make_staff(Role.COMMUNITY_STAFF, community=community)}


def confirmed_with_history(place):
    """A member whose report elsewhere was confirmed, whose roster entry has no community, and whose new report
    here is confirmed by the staff member now."""
    member = factories.MemberFactory()
    old = factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    entry = factories.RosterEntryFactory(unit=member.unit)
    member.roster_entry = entry
    member.save(update_fields=["roster_entry"])
    new = factories.ReportFactory(member=member, community=place["community"])
    registration_services.report_confirm(report_id=new.pk, user=place["staff"])
    return member, old, new, entry


def test_undoing_a_confirmation_restores_what_it_changed(place):
    member, old, new, entry = confirmed_with_history(place)
    old.refresh_from_db()
    entry.refresh_from_db()
    assert (old.status, entry.community) == (Report.Status.ENDED, place["community"])

    registration_services.report_confirm_undo(report_id=new.pk, user=place["staff"])

    new.refresh_from_db()
    old.refresh_from_db()
    entry.refresh_from_db()
    assert (new.status, new.decided_at, new.decided_by) == (Report.Status.PENDING, None, None)
    assert (old.status, old.ended_at) == (Report.Status.CONFIRMED, None)
    assert entry.community is None
    assert Notification.objects.filter(user=member.user, title__contains="撤销").exists()
    event = AuditEvent.objects.filter(action="report_confirm_undo").get()
    assert (event.user, event.object_id, event.outcome) == (place["staff"], str(new.pk), "success")
    # Pending again: it can be confirmed (or rejected) as before.
    registration_services.report_confirm(report_id=new.pk, user=place["staff"])


def test_an_entry_whose_community_came_from_the_roster_keeps_it(place):
    member = factories.MemberFactory()
    entry = factories.RosterEntryFactory(unit=member.unit, community=place["community"])
    member.roster_entry = entry
    member.save(update_fields=["roster_entry"])
    report = factories.ReportFactory(member=member, community=place["community"])
    registration_services.report_confirm(report_id=report.pk, user=place["staff"])
    registration_services.report_confirm_undo(report_id=report.pk, user=place["staff"])
    entry.refresh_from_db()
    assert entry.community == place["community"]


def test_only_the_confirming_person_may_undo_and_only_for_a_few_minutes(place, settings):
    _member, _old, new, _entry = confirmed_with_history(place)
    colleague = make_staff(Role.COMMUNITY_STAFF, community=place["community"])
    with pytest.raises(ValidationError):
        registration_services.report_confirm_undo(report_id=new.pk, user=colleague)
    settings.REPORT_CONFIRM_UNDO_MINUTES = 5
    Report.objects.filter(pk=new.pk).update(decided_at=timezone.now() - datetime.timedelta(minutes=6))
    with pytest.raises(ValidationError):
        registration_services.report_confirm_undo(report_id=new.pk, user=place["staff"])
    settings.REPORT_CONFIRM_UNDO_MINUTES = 10
    registration_services.report_confirm_undo(report_id=new.pk, user=place["staff"])
    refused = AuditEvent.objects.filter(action="report_confirm_undo", outcome="failure").count()
    assert refused == 2


def test_a_report_sent_since_keeps_the_confirmation(place):
    member, _old, new, _entry = confirmed_with_history(place)
    factories.ReportFactory(member=member)  # a change of community, pending
    with pytest.raises(ValidationError):
        registration_services.report_confirm_undo(report_id=new.pk, user=place["staff"])
    new.refresh_from_db()
    assert new.status == Report.Status.CONFIRMED


def test_the_review_page_offers_the_undo_to_its_author_only(client, place):
    _member, _old, new, _entry = confirmed_with_history(place)
    review = reverse("registration:report-review", args=[new.pk])
    undo = reverse("registration:report-confirm-undo", args=[new.pk])
    client.force_login(make_staff(Role.COMMUNITY_STAFF, community=place["community"]))
    assert undo not in client.get(review).content.decode()
    assert client.post(undo).status_code == 302
    new.refresh_from_db()
    assert new.status == Report.Status.CONFIRMED

    client.force_login(place["staff"])
    page = client.get(review).content.decode()
    assert undo in page and "撤销确认" in page
    client.post(undo)
    new.refresh_from_db()
    assert new.status == Report.Status.PENDING


def test_the_confirmation_message_links_to_the_undo(client, place):
    report = factories.ReportFactory(community=place["community"])
    client.force_login(place["staff"])
    response = client.post(reverse("registration:report-confirm", args=[report.pk]), follow=True)
    html = response.content.decode()
    assert f'href="{reverse("registration:report-review", args=[report.pk])}#undo"' in html
    assert "分钟内可撤销" in html


def test_a_publication_is_undone_before_anyone_claims(client, place):
    need = factories.ServiceNeedFactory(community=place["community"], title="帮独居老人买菜")
    board = reverse("services:public-board", args=[place["community"].code])
    assert need.title in client.get(board).content.decode()  # drawn and cached
    client.force_login(place["staff"])
    detail = reverse("services:staff-need-detail", args=[need.pk])
    unpublish = reverse("services:staff-need-action", args=[need.pk, "unpublish"])
    assert unpublish in client.get(detail).content.decode()

    client.post(unpublish)

    need.refresh_from_db()
    assert (need.status, need.published_at) == (ServiceNeed.Status.DRAFT, None)
    assert AuditEvent.objects.filter(action="need_publish_undo", object_id=str(need.pk), outcome="success").exists()
    client.logout()
    assert need.title not in client.get(board).content.decode()  # the cached board is not stale


def test_a_claimed_need_stays_published_even_after_the_claim_is_withdrawn(client, place):
    need = factories.ServiceNeedFactory(community=place["community"])
    factories.ClaimFactory(need=need, status=Claim.Status.CANCELLED)
    client.force_login(place["staff"])
    unpublish = reverse("services:staff-need-action", args=[need.pk, "unpublish"])
    assert unpublish not in client.get(reverse("services:staff-need-detail", args=[need.pk])).content.decode()
    with pytest.raises(ValidationError):
        need_services.need_publish_undo(user=place["staff"], need_id=need.pk)
    client.post(unpublish)
    need.refresh_from_db()
    assert need.status == ServiceNeed.Status.PUBLISHED
    assert AuditEvent.objects.filter(action="need_publish_undo", outcome="failure").count() == 2
