"""The health endpoint for load balancers and monitoring (issue 15), and the optional error tracker.

GET /health/ answers before any other middleware (no host check, no HTTPS redirect, no session, no login), so a load
balancer probing an instance by its address gets an answer. JSON, one entry per dependency: the database (SELECT 1),
the cache (Redis PING when the cache is Redis), the broker (a connection), and the worker heartbeat (the time the
heartbeat task, which beat starts every minute, last ran on a worker). Status 503 only when the database is down:
the app works without the others (sessions fall back to the database, the outbox sends later), and a Redis outage
must not take every instance out of the load balancer at once. `/health/?strict=1` is 503 when anything is wrong,
for monitoring.
"""

import json
import logging
import time

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse

from .platform import jobs
from .platform.jobs import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

PATH = "/health/"
HEARTBEAT_KEY = "health:worker-heartbeat"
# The heartbeat runs every minute: three missed beats and the worker (or beat) is reported stale.
HEARTBEAT_STALE_SECONDS = 180
TIMEOUT_SECONDS = 1.0


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _cache() -> str:
    client = getattr(cache, "_cache", None)
    if client is not None and hasattr(client, "get_client"):  # Redis: the degrading cache would hide an outage
        client.get_client(write=True).ping()
    return "ok"


def _broker() -> str:
    from config.celery import app

    if app.conf.task_always_eager:
        return "ok (tasks run in-process)"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
    return "ok"


def _worker() -> str:
    from config.celery import app

    if app.conf.task_always_eager:
        return "ok (tasks run in-process)"
    beat = cache.get(HEARTBEAT_KEY)
    if beat is None:
        raise RuntimeError("no heartbeat yet: is a worker and beat running?")
    age = time.time() - beat
    if age > HEARTBEAT_STALE_SECONDS:
        raise RuntimeError(f"last heartbeat {int(age)} s ago")
    return f"ok ({int(age)} s ago)"


CHECKS = {"database": _database, "cache": _cache, "broker": _broker, "worker": _worker}


def health_report() -> tuple[dict, bool, bool]:
    """({check: "ok ..." or "error: ..."}, database ok, everything ok)."""
    report = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as error:  # a health check reports every failure instead of raising it
            report[name] = f"error: {type(error).__name__}: {error}"[:300]
    all_ok = all(value.startswith("ok") for value in report.values())
    return report, report["database"].startswith("ok"), all_ok


class HealthCheckMiddleware:
    """Answers GET/HEAD /health/ itself; first in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        report, database_ok, all_ok = health_report()
        strict = request.GET.get("strict") == "1"
        healthy = all_ok if strict else database_ok
        response = HttpResponse(json.dumps(report), content_type="application/json", status=200 if healthy else 503)
        response["Cache-Control"] = "no-store"
        return response


# Every minute: the worker heartbeat /health/ reads.
@jobs.job(schedule=crontab())
@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5, expires=120)
def worker_heartbeat_task() -> float:
    """Record that a worker ran a task now (in the shared cache). Expires after two minutes unrun: a late heartbeat
    says nothing about now."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=24 * 3600)
    return now


def init_error_tracking() -> bool:
    """Send the errors of the web app and of the workers to Sentry (or a compatible service) when SENTRY_DSN is set;
    off by default. No personal data: no request bodies, cookies or user details (send_default_pii off), and no
    performance tracing. Returns whether it is on."""
    dsn = getattr(settings, "SENTRY_DSN", "")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=settings.SENTRY_ENVIRONMENT,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
    )
    return True
