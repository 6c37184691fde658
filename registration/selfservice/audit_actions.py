"""The self-service sub-domain's audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    PROFILE_CHANGE = register("profile_change", _("member changed own data"))
    REPORT_RESUBMIT = register("report_resubmit", _("returned report corrected and sent again"))
    ROSTER_PHONE_VIEW = register("roster_phone_view", _("roster phone number viewed in full"))
    ROSTER_REMIND = register("roster_remind", _("unregistered roster members reminded"))
    ROSTER_ADD_MEMBER = register("roster_add_member", _("registered member added to the roster"))
    # The name and label the action had before it was removed (issue 14), so that old events keep their label.
    ROSTER_REMOVE = register("roster_remove", _("roster entry removed"))
