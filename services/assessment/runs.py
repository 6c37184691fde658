"""The assessment job's orchestration: runs over the city or a district, in chunks of members, resumed.

Computing (`assessment_run_start`) and finalising (`assessment_finalise`) open a run with one chunk per
primary-key range of members (settings.ASSESSMENT_CHUNK_SIZE), queued as `assessment_chunk_task` after commit.
Each chunk is one transaction that also records the chunk as done: a chunk run twice, or two workers on the
same chunk, make no duplicate assessment (unique member + year, upsert) and no duplicate message (a row turns
final once, and its message is stored in the same transaction). Starting the same job again for a year and
scope resumes its unfinished run: only the chunks not yet done are queued.
"""

from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit, audit_attempt
from communities.iterables import batched
from communities.models import District, Notification, StaffAssignment
from communities.notifications import notify
from communities.platform import policies
from communities.reminders import pk_ranges
from registration.models import Member

from . import computation
from .audit_actions import Action
from .grading import check_year
from .models import Assessment, AssessmentRun, AssessmentRunChunk, Grade
from .selectors import below_line_rows, waiting_records

Role = StaffAssignment.Role


def member_ranges() -> list[tuple[int, int]]:
    """[start, end) primary-key ranges covering every member, ASSESSMENT_CHUNK_SIZE keys each."""
    first = Member.objects.order_by("pk").values_list("pk", flat=True).first()
    last = Member.objects.order_by("-pk").values_list("pk", flat=True).first()
    return pk_ranges(first, last, settings.ASSESSMENT_CHUNK_SIZE)


def _open_run(*, kind: str, year: int, district: District | None, user, **fields) -> tuple[AssessmentRun, list]:
    """The unfinished run of this kind, year and scope (resumed), or a new one with its chunks.
    Returns the run and the chunks still to do. Call inside a transaction."""
    runs = AssessmentRun.objects.select_for_update().filter(kind=kind, year=year, district=district)
    run = runs.exclude(status=AssessmentRun.Status.FINISHED).first()
    if run is None:
        try:
            with transaction.atomic():
                run = AssessmentRun.objects.create(kind=kind, year=year, district=district, started_by=user, **fields)
        except IntegrityError:
            # Another start won the race: resume that one.
            run = runs.exclude(status=AssessmentRun.Status.FINISHED).get()
        else:
            ranges = member_ranges()
            AssessmentRunChunk.objects.bulk_create(
                [AssessmentRunChunk(run=run, start_pk=start, end_pk=end) for start, end in ranges]
            )
            run.total = len(ranges)
            if not ranges:
                run.status, run.finished_at = AssessmentRun.Status.FINISHED, timezone.now()
            run.save(update_fields=["total", "status", "finished_at"])
            return run, list(run.chunks.order_by("start_pk"))
    if run.status == AssessmentRun.Status.FAILED:
        run.status, run.error = AssessmentRun.Status.RUNNING, ""
        run.save(update_fields=["status", "error"])
    return run, list(run.chunks.filter(done_at__isnull=True).order_by("start_pk"))


def _queue_chunks(run: AssessmentRun, chunks: list):
    """Queue the chunks after commit (a worker must find the run and its chunks)."""
    from .tasks import assessment_chunk_task  # the tasks import this module

    for chunk in chunks:
        assessment_chunk_task.delay_on_commit(run.pk, chunk.start_pk, chunk.end_pk)


def assessment_run_start(*, year: int, district: District | None = None, user=None) -> AssessmentRun:
    """Start computing the drafts of a year for the city or a district, or resume the unfinished run of
    that year and scope: its chunks not done yet are queued (after commit) as `assessment_chunk_task`.
    With a user, only the organisation department (a district's only for its district); without one
    (a scheduled or command-line job), anyone. Raises PermissionDenied, ValidationError. Audited (refused and
    failed attempts too)."""
    detail = {"year": year, "district_id": district.pk if district else None}
    with audit_attempt(action=Action.ASSESSMENT_RUN, user=user, detail=detail):
        check_year(year)
        if user is not None:
            policies.require("assessment.run", user, district)
        with transaction.atomic():
            run, chunks = _open_run(kind=AssessmentRun.Kind.COMPUTE, year=year, district=district, user=user)
            _queue_chunks(run, chunks)
            audit(action=Action.ASSESSMENT_RUN, user=user, obj=run, detail={**detail, "chunks": len(chunks)})
    return run


