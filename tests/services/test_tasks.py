"""The daily job that closes ended needs: through Celery (eager here), idempotent, retried, in the beat schedule."""

import datetime

import pytest
from celery.schedules import crontab
from django.db import OperationalError
from django.utils import timezone

from communities.platform import jobs
from services.models import Claim, ServiceNeed, ServiceRecord
from services.tasks import abandon_lapsed_claims_task, close_ended_needs_task
from tests import factories


@pytest.mark.django_db
def test_close_ended_needs_task_closes_what_ended_before_its_now_once():
    now = timezone.now()
    ended = factories.ServiceNeedFactory(
        starts_at=now - datetime.timedelta(days=3), ends_at=now - datetime.timedelta(days=2)
    )
    later = factories.ServiceNeedFactory(
        starts_at=now - datetime.timedelta(days=3), ends_at=now + datetime.timedelta(hours=1)
    )

    assert close_ended_needs_task.delay(now.isoformat()).get() == 1
    assert close_ended_needs_task.delay(now.isoformat()).get() == 0

    ended.refresh_from_db()
    later.refresh_from_db()
    assert (ended.status, later.status) == (ServiceNeed.Status.CLOSED, ServiceNeed.Status.PUBLISHED)
    # Without a time it takes the clock's.
    assert close_ended_needs_task.delay().get() == 0
    assert close_ended_needs_task.delay((now + datetime.timedelta(hours=2)).isoformat()).get() == 1


def test_close_ended_needs_task_is_acknowledged_late_and_retried_on_database_errors():
    assert close_ended_needs_task.acks_late is True
    assert OperationalError in close_ended_needs_task.autoretry_for
    assert close_ended_needs_task.retry_backoff and close_ended_needs_task.time_limit


def test_close_ended_needs_runs_every_day_after_midnight():
    entry = jobs.beat_schedule()["close-ended-needs"]
    assert entry["task"] == close_ended_needs_task.name
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {15}
    assert entry["schedule"].day_of_week == set(range(7)) and entry["schedule"].day_of_month == set(range(1, 32))


@pytest.mark.django_db
def test_claims_lapse_to_abandoned_the_day_after_their_record_window_closes_once():
    """The window of a need ending on day D takes records dated up to D + 7 (record_create): a claim still in
    progress with no record standing after that can never get one, and counts as abandoned."""
    now = timezone.now()
    ends = now - datetime.timedelta(days=8)
    lapsed_need = factories.ServiceNeedFactory(starts_at=ends - datetime.timedelta(days=1), ends_at=ends)
    lapsed = factories.ClaimFactory(need=lapsed_need)
    rejected_only = factories.ClaimFactory(need=lapsed_need)
    factories.ServiceRecordFactory(
        member=rejected_only.member,
        claim=rejected_only,
        community=lapsed_need.community,
        status=ServiceRecord.Status.REJECTED,
        reject_reason="时间不符",
    )
    waiting_for_staff = factories.ClaimFactory(need=lapsed_need)
    factories.ServiceRecordFactory(
        member=waiting_for_staff.member, claim=waiting_for_staff, community=lapsed_need.community
    )
    cancelled = factories.ClaimFactory(need=lapsed_need, status=Claim.Status.CANCELLED)
    still_open_need = factories.ServiceNeedFactory(
        starts_at=now - datetime.timedelta(days=8), ends_at=now - datetime.timedelta(days=6)
    )
    in_window = factories.ClaimFactory(need=still_open_need)
    ongoing = factories.ClaimFactory(
        need=factories.ServiceNeedFactory(starts_at=now - datetime.timedelta(days=60), ends_at=None)
    )

    assert abandon_lapsed_claims_task.delay(now.isoformat()).get() == 2
    assert abandon_lapsed_claims_task.delay(now.isoformat()).get() == 0

    statuses = {
        claim: Claim.objects.get(pk=claim.pk).status
        for claim in (lapsed, rejected_only, waiting_for_staff, cancelled, in_window, ongoing)
    }
    assert statuses == {
        lapsed: Claim.Status.ABANDONED,
        rejected_only: Claim.Status.ABANDONED,
        waiting_for_staff: Claim.Status.ACTIVE,
        cancelled: Claim.Status.CANCELLED,
        in_window: Claim.Status.ACTIVE,
        ongoing: Claim.Status.ACTIVE,
    }
    # Two days on, the second need's window has closed too.
    assert abandon_lapsed_claims_task.delay((now + datetime.timedelta(days=2)).isoformat()).get() == 1


def test_abandoning_lapsed_claims_runs_every_day_after_the_needs_are_closed():
    entry = jobs.beat_schedule()["abandon-lapsed-claims"]
    assert entry["task"] == abandon_lapsed_claims_task.name
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {20}
