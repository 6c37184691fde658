"""The teams' audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    TEAM_CREATE = register("team_create", _("service team created"))
    TEAM_UPDATE = register("team_update", _("service team changed"))
    TEAM_CLAIM = register("team_claim", _("a team claimed a need"))
    TEAM_SIGN_UP = register("team_sign_up", _("a team signed up for an activity"))
