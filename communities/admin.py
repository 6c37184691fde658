from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin import actions as admin_actions
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from django_otp.plugins.otp_totp import admin as totp_admin  # noqa: F401  (registers TOTPDevice: undone below)
from django_otp.plugins.otp_totp.models import TOTPDevice

from .admin_roles import OthersAccountsOnlyMixin, Role, RoleAdminMixin, holds_role
from .audit import Action, audit, mask_username, ref
from .forms import AdminLoginForm
from .models import (
    AuditEvent,
    Community,
    District,
    ExportRecord,
    Notification,
    Pairing,
    ReminderSent,
    SecondFactorDevice,
    StaffAssignment,
    Street,
    Unit,
)
from .platform import audit_actions

admin.site.site_header = _("Party members serving the community: administration")
admin.site.site_title = _("Administration")
admin.site.index_title = _("Organisation department")
admin.site.login_form = AdminLoginForm


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


class ScopedModelAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Admin whose rows, dropdowns and autocompletes are filtered by the user's scope.

    Subclasses name the path from their model to a Community and/or a Unit; a row is visible when
    either is in the user's scope. The organisation department reads; the pages and services are where
    staff change things, so only a superuser writes here (places: the system administrator, PlaceAdmin).
    """

    view_roles = frozenset({Role.ORG_DEPARTMENT})

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


class PlaceAdmin(ScopedModelAdmin):
    """Places, units and the shared vocabulary: public names, no personal data. The system administrator keeps
    them (all of them, unscoped); deleting one would cascade into reports and rosters, so only a superuser may."""

    view_roles = frozenset({Role.ORG_DEPARTMENT, Role.SYSTEM_ADMIN})
    change_roles = frozenset({Role.SYSTEM_ADMIN})

    def get_queryset(self, request):
        if holds_role(request.user, Role.SYSTEM_ADMIN):
            return admin.ModelAdmin.get_queryset(self, request)
        return super().get_queryset(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if holds_role(request.user, Role.SYSTEM_ADMIN):
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(District)
class DistrictAdmin(PlaceAdmin):
    list_display = ["code", "name"]
    search_fields = ["name", "code"]

    def scope_queryset(self, request, queryset):
        if StaffAssignment.objects.scope_for(request.user).sees_everything:
            return queryset
        return queryset.filter(pk__in=Community.objects.visible_to(request.user).values("district_id"))


@admin.register(Street)
class StreetAdmin(PlaceAdmin):
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
class CommunityAdmin(PlaceAdmin):
    scope_community_path = "pk"
    list_display = ["code", "name", "street", "district"]
    list_filter = ["district"]
    search_fields = ["name", "=code"]
    list_select_related = ["street", "district"]
    autocomplete_fields = ["street"]


@admin.register(Unit)
class UnitAdmin(PlaceAdmin):
    scope_unit_path = "pk"
    list_display = ["code", "name", "party_organisation", "kind", "district"]
    list_filter = ["kind", "district"]
    search_fields = ["name", "party_organisation", "=code"]
    list_select_related = ["district"]
    autocomplete_fields = ["district"]


@admin.register(Pairing)
class PairingAdmin(PlaceAdmin):
    scope_community_path = "community"
    scope_unit_path = "unit"
    list_display = ["unit", "community", "started_year"]
    list_filter = ["started_year", "community__district"]
    search_fields = ["unit__name", "community__name"]
    list_select_related = ["unit", "community"]
    autocomplete_fields = ["unit", "community"]


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(OthersAccountsOnlyMixin, RoleAdminMixin, admin.ModelAdmin):
    """Roles are granted by the security administrator, never by scoped staff, and never to themself or to a
    superuser (whose account is managed outside the admin). Each grant, change and revocation is audited."""

    change_roles = delete_roles = frozenset({Role.SECURITY_ADMIN})

    list_display = ["user", "role", "district", "street", "community", "unit", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user", "district", "street", "community", "unit"]
    autocomplete_fields = ["user", "district", "street", "community", "unit"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Every place is offered: roles are granted city-wide, and place names are public.
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model.objects.exclude(pk=request.user.pk).exclude(is_superuser=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdminMixin, RoleAdminMixin, admin.ModelAdmin):
    """The record of exports is evidence for the audit administrator: nobody edits or deletes it here."""

    view_roles = frozenset({Role.AUDIT})

    list_display = ["created_at", "user", "kind", "row_count", "full_values"]
    list_filter = ["kind", "full_values"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, RoleAdminMixin, admin.ModelAdmin):
    """Messages are records of what was sent: the system administrator reads them (delivery problems)."""

    view_roles = frozenset({Role.SYSTEM_ADMIN})

    list_display = ["created_at", "channel", "kind", "title", "user", "status", "sent_at"]
    list_filter = ["channel", "status", "kind"]
    search_fields = ["title", "user__username"]
    list_select_related = ["user"]
    show_full_result_count = False


@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdminMixin, RoleAdminMixin, admin.ModelAdmin):
    view_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["created_at", "kind", "period", "recipient"]
    list_filter = ["kind", "period"]
    show_full_result_count = False


class AuditActionFilter(admin.SimpleListFilter):
    """The actions the apps declared (no DISTINCT over the whole trail)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return audit_actions.choices()

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, RoleAdminMixin, admin.ModelAdmin):
    """The audit trail, read by superusers and audit administrators (staff accounts with the "audit" role); nobody
    adds, changes or deletes an event here (and on PostgreSQL a trigger refuses it anyway)."""

    list_display = ["occurred_at", "username", "role", "ip", "action_label", "object_label", "outcome"]
    list_filter = [AuditActionFilter, "outcome", "occurred_at"]
    # Exact match on the account's current username finds a member's events under their masked snapshot.
    search_fields = ["username", "=user__username", "ip"]
    fields = [
        "occurred_at",
        "account",
        "username",
        "role",
        "ip",
        "action_label",
        "object_type",
        "object_id",
        "object_label",
        "outcome",
        "detail",
    ]
    readonly_fields = fields
    show_full_result_count = False
    view_roles = frozenset({Role.AUDIT})

    @admin.display(description=_("user"))
    def account(self, event):
        # The account's id, not its name: a member's name is personal data the trail does not need to show.
        return f"#{event.user_id}" if event.user_id else "-"

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, event):
        return audit_actions.label(event.action)


