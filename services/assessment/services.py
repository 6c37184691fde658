"""Writes of the annual assessment by community staff: the review of one assessment, and accepting every
untouched proposal of a community at once. (Computing and finalising are jobs: services.assessment.runs.)"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit, audit_attempt, ref
from communities.models import Community
from communities.platform import policies

from .audit_actions import Action
from .models import Assessment, Grade

REMARK_MAX_LENGTH = Assessment._meta.get_field("remark").max_length


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
