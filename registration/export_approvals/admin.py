"""The export requests in the admin: evidence for the audit administrator, read only (communities.admin_roles)."""

from django.contrib import admin

from communities.admin import ReadOnlyAdminMixin
from communities.admin_roles import Role, RoleAdminMixin

from .models import ExportRequest


@admin.register(ExportRequest)
class ExportRequestAdmin(ReadOnlyAdminMixin, RoleAdminMixin, admin.ModelAdmin):
    view_roles = frozenset({Role.AUDIT})

    list_display = ["requested_at", "requester", "community", "kind", "status", "decided_by", "decided_at", "downloads"]
    list_filter = ["status", "kind"]
    search_fields = ["requester__username", "decided_by__username", "community__name"]
    list_select_related = ["requester", "community", "decided_by"]
    show_full_result_count = False
