"""Computing the drafts: a year's figures of a range of members, written as draft assessments.

Who is assessed for a year: every member with a report confirmed (or since ended) that was active at some
point in the year: decided before the year's end, and not ended before its start.

The figures of a year (local time, Asia/Shanghai):
- verified hours, records and points: ServiceRecord.objects.verified_in_year (verified whenever, served on a
  day of the year); points are the points stored on each record when it was verified;
- claims fulfilled / abandoned: claims made in the year whose status is now fulfilled / abandoned
  (a claim made in December and fulfilled in January counts for the year it was made in).
The community is that of the member's last report confirmed by the year's end (the one active at the
year's end, or the last one active); the unit is the member's unit at the time of the run.
The proposed grade is grading.propose_grade.

Refreshing: drafts may be computed again at any time. It refreshes the figures, the community, the unit and
the proposed grade of drafts; the grade of a draft follows the new proposal unless it differs from the old
proposal (someone changed it in the admin), in which case it is kept. Drafts of members no longer assessable
for the year are deleted. Reviewed and final assessments are never touched: their rows are locked and skipped
in the same transaction as the write.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from communities.iterables import batched
from communities.models import Community
from registration.models import Member, Report
from services.models import Claim, ServiceRecord

from .grading import YearBounds, propose_grade
from .models import Assessment

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
    records = ServiceRecord.objects.verified_in_year(year)
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
            year_hours=Subquery(records.hours_of_outer_member()),
            year_records=Subquery(records.of_outer_member().annotate(total=Count("pk")).values("total")),
            year_points=Subquery(records.of_outer_member().annotate(total=Sum("points")).values("total")),
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
