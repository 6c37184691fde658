"""The ledger in the admin, read-only and scoped (the organisation department reads its district's books): rows
change only through the services, transfers never at all. Balances are on the staff and member pages."""

from django.contrib import admin

from communities.admin import ReadOnlyAdminMixin, ScopedModelAdmin

from .models import FundPayment, Goods, Redemption, ServiceRequest, StockMove, Transfer


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["pk", "kind", "value", "tenths", "from_account", "to_account", "community", "created_at"]
    list_filter = ["kind", "value"]
    list_select_related = ["from_account", "to_account", "community"]
    raw_id_fields = ["from_account", "to_account", "community", "reverses", "created_by"]


@admin.register(Goods)
class GoodsAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["name", "community", "price", "stock", "is_active"]
    list_select_related = ["community"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["pk", "community", "goods", "quantity", "tenths", "status", "created_at"]
    list_select_related = ["community", "goods"]
    list_filter = ["status"]
    raw_id_fields = ["member", "goods", "community", "created_by"]


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "goods__community"
    list_display = ["pk", "goods", "kind", "quantity", "donor", "created_at"]
    list_select_related = ["goods"]
    raw_id_fields = ["goods", "donor_unit", "redemption", "created_by"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["pk", "community", "title", "tenths", "status"]
    list_select_related = ["community"]
    raw_id_fields = ["member", "family", "community", "need", "decided_by"]


@admin.register(FundPayment)
class FundPaymentAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["pk", "community", "beneficiary", "tenths", "status"]
    list_select_related = ["community"]
    raw_id_fields = ["community", "requested_by", "decided_by"]
