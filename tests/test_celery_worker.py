"""A real Celery worker consuming from a real Redis broker (started by .ci/run)."""

import os

import pytest

from config.celery import app as celery_app
from tests.services_required import require_or_skip

pytestmark = pytest.mark.services


@pytest.fixture
def redis_worker():
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        require_or_skip("CELERY_BROKER_URL does not name a Redis broker")
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping, used by the start-up check)
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.update(
        task_always_eager=False,
        broker_url=broker,
        result_backend=os.environ.get("CELERY_RESULT_BACKEND") or broker,
    )
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=True, loglevel="WARNING") as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager = True


def test_the_project_app_is_configured_from_django_settings(settings):
    assert celery_app.main == "config"
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.timezone == settings.TIME_ZONE


def test_a_task_round_trips_through_redis_and_a_worker(redis_worker):
    result = celery_app.send_task("celery.ping")
    assert result.get(timeout=20) == "pong"
    assert result.backend.__class__.__name__ == "RedisBackend"
