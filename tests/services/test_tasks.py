"""The daily job that closes ended needs: through Celery (eager here), idempotent, retried, in the beat schedule."""

import datetime

import pytest
from celery.schedules import crontab
from django.db import OperationalError
from django.utils import timezone

from communities.platform import jobs
from services.models import ServiceNeed
from services.tasks import close_ended_needs_task
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
