"""Writes of the annual assessment by community staff: the review of one assessment, and accepting every
untouched proposal of a community at once. (Computing and finalising are jobs: services.assessment.runs.)

A grade is not set while service records of the year still wait for verification (they may change the figures),
unless the reviewer says so: ticks "records still waiting" and gives a remark."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit, audit_attempt, ref
from communities.models import Community
from communities.platform import policies

from .audit_actions import Action
from .models import Assessment, Grade
from .selectors import waiting_records

REMARK_MAX_LENGTH = Assessment._meta.get_field("remark").max_length


def assessment_review(
    *, user, assessment_id: int, grade: str, remark: str = "", records_waiting: bool = False
) -> Assessment:
    """Community staff set the grade of one of their community's assessments and mark it reviewed; a grade
    other than the proposed one needs a remark. While the member's service records of the year wait for
    verification, the review needs `records_waiting` (the reviewer knows) and a remark; it is then noted on the
    assessment, so that finalising does not hold it back for them. A reviewed assessment may be reviewed again
    until it is final. Raises Assessment.DoesNotExist, PermissionDenied (not the community's staff),
    ValidationError. Audited (refused and failed attempts too; the remark is not copied to the trail)."""
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
        waiting = waiting_records(member_id=assessment.member_id, year=assessment.year).aggregate(
            count=Count("pk"), hours=Sum("hours")
        )
        if waiting["count"] and not records_waiting:
            errors["records_waiting"] = _(
                "%(count)s service records of %(year)s (%(hours)s h) still wait for verification. Verify or "
                "reject them first, or tick this box and say why in the remark."
            ) % {"count": waiting["count"], "year": assessment.year, "hours": waiting["hours"].quantize(Decimal("0.1"))}
        elif waiting["count"] and not remark:
            errors.setdefault("remark", _("Give a remark: service records of the year still wait for verification."))
        if len(remark) > REMARK_MAX_LENGTH:
            errors["remark"] = _("At most %(count)s characters.") % {"count": REMARK_MAX_LENGTH}
        if errors:
            raise ValidationError(errors)
        assessment.grade = grade
        assessment.remark = remark
        assessment.status = Assessment.Status.REVIEWED
        assessment.reviewed_by = user
        assessment.reviewed_at = timezone.now()
        assessment.records_waiting_noted = bool(waiting["count"])
        assessment.save(
            update_fields=["grade", "remark", "status", "reviewed_by", "reviewed_at", "records_waiting_noted"]
        )
        detail = {
            "community_id": assessment.community_id,
            "grade": grade,
            "proposed": assessment.proposed_grade,
            "records_waiting": waiting["count"],
        }
        audit(action=action, user=user, obj=assessment, detail=detail)
    return assessment


@dataclass(frozen=True)
class Accepted:
    reviewed: int  # drafts marked reviewed as proposed
    waiting: int  # untouched drafts left as they are: their member's records of the year wait for verification


def assessment_accept_proposals(*, user, community_id: int, year: int) -> Accepted:
    """Mark reviewed, as proposed, every draft of the year of one community whose grade is the proposed
    one, but those whose member's service records of the year still wait for verification (each needs its own
    review, with a remark). Raises Community.DoesNotExist, PermissionDenied. Audited (refusals too)."""
    community = Community.objects.get(pk=community_id)
    action = Action.ASSESSMENT_ACCEPT
    with audit_attempt(action=action, user=user, obj=community, detail={"year": year}):
        if not policies.allowed("communities.manage_community", user, community):
            raise PermissionDenied
        with transaction.atomic():
            untouched = Assessment.objects.filter(
                community=community, year=year, status=Assessment.Status.DRAFT, grade=F("proposed_grade")
            ).annotate(has_waiting=Exists(waiting_records(member_id=OuterRef("member_id"), year=year)))
            rows = list(
                untouched.select_for_update(of=("self",)).order_by("member_id").values_list("pk", "has_waiting")
            )
            ids = [pk for pk, has_waiting in rows if not has_waiting]
            count = Assessment.objects.filter(pk__in=ids).update(
                status=Assessment.Status.REVIEWED, reviewed_by=user, reviewed_at=timezone.now()
            )
            result = Accepted(reviewed=count, waiting=len(rows) - len(ids))
            detail = {"year": year, "reviewed": result.reviewed, "records_waiting": result.waiting}
            audit(action=action, user=user, obj=community, detail=detail)
            return result
