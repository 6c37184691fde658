"""The organisation department reads the pairing ledger of its district here; pledges and deliveries are written
through the ledger's pages (services), so the admin shows them read-only."""

from django.contrib import admin

from communities.admin import ReadOnlyAdminMixin, ScopedModelAdmin

from .models import Delivery, Pledge


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "pairing__community"
    list_display = ["title", "pairing", "year", "kind", "quantity", "quantity_unit", "created_at"]
    list_filter = ["year", "kind"]
    list_select_related = ["pairing"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "pledge__pairing__community"
    list_display = ["pledge", "delivered_on", "quantity", "recorded_at"]
    list_select_related = ["pledge"]
