import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender=None, **kwargs):
    """What Django does around each request, around each task: drop a connection that errored and no longer works
    or that outlived CONN_MAX_AGE, and have the next query check its connection (CONN_HEALTH_CHECKS) first.

    With CELERY_DB_REUSE_MAX Celery's Django fixup keeps the connection between tasks and never checks it: after
    PostgreSQL restarted, every later task of that worker raised InterfaceError ("connection already closed"). Now a
    task that meets the restart fails once with a transient error (retried: jobs.TRANSIENT_ERRORS) and the next one
    reconnects. Eager tasks run inside a request or a test, whose connection is Django's to manage."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect
def _refuse_wrong_id_number_keys(**kwargs):
    """A worker refuses to start with keys that cannot read the stored ID numbers (the message names the variable)."""
    from django.core.exceptions import ImproperlyConfigured

    from registration.identity import verify_id_number_keys

    try:
        verify_id_number_keys()
    except ImproperlyConfigured as error:
        # Celery logs and swallows an exception raised by a signal handler: only SystemExit stops the worker.
        raise SystemExit(f"The worker refuses to start: {error}") from error


@worker_init.connect
def _error_tracking(**kwargs):
    from communities.health import init_error_tracking

    init_error_tracking()
