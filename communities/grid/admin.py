"""Grids and buildings are places (kept by the system administrator, read by the organisation department of their
district); a grid worker is a role (granted by the security administrator, as staff assignments are)."""

from django.contrib import admin

from communities.admin import PlaceAdmin
from communities.admin_roles import OthersAccountsOnlyMixin, Role, RoleAdminMixin, holds_role
from communities.models import Community

from .models import Building, Grid, GridWorker


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0
    fields = ["name", "address", "households"]

    def has_add_permission(self, request, obj=None):
        return self.parent_admin_allows(request)

    def has_change_permission(self, request, obj=None):
        return self.parent_admin_allows(request)

    def has_delete_permission(self, request, obj=None):
        return self.parent_admin_allows(request)

    def has_view_permission(self, request, obj=None):
        return True  # shown inside a grid the user may already view

    def parent_admin_allows(self, request):
        return admin.site._registry[Grid].has_change_permission(request)


@admin.register(Grid)
class GridAdmin(PlaceAdmin):
    scope_community_path = "community"
    list_display = ["name", "community"]
    list_select_related = ["community"]
    search_fields = ["name", "community__name"]
    autocomplete_fields = ["community"]
    inlines = [BuildingInline]


@admin.register(Building)
class BuildingAdmin(PlaceAdmin):
    scope_community_path = "grid__community"
    list_display = ["name", "grid", "address", "households"]
    list_select_related = ["grid"]
    search_fields = ["name", "address", "grid__name"]
    autocomplete_fields = ["grid"]


@admin.register(GridWorker)
class GridWorkerAdmin(OthersAccountsOnlyMixin, RoleAdminMixin, admin.ModelAdmin):
    view_roles = frozenset({Role.ORG_DEPARTMENT})
    change_roles = delete_roles = frozenset({Role.SECURITY_ADMIN})
    list_display = ["user", "grid", "created_at"]
    list_select_related = ["user", "grid"]
    search_fields = ["user__username", "user__full_name", "grid__name"]
    autocomplete_fields = ["user", "grid"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if holds_role(request.user, Role.SECURITY_ADMIN):
            return queryset  # roles are granted city-wide
        return queryset.filter(grid__community__in=Community.objects.visible_to(request.user))
