"""The activities' audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    ACTIVITY_PUBLISH = register("activity_publish", _("activity published"))
    ACTIVITY_CANCEL = register("activity_cancel", _("activity cancelled"))
    ACTIVITY_CLOSE = register("activity_close", _("activity closed, hours credited"))
    CHECKIN_MANUAL = register("activity_checkin_manual", _("activity: checked in by hand"))
