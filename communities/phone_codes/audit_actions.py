"""The SMS codes' audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    CODE_SEND = register("phone_code_send", _("SMS code sent"))
    CODE_CHECK = register("phone_code_check", _("SMS code checked"))
