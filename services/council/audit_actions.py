"""The council's audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    COUNCIL_CREATE = register("council_create", _("council set up"))
    COUNCIL_MEMBER_ADD = register("council_member_add", _("council member added"))
    COUNCIL_MEMBER_REMOVE = register("council_member_remove", _("council member removed"))
    COUNCIL_COMPANY_SET = register("council_company_set", _("council's property company set"))
    PROPERTY_COMPANY_CREATE = register("property_company_create", _("property company created"))
    TOPIC_RAISE = register("council_topic_raise", _("council topic raised"))
    TOPIC_WITHDRAW = register("council_topic_withdraw", _("council topic withdrawn"))
    MEETING_ANNOUNCE = register("council_meeting_announce", _("council meeting announced"))
    MEETING_CANCEL = register("council_meeting_cancel", _("council meeting cancelled"))
    MEETING_HOLD = register("council_meeting_hold", _("council meeting held"))
    ITEM_DECIDE = register("council_item_decide", _("council topic decided"))
    RESOLUTION_PROGRESS = register("council_resolution_progress", _("council resolution progress reported"))
    RESOLUTION_ACCEPT = register("council_resolution_accept", _("council resolution accepted"))
    RESOLUTION_SEND_BACK = register("council_resolution_send_back", _("council resolution sent back"))