@admin.register(SecondFactorDevice)
class SecondFactorDeviceAdmin(OthersAccountsOnlyMixin, RoleAdminMixin, admin.ModelAdmin):
    """Accounts' authenticator devices (the second factor). The security administrator resets one by deleting it:
    the account's sessions lose their verification and it enrols again at its next login. Nobody adds or edits a
    device here, and the key is shown nowhere (neither column nor field, and django-otp's QR code pages are not
    offered). Like roles: never their own device, never a superuser's. Each deletion is audited."""

    view_roles = delete_roles = frozenset({Role.SECURITY_ADMIN})

    list_display = ["account", "account_name", "is_confirmed", "created", "last_used", "failures"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]
    fields = ["account", "account_name", "is_confirmed", "created", "last_used", "failures"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("account"), ordering="user__username")
    def account(self, device):
        return device.user.get_username()

    @admin.display(description=_("name"))
    def account_name(self, device):
        return device.user.full_name

    @admin.display(description=_("set up"), boolean=True, ordering="confirmed")
    def is_confirmed(self, device):
        return device.confirmed

    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, device):
        return device.created_at

    @admin.display(description=_("last used at"), ordering="last_used_at")
    def last_used(self, device):
        return device.last_used_at

    @admin.display(description=_("wrong codes in a row"))
    def failures(self, device):
        return device.throttling_failure_count


# django-otp's own page for the same rows shows the key and a QR code of it: not offered.
admin.site.unregister(TOTPDevice)

# Groups and Django's per-model permissions are not used: roles are the one rule, so groups are not offered.
admin.site.unregister(Group)


def _reregister(model, admin_class, **attributes):
    """Put a third-party admin page under the role rule."""
    admin.site.unregister(model)
    admin.site.register(model, type(admin_class.__name__, (RoleAdminMixin, admin_class), attributes))


def _no_add(self, request):
    return False  # django-axes' rows are written by logins only


SYSTEM = frozenset({Role.SYSTEM_ADMIN})
# The job schedule is a setting: the system administrator's.
for _model, _admin_class in [
    (PeriodicTask, beat_admin.PeriodicTaskAdmin),
    (ClockedSchedule, beat_admin.ClockedScheduleAdmin),
    (CrontabSchedule, beat_admin.CrontabScheduleAdmin),
    (SolarSchedule, beat_admin.SolarScheduleAdmin),
    (IntervalSchedule, beat_admin.IntervalScheduleAdmin),
]:
    _reregister(_model, _admin_class, change_roles=SYSTEM, delete_roles=SYSTEM)


class MaskedLoginLogMixin:
    """django-axes' pages (issue 19, finding 6): the user name as typed at login (a member's is their phone, and a
    mistyped password lands there too) is shown masked to everyone, the form data axes keeps (which repeats it) not
    at all. An account is found by its exact user name, searched by POST (communities.admin_search)."""

    search_fields = ["ip_address", "=username"]

    @admin.display(description=_("user name"), ordering="username")
    def masked_username(self, obj):
        return mask_username(obj.username or "")

    def get_list_display(self, request):
        return [("masked_username" if name == "username" else name) for name in super().get_list_display(request)]

    def get_list_display_links(self, request, list_display):
        return list_display[:1]

    def get_fieldsets(self, request, obj=None):
        fieldsets = []
        for title, options in super().get_fieldsets(request, obj):
            fields = [
                ("masked_username" if name == "username" else name)
                for name in options["fields"]
                if name not in ("get_data", "post_data")
            ]
            if fields:
                fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        hidden = ("username", "get_data", "post_data")
        return [name for name in super().get_readonly_fields(request, obj) if name not in hidden] + ["masked_username"]


def _masked_str(self):
    return f"{self._meta.verbose_name} {mask_username(self.username or '')} @ {self.attempt_time:%Y-%m-%d %H:%M:%S}"


def _reregister_masked(model, admin_class, **attributes):
    # axes' own str() names the typed user name in full, and the admin prints it in titles, breadcrumbs, the
    # delete confirmation and its own log: the masked one instead, wherever the row is named.
    model.__str__ = _masked_str
    admin.site.unregister(model)
    bases = (RoleAdminMixin, MaskedLoginLogMixin, admin_class)
    admin.site.register(model, type(admin_class.__name__, bases, attributes))


# Lockouts: the system administrator reads them and lifts one by deleting it; logins are the auditor's to read.
_reregister_masked(
    AccessAttempt, axes_admin.AccessAttemptAdmin, view_roles=SYSTEM, delete_roles=SYSTEM, has_add_permission=_no_add
)
_reregister_masked(
    AccessFailureLog, axes_admin.AccessFailureLogAdmin, view_roles=SYSTEM | {Role.AUDIT}, has_add_permission=_no_add
)
_reregister_masked(
    AccessLog, axes_admin.AccessLogAdmin, view_roles=frozenset({Role.AUDIT}), has_add_permission=_no_add
)
