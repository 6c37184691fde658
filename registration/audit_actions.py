"""The registration side's audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    REPORT_CONFIRM = register("report_confirm", _("report confirmed"))
    REPORT_REJECT = register("report_reject", _("report rejected"))
    REPORT_CONFIRM_UNDO = register("report_confirm_undo", _("report confirmation undone"))
    MEMBER_WITHDRAW = register("member_withdraw", _("member withdrew consent"))
    PASSWORD_RESET = register("password_reset", _("password reset with an SMS code"))
    PHONE_CHANGE = register("member_phone_change", _("member changed their phone"))
    PUBLIC_LISTING_CONSENT = register("public_listing_consent", _("consented to the public board"))
    PUBLIC_LISTING_WITHDRAW = register("public_listing_withdraw", _("withdrew from the public board"))
