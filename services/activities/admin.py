"""The organisation department reads activities here (its district's); they change only through the pages and
their services, which keep the places, the waiting list and the credited hours in step. A resident's feedback
shows no number: only its keyed hash is stored, and that is not shown either."""

from django.contrib import admin

from communities.admin import ReadOnlyAdminMixin, ScopedModelAdmin
from communities.admin_filters import place_filters

from .models import Activity, ActivitySeries, CheckIn, Feedback, ServiceConfirmation, SignUp


class SignUpInline(admin.TabularInline):
    model = SignUp
    extra = 0
    fields = ["member", "status", "position", "present_seconds", "record"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["title", "community", "post_type", "starts_at", "places", "signed_up_count", "status"]
    list_filter = ["status", "post_type", *place_filters("community")]
    search_fields = ["title"]
    list_select_related = ["community"]
    date_hierarchy = "starts_at"
    inlines = [SignUpInline]


@admin.register(ActivitySeries)
class ActivitySeriesAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["pk", "community", "frequency", "occurrences", "created_at"]
    list_select_related = ["community"]


@admin.register(SignUp)
class SignUpAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "activity__community"
    scope_unit_path = "member__unit"
    list_display = ["activity", "member", "status", "position", "created_at", "present_seconds"]
    list_filter = ["status"]
    search_fields = ["activity__title", "member__name"]
    list_select_related = ["activity", "member"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "activity__community"
    list_display = ["activity", "member", "kind", "method", "at", "reason", "recorded_by"]
    list_filter = ["kind", "method"]
    list_select_related = ["activity", "member", "recorded_by"]
    date_hierarchy = "at"


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "activity__community"
    list_display = ["activity", "author", "member", "rating", "comment", "created_at"]
    list_filter = ["author", "rating"]
    list_select_related = ["activity", "member"]
    exclude = ["resident_key"]


@admin.register(ServiceConfirmation)
class ServiceConfirmationAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "record__community"
    list_display = ["record", "created_at", "expires_at", "confirmed_at", "method", "confirmed_by"]
    list_filter = ["method"]
    list_select_related = ["record", "confirmed_by"]
    # The code lets anyone confirm the service: not shown here.
    exclude = ["code"]
