"""The annual assessment (年度考核): compute draft figures and a proposed grade for every member who served
in a year, let community staff review them, and let the organisation department finalise a district or
the city, telling members and unit liaisons.

Who is assessed for a year: every member with a report confirmed (or since ended) that was active at some
point in the year: decided before the year's end, and not ended before its start.

The figures of a year (local time, Asia/Shanghai):
- verified hours, records and points: service records verified (whatever the date of verification) and
  served on a day of the year; points are the points stored on each record when it was verified;
- claims fulfilled / abandoned: claims made in the year whose status is now fulfilled / abandoned
  (a claim made in December and fulfilled in January counts for the year it was made in).
The community is that of the member's last report confirmed by the year's end (the one active at the
year's end, or the last one active); the unit is the member's unit at the time of the run.

The proposed grade is `propose_grade`, by the thresholds of settings.ASSESSMENT_* (see the settings).

Refreshing: a run writes draft assessments and may be run again at any time. It refreshes the figures,
the community, the unit and the proposed grade of drafts; the grade of a draft follows the new proposal
unless it differs from the old proposal (someone changed it in the admin), in which case it is kept.
Drafts of members no longer assessable for the year are deleted. Reviewed and final assessments are
never touched: their rows are locked and skipped in the same transaction as the write.

Jobs work in chunks of members by primary-key range (settings.ASSESSMENT_CHUNK_SIZE), each chunk one
transaction that also records the chunk as done: a chunk run twice, or two workers on the same chunk, make
no duplicate assessment (unique member + year, upsert) and no duplicate message (a row turns final once,
and its message is stored in the same transaction).
"""

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit, audit_attempt, ref
from communities.iterables import batched
from communities.models import Community, District, Notification, StaffAssignment, Unit
from communities.notifications import notify
from communities.platform import policies
from registration.models import Member, Report
from registration.rates import selectors as rates

from .audit_actions import Action
from .models import Assessment, AssessmentRun, AssessmentRunChunk, Claim, Grade, ServiceRecord

Role = StaffAssignment.Role
FIRST_YEAR = 2000
COUNTED_REPORTS = (Report.Status.CONFIRMED, Report.Status.ENDED)
# What a refresh rewrites on a draft; status, remark and the review fields are never among them.
REFRESHED_FIELDS = [
    "community",
    "unit",
    "verified_hours",
    "records_count",
    "claims_fulfilled",
    "claims_abandoned",
    "points",
    "proposed_grade",
    "grade",
    "computed_at",
]
WRITE_BATCH = 2000


REMARK_MAX_LENGTH = Assessment._meta.get_field("remark").max_length


# --- The rule ------------------------------------------------------------------------------------------


def _decimal_setting(name: str) -> Decimal:
    return Decimal(str(getattr(settings, name)))


def propose_grade(*, hours: Decimal, points: Decimal, records: int, abandoned: int) -> str:
    """The grade the figures earn: the first of excellent, qualified, basically qualified that they reach,
    otherwise unqualified. Thresholds are settings (ASSESSMENT_*, SERVICE_MINIMUM_YEARLY_HOURS)."""
    if (
        hours >= _decimal_setting("ASSESSMENT_EXCELLENT_MIN_HOURS")
        and points >= _decimal_setting("ASSESSMENT_EXCELLENT_MIN_POINTS")
        and abandoned <= settings.ASSESSMENT_EXCELLENT_MAX_ABANDONED
    ):
        return Grade.EXCELLENT
    if hours >= _decimal_setting("SERVICE_MINIMUM_YEARLY_HOURS"):
        return Grade.QUALIFIED
    if records >= settings.ASSESSMENT_BASIC_MIN_RECORDS:
        return Grade.BASICALLY_QUALIFIED
    return Grade.UNQUALIFIED


@dataclass(frozen=True)
class YearBounds:
    start: datetime.datetime  # first instant of the year, local time
    end: datetime.datetime  # first instant of the next year (excluded)
    first_day: datetime.date
    last_day: datetime.date

    @classmethod
    def of(cls, year: int) -> "YearBounds":
        return cls(
            start=timezone.make_aware(datetime.datetime(year, 1, 1)),
            end=timezone.make_aware(datetime.datetime(year + 1, 1, 1)),
            first_day=datetime.date(year, 1, 1),
            last_day=datetime.date(year, 12, 31),
        )


def check_year(year: int):
    """A year that can be assessed: from FIRST_YEAR to the current one. Raises ValidationError."""
    if not isinstance(year, int) or not FIRST_YEAR <= year <= timezone.localdate().year:
        raise ValidationError(_("Choose a year from %(first)s to this year.") % {"first": FIRST_YEAR})


