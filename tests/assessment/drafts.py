"""Computing the drafts in a test the way production does."""

from django.test import TestCase

from services.assessment import runs
from services.assessment.models import AssessmentRun


def compute(year: int, *, district=None) -> int:
    """Start a run as the admin page and the run task do, and let its chunks, queued after commit, run here (Celery
    is eager in tests). Returns how many drafts the run wrote."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = runs.assessment_run_start(year=year, district=district)
    run.refresh_from_db()
    assert run.status == AssessmentRun.Status.FINISHED
    return run.assessed
