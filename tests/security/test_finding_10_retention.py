"""Issue 19, finding 10 (retention): roster entries and what is left of withdrawn members were kept forever. Now the
daily job retention_purge_task (registered in the platform's jobs, scheduled by beat) deletes roster entries nobody
registered under after ROSTER_RETENTION_DAYS, and a withdrawn member's messages after WITHDRAWN_RETENTION_DAYS
(registration.retention), with the tallies following and the counts in the audit trail."""

import datetime

import pytest
from django.utils import timezone

from communities.models import AuditEvent, Notification
from communities.platform import jobs
from registration import services
from registration.models import Member, RosterEntry
from registration.rates.models import CommunityTally
from registration.rates.tallies import tally_differences, tally_rebuild
from registration.retention import retention_purge
from registration.tasks import retention_purge_task
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_job_is_registered_and_scheduled_daily():
    job = next(job for job in jobs.registered() if job.short_name == "retention_purge")
    assert job.task is retention_purge_task and job.schedule is not None


def test_old_unregistered_entries_go_registered_and_recent_ones_stay(settings):
    settings.ROSTER_RETENTION_DAYS = 365
    now = timezone.now()
    old = factories.RosterEntryFactory(created_at=now - datetime.timedelta(days=400))
    recent = factories.RosterEntryFactory(created_at=now - datetime.timedelta(days=100))
    registered = factories.RosterEntryFactory(created_at=now - datetime.timedelta(days=900))
    factories.MemberFactory(roster_entry=registered)

    assert retention_purge_task.delay().get() == {"roster_entries": 1, "withdrawn_notifications": 0}
    assert set(RosterEntry.objects.values_list("pk", flat=True)) == {recent.pk, registered.pk}
    assert not RosterEntry.objects.filter(pk=old.pk).exists()
    event = AuditEvent.objects.get(action="retention_purge")
    assert event.detail == {"roster_entries": 1, "withdrawn_notifications": 0}
    assert retention_purge() == {"roster_entries": 0, "withdrawn_notifications": 0}  # idempotent


def test_the_tallies_follow_a_deleted_entry(settings):
    settings.ROSTER_RETENTION_DAYS = 30
    community = factories.CommunityFactory()
    factories.RosterEntryFactory(community=community, created_at=timezone.now() - datetime.timedelta(days=60))
    year = timezone.localdate().year

    def on_roster():
        return sum(CommunityTally.objects.filter(year=year, community=community).values_list("roster", flat=True))

    tally_rebuild(year)  # factories write no tallies
    assert on_roster() == 1
    retention_purge()
    assert on_roster() == 0
    assert tally_differences(year) == []  # the stored tallies equal a recount


def test_a_withdrawn_members_messages_go_after_the_period(settings):
    settings.WITHDRAWN_RETENTION_DAYS = 30
    member = factories.MemberFactory()
    kept = factories.MemberFactory()
    for person in (member, kept):
        Notification.objects.create(user=person.user, kind="test", title="报到已确认")
    services.member_withdraw(member=member)
    assert retention_purge()["withdrawn_notifications"] == 0  # withdrawn today: within the period
    Member.objects.filter(pk=member.pk).update(withdrawn_at=timezone.now() - datetime.timedelta(days=31))
    assert retention_purge()["withdrawn_notifications"] == 1
    assert not Notification.objects.filter(user=member.user).exists()
    assert Notification.objects.filter(user=kept.user).exists()
