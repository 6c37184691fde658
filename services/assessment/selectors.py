"""Reads of the annual assessment: what every page shows. Selectors return querysets (or rows) with what the
template loops over prepared up front."""

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from communities.models import Community, District, Unit
from registration.models import Member
from registration.rates import selectors as rates
from services.models import ServiceRecord

from .models import Assessment, AssessmentRun, Grade


def waiting_records(*, member_id, year: int):
    """The member's service records of the year still waiting for verification (member_id may be an OuterRef):
    they may yet change the year's figures, so a review shows them and a grade waits for them."""
    return ServiceRecord.objects.waiting_in_year(year).filter(member_id=member_id)


def staff_assessment_list(*, user, year: int, status: str = "", grade: str = ""):
    """Assessments of the year in the communities the user sees, by community and name, each with its member's
    records of the year still waiting for verification (`waiting_count`, `waiting_hours`: subqueries of the
    same query, over servicerecord_member_idx)."""
    assessments = Assessment.objects.filter(year=year, community__in=Community.objects.visible_to(user))
    if status:
        assessments = assessments.filter(status=status)
    if grade:
        assessments = assessments.filter(grade=grade)
    waiting = waiting_records(member_id=OuterRef("member_id"), year=year).order_by().values("member")
    return (
        assessments.select_related("member", "unit", "community")
        .annotate(
            waiting_count=Coalesce(Subquery(waiting.annotate(total=Count("pk")).values("total")), 0),
            waiting_hours=Subquery(waiting.annotate(total=Sum("hours")).values("total")),
        )
        .order_by("community__code", "member__name", "pk")
    )


def staff_assessment_get(*, user, assessment_id: int) -> Assessment:
    """An assessment of a community the user sees; 404 otherwise."""
    assessments = Assessment.objects.filter(community__in=Community.objects.visible_to(user))
    return get_object_or_404(assessments.select_related("member", "unit", "community", "reviewed_by"), pk=assessment_id)


def waiting_record_list(*, assessment: Assessment) -> list:
    """The member's records of the assessment's year still waiting for verification, oldest service first, with
    their community: what the review shows beside the verified figures."""
    records = waiting_records(member_id=assessment.member_id, year=assessment.year)
    return list(records.select_related("community", "claim__need").order_by("served_on", "pk"))


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
