"""The export approvals' audit actions (communities.platform.audit_actions). The download itself is also recorded
as "export_full" by communities.exports, which raises the security administrators' alert."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    EXPORT_REQUEST = register("export_request", _("full export requested"))
    EXPORT_APPROVE = register("export_approve", _("full export approved"))
    EXPORT_REFUSE = register("export_refuse", _("full export refused"))
    EXPORT_REQUEST_USE = register("export_request_use", _("approved full export downloaded"))
