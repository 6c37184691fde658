"""The council in the admin: the organisation department reads its scope; what happens in a council (topics,
meetings, decisions, progress) changes through the council's pages and services, which keep the state tables, the
messages and the audit trail, so only a superuser writes here. The system administrator keeps the property
companies (organisations, serving several communities). Progress photos are not listed: they are served only by
the council's photo view, which checks scope."""

from django.contrib import admin

from communities.admin import ScopedModelAdmin
from communities.admin_roles import RoleAdminMixin
from communities.models import StaffAssignment
from communities.text import text_form_class

from .models import (
    AgendaItem,
    Attendance,
    Council,
    CouncilMember,
    Meeting,
    PropertyCompany,
    Resolution,
    ResolutionUpdate,
    Topic,
)

Role = StaffAssignment.Role


class TextRuleInline(admin.TabularInline):
    """An inline whose free-text columns take the one rule for typed text (communities.text), as every admin form."""

    extra = 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        form_class = text_form_class(db_field)
        if form_class is not None:
            kwargs.setdefault("form_class", form_class)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = frozenset({Role.ORG_DEPARTMENT, Role.SYSTEM_ADMIN})
    change_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["name", "contact", "created_at"]
    list_select_related = ["contact"]
    search_fields = ["name"]
    autocomplete_fields = ["contact"]


class CouncilMemberInline(TextRuleInline):
    model = CouncilMember
    fields = ["party", "user", "is_active"]
    autocomplete_fields = ["user"]


@admin.register(Council)
class CouncilAdmin(ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["community", "property_company", "created_at"]
    list_select_related = ["community", "property_company"]
    autocomplete_fields = ["community", "property_company"]
    inlines = [CouncilMemberInline]


@admin.register(Topic)
class TopicAdmin(ScopedModelAdmin):
    scope_community_path = "council__community"
    list_display = ["title", "council", "source", "status", "created_at"]
    list_filter = ["status", "source"]
    list_select_related = ["council"]
    raw_id_fields = ["council", "raised_by", "resident_request"]
    search_fields = ["title"]


class AgendaItemInline(TextRuleInline):
    model = AgendaItem
    fields = ["topic", "outcome", "deferred_reason", "decided_at"]
    raw_id_fields = ["topic"]


class AttendanceInline(TextRuleInline):
    model = Attendance
    fields = ["member", "party"]
    raw_id_fields = ["member"]


@admin.register(Meeting)
class MeetingAdmin(ScopedModelAdmin):
    scope_community_path = "council__community"
    list_display = ["starts_at", "council", "place", "status"]
    list_filter = ["status"]
    list_select_related = ["council"]
    raw_id_fields = ["council", "announced_by"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline, AttendanceInline]


class ResolutionUpdateInline(TextRuleInline):
    model = ResolutionUpdate
    fields = ["created_at", "status", "percent", "note", "by"]
    raw_id_fields = ["by"]


@admin.register(Resolution)
class ResolutionAdmin(ScopedModelAdmin):
    scope_community_path = "council__community"
    list_display = ["topic", "council", "executor_company", "due_on", "status", "percent"]
    list_filter = ["status"]
    list_select_related = ["topic", "council", "executor_company"]
    raw_id_fields = ["item", "council", "topic", "executor_company", "executor_user"]
    inlines = [ResolutionUpdateInline]
