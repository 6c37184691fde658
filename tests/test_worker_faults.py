"""A real prefork worker, on a PostgreSQL cluster of its own that the test restarts under it (issue 15).

The worker's database is a throw-away cluster (scripts/own_services.py), never the shared one the suite runs on."""

import os

import pytest

from communities.platform import jobs
from communities.tasks import audit_purge_task
from config.celery import app as celery_app
from scripts.own_services import OwnPostgres, Worker, migrate, postgres_bin
from tests.services_required import require_or_skip

pytestmark = pytest.mark.services


def project_tasks():
    celery_app.loader.import_default_modules()
    return {
        name: task
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in {"communities", "registration", "services"}
    }


def test_every_project_task_retries_the_transient_database_errors():
    tasks = project_tasks()
    assert tasks
    for name, task in tasks.items():
        assert set(jobs.TRANSIENT_ERRORS) <= set(getattr(task, "autoretry_for", ())), name
        assert task.max_retries and task.max_retries >= 5, name


@pytest.fixture
def worker_on_own_postgres(tmp_path):
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        require_or_skip("CELERY_BROKER_URL does not name a Redis broker")
    if postgres_bin() is None:
        require_or_skip("PostgreSQL's binaries are not installed")
    backend = os.environ.get("CELERY_RESULT_BACKEND") or broker
    postgres = OwnPostgres().start()
    worker = None
    try:
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": postgres.url,
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": backend,
        }
        migrate(env)
        queue = f"faults-{os.getpid()}"
        worker = Worker(env, queues=queue, log=tmp_path / "worker.log").start()
        celery_app.conf.update(task_always_eager=False, broker_url=broker, result_backend=backend)
        yield postgres, worker, queue
    finally:
        celery_app.conf.task_always_eager = True
        if worker is not None:
            worker.stop()
        postgres.stop()


def test_the_worker_survives_a_database_restart(worker_on_own_postgres):
    postgres, worker, queue = worker_on_own_postgres
    # Both pool processes open their connection before the restart.
    assert [audit_purge_task.apply_async(queue=queue).get(timeout=30) for _ in range(4)] == [0] * 4
    before = postgres.psql("SELECT pg_postmaster_start_time()")

    postgres.restart()

    assert postgres.psql("SELECT pg_postmaster_start_time()") != before
    # The next tasks succeed on the same worker, without it being restarted.
    results = [audit_purge_task.apply_async(queue=queue) for _ in range(6)]
    assert [result.get(timeout=60) for result in results] == [0] * 6
    assert worker.process.poll() is None
    log = worker.log.read_text()
    assert "InterfaceError" not in log
