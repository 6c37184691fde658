"""The health endpoint (issue 15): answered before the host check, 503 only when the database is down (strict: when
anything is), and the optional error tracker, off by default."""

import json
import time

import pytest
from django.core.cache import cache
from django.db import connection

from communities import health
from communities.health import HEARTBEAT_KEY, worker_heartbeat_task
from communities.platform import jobs
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_health_answers_any_host_without_a_session_or_a_redirect(client, settings, django_assert_max_num_queries):
    settings.ALLOWED_HOSTS = ["party.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    with django_assert_max_num_queries(1):
        response = client.get("/health/", HTTP_HOST="10.0.0.7")

    assert response.status_code == 200
    report = json.loads(response.content)
    assert set(report) == {"database", "cache", "broker", "worker"}
    assert report["database"] == "ok"
    assert "Set-Cookie" not in response.headers
    assert response["Cache-Control"] == "no-store"


def test_a_database_failure_is_503(client, monkeypatch):
    def down():
        raise ConnectionError("database unreachable")

    monkeypatch.setitem(health.CHECKS, "database", down)

    response = client.get("/health/")

    assert response.status_code == 503
    assert json.loads(response.content)["database"].startswith("error: ConnectionError")


@pytest.fixture
def with_a_worker(monkeypatch):
    """As with a broker: the worker check reads the heartbeat (the broker's own check is left out)."""
    monkeypatch.setitem(health.CHECKS, "broker", lambda: "ok")
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_a_stale_worker_is_reported_and_strict_mode_fails(client, with_a_worker):
    cache.set(HEARTBEAT_KEY, time.time() - 600)

    lenient, strict = client.get("/health/"), client.get("/health/?strict=1")

    assert lenient.status_code == 200  # Redis or a worker down must not take every instance out of the balancer
    assert json.loads(lenient.content)["worker"] == "error: RuntimeError: last heartbeat 600 s ago"
    assert strict.status_code == 503

    worker_heartbeat_task.apply()  # run here, as a worker would
    assert client.get("/health/?strict=1").status_code == 200


def test_the_heartbeat_runs_every_minute():
    entry = jobs.beat_schedule()["worker-heartbeat"]
    assert entry["task"] == worker_heartbeat_task.name
    assert entry["schedule"].minute == set(range(60))


def test_error_tracking_is_off_without_a_dsn(settings):
    settings.SENTRY_DSN = ""
    assert health.init_error_tracking() is False


def test_error_tracking_sends_no_personal_data(settings, monkeypatch):
    import sentry_sdk

    seen = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: seen.update(options))
    settings.SENTRY_DSN = "https://key@errors.example.org/1"

    assert health.init_error_tracking() is True
    assert seen["send_default_pii"] is False
    assert seen["max_request_body_size"] == "never"
    assert connection.vendor  # the app keeps working: nothing else was touched
