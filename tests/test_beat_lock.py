"""One beat (issue 15): a second beat process waits as a standby instead of running the schedule twice."""

import pytest
from django.db import connection

from communities.platform import beat
from communities.platform.beat import BeatLock, RegisteredJobsScheduler
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the beat lock is a PostgreSQL advisory lock; on SQLite one beat is started")


def test_one_lock_holder_at_a_time_and_the_standby_takes_over(postgres_only):
    first, second = BeatLock(), BeatLock()
    try:
        assert first.acquire()
        assert first.held()
        assert not second.acquire()
        assert not second.held()

        first.release()  # the first beat's process died: its session, and the lock, ended

        assert second.acquire()
        assert second.held()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


def test_a_lost_connection_is_a_lost_lock(postgres_only):
    lock = BeatLock()
    try:
        assert lock.acquire()
        lock.connection.close()
        assert not lock.held()
        assert lock.acquire()  # on a new connection
    finally:
        lock.release()


def test_a_second_scheduler_runs_nothing_while_the_first_holds_the_lock(postgres_only, monkeypatch):
    ran = []
    monkeypatch.setattr(beat.DatabaseScheduler, "tick", lambda self, *args, **kwargs: ran.append(self) or 1.0)
    first = RegisteredJobsScheduler(app=celery_app, lazy=True)
    second = RegisteredJobsScheduler(app=celery_app, lazy=True)
    try:
        assert first.tick() == 1.0
        assert second.tick() == beat.STANDBY_SECONDS
        assert second.tick() == beat.STANDBY_SECONDS
        assert ran == [first]

        first.lock.release()

        assert second.tick() == 1.0
        assert ran == [first, second]
    finally:
        for scheduler in (first, second):
            if scheduler.lock is not None:
                scheduler.lock.release()
