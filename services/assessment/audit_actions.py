"""The annual assessment's audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    ASSESSMENT_REVIEW = register("assessment_review", _("assessment reviewed"))
    ASSESSMENT_ACCEPT = register("assessment_accept", _("assessments accepted as proposed"))
    ASSESSMENT_RUN = register("assessment_run", _("assessment drafts computed"))
    ASSESSMENT_FINALISE = register("assessment_finalise", _("assessment finalised"))
