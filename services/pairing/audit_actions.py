"""The pairing ledger's audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    PLEDGE_RECORD = register("pairing_pledge_record", _("unit's pledge recorded"))
    DELIVERY_RECORD = register("pairing_delivery_record", _("unit's delivery recorded"))
