"""Stuck runs are noticed (issue 15): a watched run without progress is queued again and the system administrators
told, in the inbox and by email, once per run and stall."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from communities.models import Notification, StaffAssignment
from communities.platform import watch
from communities.tasks import stuck_runs_task
from config.celery import app as celery_app
from tests import factories

pytestmark = pytest.mark.django_db

Role = StaffAssignment.Role


class Runs:
    """A kind of run kept in memory: {key: last progress}."""

    def __init__(self):
        self.progress, self.resumed = {}, []

    def stuck(self, before):
        return [
            watch.StuckRun(key=key, label=f"run {key}", started_at=at, progress_at=at, link=f"/admin/run/{key}/")
            for key, at in self.progress.items()
            if at < before
        ]

    def resume(self, key):
        self.resumed.append(key)


@pytest.fixture
def runs(django_capture_on_commit_callbacks):
    runs = Runs()
    watch.register("test-runs", stuck=runs.stuck, resume=runs.resume)
    yield runs
    watch.unregister("test-runs")


@pytest.fixture
def admin():
    user = factories.UserFactory(email="sysadmin@example.org")
    StaffAssignment.objects.create(user=user, role=Role.SYSTEM_ADMIN, community=None)
    return user


def test_a_run_without_progress_is_queued_again_and_the_administrator_told_once(
    runs, admin, django_capture_on_commit_callbacks
):
    now = timezone.now()
    runs.progress = {"1": now - datetime.timedelta(minutes=31), "2": now - datetime.timedelta(minutes=5)}

    with django_capture_on_commit_callbacks(execute=True):
        assert stuck_runs_task.delay().get() == ["test-runs:1"]
        assert stuck_runs_task.delay().get() == []  # the same stall: told once

    assert runs.resumed == ["1"]
    inbox = Notification.objects.get(user=admin, channel=Notification.Channel.INBOX)
    assert "run 1" in inbox.title
    assert "31" in inbox.body
    assert inbox.link == "/admin/run/1/"
    assert [message.to for message in mail.outbox] == [["sysadmin@example.org"]]

    # Progress, then a new stall: told again.
    runs.progress["1"] = now - datetime.timedelta(minutes=40, seconds=-1)
    with django_capture_on_commit_callbacks(execute=True):
        assert watch.check_stuck_runs() == ["test-runs:1"]
    assert runs.resumed == ["1", "1"]


def test_a_run_that_cannot_be_resumed_is_still_reported(admin, django_capture_on_commit_callbacks):
    def stuck(before):
        return [watch.StuckRun(key="7", label="run 7", started_at=before, progress_at=before)]

    def resume(key):
        raise RuntimeError("broker down")

    watch.register("failing", stuck=stuck, resume=resume)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert watch.check_stuck_runs() == ["failing:7"]
    finally:
        watch.unregister("failing")
    assert Notification.objects.filter(user=admin, channel=Notification.Channel.INBOX).count() == 1


def test_the_visibility_timeout_exceeds_the_longest_task(settings):
    celery_app.loader.import_default_modules()
    limits = [
        task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in {"communities", "registration", "services"}
    ]
    # Held in the prefetch behind the longest task, then run, then a retry's countdown (600 s).
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] >= 2 * max(limits) + 600
    assert celery_app.conf.broker_transport_options["visibility_timeout"] == 70 * 60
