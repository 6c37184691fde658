"""Large roster uploads as background jobs (issue 17 "progress for long work", issue 19 finding 3: a 100,000-row
import took 33 s inside the web request, past gunicorn's timeout).

A file larger than ROSTER_BACKGROUND_MIN_BYTES is handed to a Celery task (run at once, in the request, where no
broker is configured: the embedded default) and the uploader watches its progress on a page that updates itself.
The job's state and the file live in the shared cache for ROSTER_JOB_SECONDS: the import itself is all or nothing
in one transaction, so a job whose state the cache lost has either saved the whole file or nothing, and the roster
page tells which. Only the person who uploaded can see a job (its id is unguessable and bound to them).
"""

import secrets
from dataclasses import asdict

from django.conf import settings
from django.core.cache import cache

from .models import Unit
from .roster import roster_import_file

QUEUED, RUNNING, DONE = "queued", "running", "done"
MAX_ERRORS_KEPT = 200
# Progress is written to the cache at most this often (rows), besides the start and the end.
PROGRESS_STEP = 2_000


def _key(job_id: str) -> str:
    return f"roster-job:{job_id}"


def _file_key(job_id: str) -> str:
    return f"roster-job:{job_id}:file"


def is_large(uploaded_file) -> bool:
    return (getattr(uploaded_file, "size", 0) or 0) >= settings.ROSTER_BACKGROUND_MIN_BYTES


def roster_job_start(*, unit: Unit, user, uploaded_file) -> str:
    """Store the file and the job, enqueue the import; returns the job's id."""
    from .tasks import roster_import_task  # the tasks module imports this one

    job_id = secrets.token_urlsafe(16)
    uploaded_file.seek(0)
    cache.set(_file_key(job_id), uploaded_file.read(), timeout=settings.ROSTER_JOB_SECONDS)
    state = {"unit": unit.pk, "user": user.pk, "status": QUEUED, "done": 0, "total": 0, "name": uploaded_file.name}
    cache.set(_key(job_id), state, timeout=settings.ROSTER_JOB_SECONDS)
    roster_import_task.delay(job_id)
    return job_id


def roster_job_get(*, job_id: str, user, unit: Unit) -> dict | None:
    """The job's state for its uploader and unit; None when unknown, expired or another's."""
    state = cache.get(_key(job_id))
    if not state or state["user"] != user.pk or state["unit"] != unit.pk:
        return None
    return state


def roster_job_run(*, job_id: str) -> dict | None:
    """Run the import of a stored job (the task's body); returns the final state, None if the job is gone."""
    state = cache.get(_key(job_id))
    data = cache.get(_file_key(job_id))
    if state is None or data is None:
        return None
    if state["status"] == DONE:  # a redelivered task: the import ran already
        return state
    state = {**state, "status": RUNNING}
    cache.set(_key(job_id), state, timeout=settings.ROSTER_JOB_SECONDS)
    last = {"done": -PROGRESS_STEP}

    def progress(done: int, total: int) -> None:
        if done - last["done"] >= PROGRESS_STEP or done in (0, total):
            last["done"] = done
            cache.set(_key(job_id), {**state, "done": done, "total": total}, timeout=settings.ROSTER_JOB_SECONDS)

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    user = get_user_model().objects.filter(pk=state["user"]).first()
    unit = Unit.objects.get(pk=state["unit"])
    result = roster_import_file(
        unit=unit, uploaded_file=SimpleUploadedFile(state["name"], data), user=user, progress=progress
    )
    current = cache.get(_key(job_id)) or state
    final = {
        **current,
        "status": DONE,
        "created": result.created,
        "updated": result.updated,
        "error_count": len(result.errors),
        "errors": [asdict(error) for error in result.errors[:MAX_ERRORS_KEPT]],
    }
    cache.set(_key(job_id), final, timeout=settings.ROSTER_JOB_SECONDS)
    cache.delete(_file_key(job_id))
    return final
