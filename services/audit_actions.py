"""The service side's audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    RECORD_VERIFY = register("record_verify", _("service record verified"))
    RECORD_REJECT = register("record_reject", _("service record rejected"))
    NEED_PUBLISH_UNDO = register("need_publish_undo", _("need publication undone"))
