"""Celery tasks of the annual assessment (autodiscovered as `services.assessment.tasks`): the job, one chunk of
members per task.

`assessment_run_task(year=...)` opens (or resumes) a run and queues one `assessment_chunk_task` per
primary-key range of members; each chunk is one transaction that also marks itself done, and the last
one marks the run finished. Tasks are acknowledged late and rejected when their worker dies, so a chunk
interrupted by a killed worker is delivered again; a chunk already done returns at once. Starting the
job again for the same year and scope resumes the unfinished run: only chunks not yet done are queued.
"""

from celery import shared_task
from django.db.models import F, Max
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.http import urlencode

from communities.models import District
from communities.platform import jobs, watch
from communities.platform.jobs import TRANSIENT_ERRORS

from . import runs
from .models import AssessmentRun

__all__ = ["assessment_run_task", "assessment_chunk_task"]

# Transient database errors (a lost connection, a deadlock, a serialization failure): retried with backoff.
TRANSIENT = TRANSIENT_ERRORS
RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@jobs.job
@shared_task(**RETRY, soft_time_limit=120, time_limit=180)
def assessment_run_task(year: int, district_id: int | None = None) -> int:
    """Start (or resume) computing the draft assessments of `year` for the city, or one district: opens
    the run with its chunks and queues them after commit. Returns the run's id. Idempotent: while a run
    of that year and scope is unfinished, calling again only queues its chunks not yet done."""
    district = District.objects.get(pk=district_id) if district_id is not None else None
    return runs.assessment_run_start(year=year, district=district).pk


@shared_task(bind=True, **RETRY, soft_time_limit=600, time_limit=660)
def assessment_chunk_task(self, run_id: int, start_pk: int, end_pk: int) -> bool:
    """Do one chunk [start_pk, end_pk) of a run (compute drafts or finalise), once. Returns False when the
    chunk was already done. end_pk is carried for the logs; the chunk row holds the range.

    A chunk that gives up (any error but a transient one, or a transient one after its last retry, or the
    soft time limit) rolls back and records the error on the run, so the admin page says it stopped."""
    try:
        return runs.run_chunk_process(run_id=run_id, start_pk=start_pk)
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            runs.run_mark_failed(run_id=run_id, error=f"{type(error).__name__}: {error}")
        raise
    except Exception as error:
        runs.run_mark_failed(run_id=run_id, error=f"{type(error).__name__}: {error}")
        raise


# --- Runs that stop making progress (communities.platform.watch) ---------------------------------------------


def _stuck_compute_runs(before) -> list:
    """Computing runs still running whose last chunk (or start) is older than `before`: their tasks were lost."""
    stuck = (
        AssessmentRun.objects.filter(status=AssessmentRun.Status.RUNNING, kind=AssessmentRun.Kind.COMPUTE)
        .annotate(progress_at=Coalesce(Max("chunks__done_at"), F("started_at")))
        .filter(progress_at__lt=before)
        .order_by("pk")
    )
    return [
        watch.StuckRun(
            key=str(run.pk),
            label=str(run),
            started_at=run.started_at,
            progress_at=run.progress_at,
            link=f"{reverse('assessment:admin')}?{urlencode({'year': run.year, 'district': run.district_id or ''})}",
        )
        for run in stuck
    ]


def _resume_compute_run(key: str) -> None:
    """Queue the run again: a resumed run queues only its chunks not yet done."""
    year, district_id = AssessmentRun.objects.values_list("year", "district_id").get(pk=key)
    assessment_run_task.delay(year, district_id)


watch.register("assessment", stuck=_stuck_compute_runs, resume=_resume_compute_run)
