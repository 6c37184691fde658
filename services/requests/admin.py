"""The organisation department reads the requests of its district here; they change only through the pages. The
phone is shown masked: only the handler sees it in full, on the request's page."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from communities.admin import ReadOnlyAdminMixin, ScopedModelAdmin

from . import handler_kinds
from .models import BuildingHead, BuildingVisit, RequestEvent, ResidentRequest


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    fields = ["occurred_at", "state", "note", "actor"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ResidentRequest)
class ResidentRequestAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["pk", "category", "community", "building", "state", "received_at", "resolution_due_at",
                    "satisfaction"]
    list_filter = ["state", "category", "channel"]
    list_select_related = ["community", "building"]
    date_hierarchy = "received_at"
    exclude = ["phone", "token", "handler_kind", "handler_body_id"]
    readonly_fields = ["masked_phone", "handling_body"]
    inlines = [RequestEventInline]

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.phone_masked

    @admin.display(description=_("handling body"))
    def handling_body(self, obj):
        """The team's or the company's name, when a body handles it."""
        return handler_kinds.attach_names([obj])[0].handler_body_name or "—"


@admin.register(BuildingHead)
class BuildingHeadAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "building__grid__community"
    list_display = ["building", "member", "assigned_at"]
    list_select_related = ["building", "member"]


@admin.register(BuildingVisit)
class BuildingVisitAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "building__grid__community"
    list_display = ["building", "household", "visited_on", "problem_found"]
    list_select_related = ["building"]