def assessment_finalise(
    *, user, year: int, district: District | None = None, include_drafts: bool = False
) -> AssessmentRun:
    """Finalise the reviewed assessments of a year for the city or one district (and the drafts too, with
    their grades as they stand, if include_drafts): a run whose chunks (`assessment_chunk_task`, queued
    after commit) turn them final, tell each member, and at the end tell each unit's liaisons. The party
    organisations under the reporting line that year are recorded on the run. A finalisation already
    under way for the year and scope is resumed instead. Raises PermissionDenied, ValidationError. Audited
    (refused and failed attempts too)."""
    detail = {"year": year, "district_id": district.pk if district else None, "include_drafts": include_drafts}
    with audit_attempt(action=Action.ASSESSMENT_FINALISE, user=user, detail=detail):
        return _assessment_finalise(user=user, year=year, district=district, include_drafts=include_drafts)


def _assessment_finalise(*, user, year: int, district: District | None, include_drafts: bool) -> AssessmentRun:
    policies.require("assessment.run", user, district)
    check_year(year)
    waiting = finalisable(year=year, include_drafts=include_drafts)
    if district is not None:
        waiting = waiting.filter(community__district=district)
    with transaction.atomic():
        if not waiting.exists() and not _open_runs(AssessmentRun.Kind.FINALISE, year, district).exists():
            raise ValidationError(_("Nothing to finalise: no assessment of %(year)s is waiting here.") % {"year": year})
        below = [
            {
                "unit_id": row.pk,
                "code": row.code,
                "name": row.name,
                "roster": row.roster,
                "reported": row.reported,
                "rate": str(row.rate),
            }
            for row in below_line_rows(user=user, year=year, district=district)
        ]
        run, chunks = _open_run(
            kind=AssessmentRun.Kind.FINALISE,
            year=year,
            district=district,
            user=user,
            include_drafts=include_drafts,
            below_line=below,
        )
        _queue_chunks(run, chunks)
        detail = {"year": year, "district_id": district.pk if district else None, "include_drafts": include_drafts}
        audit(action=Action.ASSESSMENT_FINALISE, user=user, obj=run, detail={**detail, "chunks": len(chunks)})
    return run


def _open_runs(kind, year, district):
    return AssessmentRun.objects.filter(kind=kind, year=year, district=district).exclude(
        status=AssessmentRun.Status.FINISHED
    )


def finalisable(*, year: int, include_drafts: bool):
    """The assessments of the year a finalisation turns final: the reviewed ones (and the drafts, if asked), but
    not while their member's service records of the year wait for verification, unless the reviewer noted
    them (reviewed "with records still waiting", a remark saying why). One EXISTS per row, on
    servicerecord_member_idx."""
    has_waiting = Exists(waiting_records(member_id=OuterRef("member_id"), year=year))
    ready = Q(status=Assessment.Status.REVIEWED) & (Q(records_waiting_noted=True) | ~has_waiting)
    if include_drafts:
        ready |= Q(status=Assessment.Status.DRAFT) & ~has_waiting
    return Assessment.objects.filter(ready, year=year)


