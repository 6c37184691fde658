"""The registration side's audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    REPORT_CONFIRM = register("report_confirm", _("report confirmed"))
    REPORT_REJECT = register("report_reject", _("report rejected"))
    MEMBER_WITHDRAW = register("member_withdraw", _("member withdrew consent"))
    PUBLIC_LISTING_CONSENT = register("public_listing_consent", _("consented to the public board"))
    PUBLIC_LISTING_WITHDRAW = register("public_listing_withdraw", _("withdrew from the public board"))
