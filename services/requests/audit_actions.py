"""The residents' requests' audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    REQUEST_RECORD = register("resident_request_record", _("resident's request recorded"))
    REQUEST_CHANGE = register("resident_request_change", _("resident's request changed"))
    REQUEST_REOPEN = register("resident_request_reopen", _("resident's request reopened"))
    REQUEST_TO_NEED = register("resident_request_to_need", _("resident's request posted as a need"))
    REQUEST_RATE = register("resident_request_rate", _("resident's request rated"))
    BUILDING_HEAD_ASSIGN = register("building_head_assign", _("building head assigned"))
    BUILDING_HEAD_REMOVE = register("building_head_remove", _("building head removed"))
    BUILDING_VISIT_RECORD = register("building_visit_record", _("building visit recorded"))