def run_chunk_process(*, run_id: int, start_pk: int) -> bool:
    """Do one chunk of a run, once: compute its drafts or finalise its assessments, mark it done and count
    it, all in one transaction under the chunk's row lock. The chunk that completes the run marks it
    finished (and, finalising, tells the units' liaisons). Returns False if the chunk was already done."""
    now = timezone.now()
    with transaction.atomic():
        chunk = (
            AssessmentRunChunk.objects.select_for_update(of=("self",))
            .select_related("run")
            .filter(run_id=run_id, start_pk=start_pk)
            .first()
        )
        if chunk is None or chunk.done_at is not None:
            return False
        run = chunk.run
        if run.kind == AssessmentRun.Kind.COMPUTE:
            chunk.rows = computation.assessment_chunk(
                year=run.year, start_pk=chunk.start_pk, end_pk=chunk.end_pk, district_id=run.district_id
            )
        else:
            chunk.rows, chunk.unit_counts = _finalise_chunk(run, chunk, now)
        chunk.done_at = now
        chunk.save(update_fields=["rows", "unit_counts", "done_at"])
        AssessmentRun.objects.filter(pk=run.pk).update(done=F("done") + 1, assessed=F("assessed") + chunk.rows)
        finished = (
            AssessmentRun.objects.filter(pk=run.pk, done__gte=F("total"))
            .exclude(status=AssessmentRun.Status.FINISHED)
            .update(status=AssessmentRun.Status.FINISHED, finished_at=timezone.now(), error="")
        )
        if finished and run.kind == AssessmentRun.Kind.FINALISE:
            _tell_unit_liaisons(run)
    return True


def run_mark_failed(*, run_id: int, error: str):
    """Record why a run stopped; starting the same job again resumes it."""
    AssessmentRun.objects.filter(pk=run_id).exclude(status=AssessmentRun.Status.FINISHED).update(
        status=AssessmentRun.Status.FAILED, error=error[:500]
    )


def _finalise_chunk(run: AssessmentRun, chunk: AssessmentRunChunk, now) -> tuple[int, dict]:
    """Turn the chunk's waiting assessments of the run's scope final and tell each member: a row becomes
    final once, and its message is stored in the same transaction, so nobody is told twice."""
    waiting = finalisable(year=run.year, include_drafts=run.include_drafts).filter(
        member_id__gte=chunk.start_pk, member_id__lt=chunk.end_pk
    )
    if run.district_id is not None:
        waiting = waiting.filter(community__district_id=run.district_id)
    rows = list(
        waiting.select_for_update(of=("self",))
        .order_by("member_id")
        .values_list("pk", "member__user_id", "unit_id", "grade")
    )
    for batch in batched([row[0] for row in rows], computation.WRITE_BATCH):
        Assessment.objects.filter(pk__in=batch).update(status=Assessment.Status.FINAL, finalised_at=now)
    users = get_user_model().objects.only("pk", "email").in_bulk([row[1] for row in rows])
    link = reverse("assessment:my-result")
    labels = dict(Grade.choices)
    for _pk, user_id, _unit_id, grade in rows:
        notify(
            kind="assessment-final",
            title=_("Your annual assessment for %(year)s is final: %(grade)s")
            % {"year": run.year, "grade": labels[grade]},
            link=link,
            user=users[user_id],
        )
    units = Counter(unit_id for _pk, _user_id, unit_id, _grade in rows if unit_id is not None)
    return len(rows), {str(unit_id): count for unit_id, count in units.items()}


def _tell_unit_liaisons(run: AssessmentRun):
    """Once per finalisation: each liaison of a unit with results made final by it, with how many."""
    counts = Counter()
    for unit_counts in run.chunks.values_list("unit_counts", flat=True):
        counts.update({int(unit_id): count for unit_id, count in (unit_counts or {}).items()})
    if not counts:
        return
    liaisons = StaffAssignment.objects.filter(role=Role.UNIT_LIAISON, unit_id__in=list(counts)).select_related(
        "user", "unit"
    )
    for assignment in liaisons.order_by("unit_id", "user_id"):
        notify(
            kind="assessment-final-unit",
            title=_("Annual assessment %(year)s: results of %(unit)s are final")
            % {"year": run.year, "unit": assignment.unit.name},
            body=_("%(count)s members' results are final. Open the page to read them or download them in Excel.")
            % {"count": counts[assignment.unit_id]},
            link=f"{reverse('assessment:unit-results', args=[assignment.unit_id])}?year={run.year}",
            user=assignment.user,
            channels=(Notification.Channel.INBOX, Notification.Channel.EMAIL),
        )