def _year_reports(year: int, member=None):
    """Reports active at some point in the year (confirmed or ended; decided before the year's end and not
    ended before its start), of the member of the outer query (or the one given)."""
    bounds = YearBounds.of(year)
    return Report.objects.filter(
        member=OuterRef("pk") if member is None else member, status__in=COUNTED_REPORTS, decided_at__lt=bounds.end
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=bounds.start))


def member_figures(*, year: int, start_pk: int, end_pk: int, district_id: int | None = None):
    """The assessable members with primary key in [start_pk, end_pk) and their figures for the year: one
    query, set-based (correlated subqueries on indexed member columns). With a district, only members with
    a report there that year (the caller keeps those whose year's community is in it)."""
    bounds = YearBounds.of(year)
    reports = _year_reports(year)
    in_scope = reports if district_id is None else reports.filter(community__district_id=district_id)
    records = (
        ServiceRecord.objects.filter(
            member=OuterRef("pk"),
            status=ServiceRecord.Status.VERIFIED,
            served_on__gte=bounds.first_day,
            served_on__lte=bounds.last_day,
        )
        .order_by()
        .values("member")
    )
    claims = (
        Claim.objects.filter(member=OuterRef("pk"), created_at__gte=bounds.start, created_at__lt=bounds.end)
        .order_by()
        .values("member")
    )
    return (
        Member.objects.filter(pk__gte=start_pk, pk__lt=end_pk)
        .filter(Exists(in_scope))
        .annotate(
            year_community=Subquery(reports.order_by("-decided_at", "-pk").values("community_id")[:1]),
            year_hours=Subquery(records.annotate(total=Sum("hours")).values("total")),
            year_records=Subquery(records.annotate(total=Count("pk")).values("total")),
            year_points=Subquery(records.annotate(total=Sum("points")).values("total")),
            year_fulfilled=Subquery(
                claims.filter(status=Claim.Status.FULFILLED).annotate(total=Count("pk")).values("total")
            ),
            year_abandoned=Subquery(
                claims.filter(status=Claim.Status.ABANDONED).annotate(total=Count("pk")).values("total")
            ),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "unit_id",
            "year_community",
            "year_hours",
            "year_records",
            "year_points",
            "year_fulfilled",
            "year_abandoned",
        )
    )


# --- Computing drafts -------------------------------------------------------------------------------------


def assessment_chunk(*, year: int, start_pk: int, end_pk: int, district_id: int | None = None) -> int:
    """Write or refresh the draft assessments of the members with primary key in [start_pk, end_pk).

    One transaction: the chunk's existing assessments of the year are locked first, so a review made
    meanwhile waits and is never overwritten; reviewed and final ones are left out of the upsert.
    Idempotent. Returns the number of drafts written. Rows are locked in member order everywhere (here,
    finalising, accepting proposals) so that jobs and staff do not deadlock one another.
    """
    now = timezone.now()
    zero = Decimal("0")
    with transaction.atomic():
        existing = {
            member_id: (status, grade, proposed)
            for member_id, status, grade, proposed in Assessment.objects.select_for_update()
            .filter(year=year, member_id__gte=start_pk, member_id__lt=end_pk)
            .order_by("member_id")
            .values_list("member_id", "status", "grade", "proposed_grade")
        }
        communities = None
        if district_id is not None:
            communities = set(Community.objects.filter(district_id=district_id).values_list("pk", flat=True))
        drafts = []
        rows = member_figures(year=year, start_pk=start_pk, end_pk=end_pk, district_id=district_id)
        for member_id, unit_id, community_id, hours, records, points, fulfilled, abandoned in rows:
            if communities is not None and community_id not in communities:
                continue  # served in the district that year, but ended the year elsewhere
            old = existing.get(member_id)
            if old is not None and old[0] != Assessment.Status.DRAFT:
                continue
            hours, points, records, abandoned = hours or zero, points or zero, records or 0, abandoned or 0
            proposed = propose_grade(hours=hours, points=points, records=records, abandoned=abandoned)
            # The grade follows the proposal unless someone set it apart from the old one.
            grade = proposed if old is None or old[1] == old[2] else old[1]
            drafts.append(
                Assessment(
                    member_id=member_id,
                    year=year,
                    community_id=community_id,
                    unit_id=unit_id,
                    verified_hours=hours,
                    records_count=records,
                    claims_fulfilled=fulfilled or 0,
                    claims_abandoned=abandoned,
                    points=points,
                    proposed_grade=proposed,
                    grade=grade,
                    status=Assessment.Status.DRAFT,
                    computed_at=now,
                )
            )
        for batch in batched(drafts, WRITE_BATCH):
            Assessment.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["member", "year"],
                update_fields=REFRESHED_FIELDS,
            )
        _delete_stale_drafts(year=year, start_pk=start_pk, end_pk=end_pk, district_id=district_id)
    return len(drafts)


