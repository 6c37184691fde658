from django.contrib import admin
from django.contrib.admin import actions as admin_actions
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .audit import Action, audit, ref
from .models import (
    AuditEvent,
    Community,
    District,
    ExportRecord,
    Notification,
    Pairing,
    ReminderSent,
    StaffAssignment,
    Street,
    Unit,
)

admin.site.site_header = _("Party members serving the community: administration")
admin.site.site_title = _("Administration")
admin.site.index_title = _("Organisation department")


@admin.action(permissions=["delete"], description=admin_actions.delete_selected.short_description)
def delete_selected(modeladmin, request, queryset):
    """Django's own "delete selected", with each deletion in the audit trail: Django logs the deletion of several
    objects with bulk_create, which sends no post_save (one object goes through LogEntry.save, audited there)."""
    confirmed = bool(request.POST.get("post"))
    chosen = list(queryset.values_list("pk", flat=True)) if confirmed else []
    response = admin_actions.delete_selected(modeladmin, request, queryset)
    if len(chosen) > 1:
        model = queryset.model
        remaining = set(model._base_manager.filter(pk__in=chosen).values_list("pk", flat=True))
        for pk in chosen:
            if pk not in remaining:
                audit(action=Action.ADMIN_DELETE, request=request, obj=ref(model, pk))
    return response


admin.site.add_action(delete_selected)  # under Django's name: it replaces the original on every admin page


class ScopedModelAdmin(admin.ModelAdmin):
    """Admin whose rows, dropdowns and autocompletes are filtered by the user's scope.

    Subclasses name the path from their model to a Community and/or a Unit; a row is visible when
    either is in the user's scope. The organisation department reads; only superusers write, until
    the write paths of later issues define who may change what.
    """

    scope_community_path: str | None = None
    scope_unit_path: str | None = None
    show_full_result_count = False

    def scope_queryset(self, request, queryset):
        scope = StaffAssignment.objects.scope_for(request.user)
        if scope.sees_everything:
            return queryset
        condition = Q(pk__in=[])
        if self.scope_community_path:
            condition |= Q(**{f"{self.scope_community_path}__in": Community.objects.visible_to(request.user)})
        if self.scope_unit_path:
            condition |= Q(**{f"{self.scope_unit_path}__in": Unit.objects.visible_to(request.user)})
        return queryset.filter(condition)

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def _is_org_department(self, request):
        scope = StaffAssignment.objects.scope_for(request.user)
        return request.user.is_active and request.user.is_staff and StaffAssignment.Role.ORG_DEPARTMENT in scope.roles

    def has_module_permission(self, request):
        return request.user.is_superuser or self._is_org_department(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or self._is_org_department(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Community:
            kwargs["queryset"] = Community.objects.visible_to(request.user)
        elif db_field.related_model is Unit:
            kwargs["queryset"] = Unit.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    """Rows that are records (exports, messages, audit) or that change only through the services:
    the admin shows them and nobody adds, edits or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(District)
class DistrictAdmin(ScopedModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["name", "code"]

    def scope_queryset(self, request, queryset):
        if StaffAssignment.objects.scope_for(request.user).sees_everything:
            return queryset
        return queryset.filter(pk__in=Community.objects.visible_to(request.user).values("district_id"))


@admin.register(Street)
class StreetAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]
    search_fields = ["name", "code"]
    list_select_related = ["district"]
    autocomplete_fields = ["district"]

    def scope_queryset(self, request, queryset):
        if StaffAssignment.objects.scope_for(request.user).sees_everything:
            return queryset
        return queryset.filter(pk__in=Community.objects.visible_to(request.user).values("street_id"))


@admin.register(Community)
class CommunityAdmin(ScopedModelAdmin):
    scope_community_path = "pk"
    list_display = ["code", "name", "street", "district"]
    list_filter = ["district"]
    search_fields = ["name", "=code"]
    list_select_related = ["street", "district"]
    autocomplete_fields = ["street"]


@admin.register(Unit)
class UnitAdmin(ScopedModelAdmin):
    scope_unit_path = "pk"
    list_display = ["code", "name", "party_organisation", "kind", "district"]
    list_filter = ["kind", "district"]
    search_fields = ["name", "party_organisation", "=code"]
    list_select_related = ["district"]
    autocomplete_fields = ["district"]


@admin.register(Pairing)
class PairingAdmin(ScopedModelAdmin):
    scope_community_path = "community"
    scope_unit_path = "unit"
    list_display = ["unit", "community", "started_year"]
    list_filter = ["started_year", "community__district"]
    search_fields = ["unit__name", "community__name"]
    list_select_related = ["unit", "community"]
    autocomplete_fields = ["unit", "community"]


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(admin.ModelAdmin):
    """Roles are granted by administrators only (Django permissions), never by scoped staff."""

    list_display = ["user", "role", "district", "street", "community", "unit", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user", "district", "street", "community", "unit"]
    autocomplete_fields = ["user", "district", "street", "community", "unit"]


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The record of exports is evidence: nobody edits or deletes it here."""

    list_display = ["created_at", "user", "kind", "row_count", "full_values"]
    list_filter = ["kind", "full_values"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]
    show_full_result_count = False



@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Messages are records of what was sent: read here, never edited."""

    list_display = ["created_at", "channel", "kind", "title", "user", "status", "sent_at"]
    list_filter = ["channel", "status", "kind"]
    search_fields = ["title", "user__username"]
    list_select_related = ["user"]
    show_full_result_count = False



@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "period", "recipient"]
    list_filter = ["kind", "period"]
    show_full_result_count = False



@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail, read by superusers and audit administrators (staff accounts with the "audit" role); nobody
    adds, changes or deletes an event here (and on PostgreSQL a trigger refuses it anyway)."""

    list_display = ["occurred_at", "username", "role", "ip", "action", "object_label", "outcome"]
    list_filter = ["action", "outcome", "occurred_at"]
    # Exact match on the account's current username finds a member's events under their masked snapshot.
    search_fields = ["username", "=user__username", "ip"]
    fields = [
        "occurred_at",
        "account",
        "username",
        "role",
        "ip",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "outcome",
        "detail",
    ]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("user"))
    def account(self, event):
        # The account's id, not its name: a member's name is personal data the trail does not need to show.
        return f"#{event.user_id}" if event.user_id else "-"

    @staticmethod
    def _may_read(request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user.is_superuser or StaffAssignment.Role.AUDIT in StaffAssignment.objects.scope_for(user).roles

    def has_module_permission(self, request):
        return self._may_read(request)

    def has_view_permission(self, request, obj=None):
        return self._may_read(request)

