"""The time bank's audit actions (communities.platform.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from communities.platform.audit_actions import register


class Action:
    TRANSFER_REVERSE = register("ledger_transfer_reverse", _("ledger: transfer reversed"))
    DEPOSIT = register("ledger_deposit", _("ledger: organisation's deposit"))
    FUND_PAYMENT_ASK = register("ledger_fund_payment_ask", _("ledger: fund payment asked"))
    FUND_PAYMENT_DECIDE = register("ledger_fund_payment_decide", _("ledger: fund payment decided"))
    GOODS_DONATION = register("market_goods_donation", _("爱心超市: goods donated"))
    STOCK_COUNT = register("market_stock_count", _("爱心超市: stock counted"))