def _delete_stale_drafts(*, year: int, start_pk: int, end_pk: int, district_id: int | None):
    """Drafts of members of the range no longer assessable for the year (a report was removed)."""
    reports = _year_reports(year, member=OuterRef("member_id"))
    stale = Assessment.objects.filter(
        year=year, status=Assessment.Status.DRAFT, member_id__gte=start_pk, member_id__lt=end_pk
    ).filter(~Exists(reports))
    if district_id is not None:
        stale = stale.filter(community__district_id=district_id)
    stale.delete()


def member_ranges(*, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """[start, end) primary-key ranges covering every member, chunk_size keys each."""
    chunk_size = chunk_size or settings.ASSESSMENT_CHUNK_SIZE
    first = Member.objects.order_by("pk").values_list("pk", flat=True).first()
    last = Member.objects.order_by("-pk").values_list("pk", flat=True).first()
    if first is None:
        return []
    return [(start, min(start + chunk_size, last + 1)) for start in range(first, last + 1, chunk_size)]


def assessment_run(year: int, *, district: District | None = None, chunk_size: int | None = None) -> int:
    """Compute the drafts of a year for the city (or one district) here and now, chunk after chunk, with
    no progress row and no task. The job (`assessment_run_start`) does the same through Celery. Returns
    the number of drafts written, and records it in the audit trail (no user: a command or a test runs it).
    Raises ValidationError for a year that cannot be assessed."""
    check_year(year)
    district_id = district.pk if district else None
    drafts = sum(
        assessment_chunk(year=year, start_pk=start, end_pk=end, district_id=district_id)
        for start, end in member_ranges(chunk_size=chunk_size)
    )
    audit(action=Action.ASSESSMENT_RUN, detail={"year": year, "district_id": district_id, "drafts": drafts})
    return drafts


# --- Runs: progress, chunks, resuming -------------------------------------------------------------------


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
    from .tasks.assessment import assessment_chunk_task  # the tasks import this module

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
    statuses = _finalisable(include_drafts)
    waiting = Assessment.objects.filter(year=year, status__in=statuses)
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


def _finalisable(include_drafts: bool) -> list[str]:
    statuses = [Assessment.Status.REVIEWED]
    return [*statuses, Assessment.Status.DRAFT] if include_drafts else statuses


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
            chunk.rows = assessment_chunk(
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
    waiting = Assessment.objects.filter(
        year=run.year,
        status__in=_finalisable(run.include_drafts),
        member_id__gte=chunk.start_pk,
        member_id__lt=chunk.end_pk,
    )
    if run.district_id is not None:
        waiting = waiting.filter(community__district_id=run.district_id)
    rows = list(
        waiting.select_for_update(of=("self",))
        .order_by("member_id")
        .values_list("pk", "member__user_id", "unit_id", "grade")
    )
    for batch in batched([row[0] for row in rows], WRITE_BATCH):
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


# --- Review by community staff ------------------------------------------------------------------------------


def assessment_review(*, user, assessment_id: int, grade: str, remark: str = "") -> Assessment:
    """Community staff set the grade of one of their community's assessments and mark it reviewed; a grade
    other than the proposed one needs a remark. A reviewed assessment may be reviewed again until it is
    final. Raises Assessment.DoesNotExist, PermissionDenied (not the community's staff), ValidationError.
    Audited (refused and failed attempts too; the remark is not copied to the trail)."""
    remark = (remark or "").strip()
    action = Action.ASSESSMENT_REVIEW
    with audit_attempt(action=action, user=user, obj=ref(Assessment, assessment_id)), transaction.atomic():
        assessment = (
            Assessment.objects.select_for_update(of=("self",)).select_related("community").get(pk=assessment_id)
        )
        community = assessment.community
        if community is None or not policies.allowed("communities.manage_community", user, community):
            raise PermissionDenied
        if assessment.status == Assessment.Status.FINAL:
            raise ValidationError(_("This assessment is final and can no longer be changed."))
        errors = {}
        if grade not in Grade.values:
            errors["grade"] = _("Choose a grade.")
        elif grade != assessment.proposed_grade and not remark:
            errors["remark"] = _("Give a remark: the grade differs from the proposed grade.")
        if len(remark) > REMARK_MAX_LENGTH:
            errors["remark"] = _("At most %(count)s characters.") % {"count": REMARK_MAX_LENGTH}
        if errors:
            raise ValidationError(errors)
        assessment.grade = grade
        assessment.remark = remark
        assessment.status = Assessment.Status.REVIEWED
        assessment.reviewed_by = user
        assessment.reviewed_at = timezone.now()
        assessment.save(update_fields=["grade", "remark", "status", "reviewed_by", "reviewed_at"])
        detail = {"community_id": assessment.community_id, "grade": grade, "proposed": assessment.proposed_grade}
        audit(action=action, user=user, obj=assessment, detail=detail)
    return assessment


def assessment_accept_proposals(*, user, community_id: int, year: int) -> int:
    """Mark reviewed, as proposed, every draft of the year of one community whose grade is the proposed
    one. Returns how many. Raises Community.DoesNotExist, PermissionDenied. Audited (refusals too)."""
    community = Community.objects.get(pk=community_id)
    action = Action.ASSESSMENT_ACCEPT
    with audit_attempt(action=action, user=user, obj=community, detail={"year": year}):
        if not policies.allowed("communities.manage_community", user, community):
            raise PermissionDenied
        with transaction.atomic():
            untouched = Assessment.objects.filter(
                community=community, year=year, status=Assessment.Status.DRAFT, grade=F("proposed_grade")
            )
            ids = list(untouched.select_for_update().order_by("member_id").values_list("pk", flat=True))
            count = Assessment.objects.filter(pk__in=ids).update(
                status=Assessment.Status.REVIEWED, reviewed_by=user, reviewed_at=timezone.now()
            )
            audit(action=action, user=user, obj=community, detail={"year": year, "reviewed": count})
            return count


# --- Reads ------------------------------------------------------------------------------------------------


def staff_assessment_list(*, user, year: int, status: str = "", grade: str = ""):
    """Assessments of the year in the communities the user sees, by community and name."""
    assessments = Assessment.objects.filter(year=year, community__in=Community.objects.visible_to(user))
    if status:
        assessments = assessments.filter(status=status)
    if grade:
        assessments = assessments.filter(grade=grade)
    return assessments.select_related("member", "unit", "community").order_by("community__code", "member__name", "pk")


def staff_assessment_get(*, user, assessment_id: int) -> Assessment:
    """An assessment of a community the user sees; 404 otherwise."""
    assessments = Assessment.objects.filter(community__in=Community.objects.visible_to(user))
    return get_object_or_404(assessments.select_related("member", "unit", "community", "reviewed_by"), pk=assessment_id)


def status_counts(assessments) -> dict:
    """{"draft": n, "reviewed": n, "final": n, "all": n} of a queryset of assessments, one query."""
    counts = assessments.order_by().aggregate(
        all=Count("pk"), **{status: Count("pk", filter=Q(status=status)) for status in Assessment.Status.values}
    )
    return counts


def grade_counts(assessments) -> dict:
    """{grade: n} of a queryset of assessments, one query."""
    return assessments.order_by().aggregate(**{grade: Count("pk", filter=Q(grade=grade)) for grade in Grade.values})


def scope_assessments(*, year: int, district: District | None = None):
    assessments = Assessment.objects.filter(year=year)
    return assessments if district is None else assessments.filter(community__district=district)


def below_line_rows(*, user, year: int, district: District | None = None) -> list:
    """The party organisations (units) of the scope under the reporting line that year: registration.rates
    rows with below_line. A district's scope holds the units it oversees; the city holds every unit."""
    rows = rates.unit_rate_rows(user=user, year=year)
    if district is not None:
        in_district = set(Unit.objects.filter(district=district).values_list("pk", flat=True))
        rows = [row for row in rows if row.pk in in_district]
    return [row for row in rows if row.below_line]


def unit_result_list(*, unit: Unit, year: int):
    """The final results of a unit's members for the year, by name."""
    return (
        Assessment.objects.filter(unit=unit, year=year, status=Assessment.Status.FINAL)
        .select_related("member", "community")
        .order_by("member__name", "pk")
    )


def unit_list_for_results(*, user, year: int):
    """The units the user sees, each with how many final results it has for the year (a subquery per row
    of the page, so a city-wide list is not aggregated as a whole)."""
    final = (
        Assessment.objects.filter(unit=OuterRef("pk"), year=year, status=Assessment.Status.FINAL)
        .order_by()
        .values("unit")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Unit.objects.visible_to(user).annotate(final_count=Coalesce(Subquery(final), 0)).order_by("code")


def member_result_list(*, member: Member):
    """The member's own final results, newest year first; drafts and reviewed ones are not shown yet."""
    return (
        member.assessments.filter(status=Assessment.Status.FINAL).select_related("community", "unit").order_by("-year")
    )


def run_list(*, year: int, district: District | None = None, limit: int = 10):
    return (
        AssessmentRun.objects.filter(year=year, district=district)
        .select_related("started_by")
        .order_by("-started_at", "-pk")[:limit]
    )
