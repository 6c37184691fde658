from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from communities.admin import PlaceAdmin, ReadOnlyAdminMixin, ScopedModelAdmin
from communities.admin_filters import place_filters
from communities.admin_roles import Role, RoleAdminMixin
from communities.audit import Action, audit, ref
from communities.models import ADMINISTRATOR_ROLES
from communities.sessions import end_other_sessions

from .forms import AdminLoginForm
from .identity import InvalidIdNumber, hash_id_number, parse_id_number
from .models import Member, Report, RosterEntry, Skill, User

# The admin's login asks the site login's CAPTCHA after failures (issue 19, finding 4). Set here, after communities'
# admin set its own form (apps load in INSTALLED_APPS order): the CAPTCHA's rule lives on this side.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(RoleAdminMixin, DjangoUserAdmin):
    """Accounts are the system administrator's; the security administrator reads them to grant roles.

    Neither sees members' accounts (a member's username is their phone number; members manage their own), and
    the system administrator changes no superuser's or administrator's account and grants no privileges: the
    superuser flag, groups and permissions are read-only to them. Administrator accounts are looked after with
    the management commands (`changepassword`) by whoever runs the servers.
    """

    list_display = ["username", "full_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active"]
    search_fields = ["username", "full_name"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Profile"), {"fields": ["full_name"]}),)
    show_full_result_count = False
    view_roles = frozenset({Role.SECURITY_ADMIN})
    change_roles = frozenset({Role.SYSTEM_ADMIN})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(member__isnull=True, is_superuser=False)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return not (obj.is_superuser or obj.staff_assignments.filter(role__in=ADMINISTRATOR_ROLES).exists())

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        return readonly + ["is_superuser", "groups", "user_permissions", "last_login", "date_joined"]

    def user_change_password(self, request, id, form_url=""):
        """A password set by an administrator ends every session of that account."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            end_other_sessions(self.get_object(request, id))
        return response


@admin.register(Skill)
class SkillAdmin(PlaceAdmin):
    """The skill list is a shared vocabulary, not personal data: the system administrator keeps it."""

    list_display = ["name"]
    search_fields = ["name"]

    def scope_queryset(self, request, queryset):
        return queryset


class PersonalDataAdmin(ScopedModelAdmin):
    """Lists show masked ID numbers and phones; an ID number is found by exact match only.

    Change pages are masked for everyone by default; a superuser may ask for the phone and address in full
    (an explicit action, `?reveal=1`), and each such view is in the audit trail.
    """

    search_fields = ["name", "=phone"]
    sensitive_fields = ["phone", "home_address"]

    @staticmethod
    def _revealed(request) -> bool:
        return request.user.is_superuser and request.GET.get("reveal") == "1"

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self._revealed(request):
            return fields
        masked = [field for field in fields if field not in self.sensitive_fields] + ["masked_phone"]
        return masked + (["reveal_link"] if request.user.is_superuser and obj is not None else [])

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if self._revealed(request) else readonly + ["masked_phone", "reveal_link"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        try:
            number, _birth_on, _gender = parse_id_number(term)
        except InvalidIdNumber:
            number = None
        if number:
            return queryset.filter(id_number_hash=hash_id_number(number)), False
        if len(term) == 18:
            return queryset.none(), False  # An ID-shaped term never falls through to a partial search.
        return super().get_search_results(request, queryset, term)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if self._revealed(request) and request.method == "GET" and response.status_code == 200:
            detail = {"fields": list(self.sensitive_fields)}
            audit(action=Action.FULL_VALUE_VIEW, request=request, obj=ref(self.model, object_id), detail=detail)
        return response

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.phone_masked

    @admin.display(description=_("full personal data"))
    def reveal_link(self, obj):
        return format_html('<a href="?reveal=1">{}</a>', _("Show the phone and address in full (recorded)"))


class ThroughServicesOnly(ReadOnlyAdminMixin):
    """Rows whose changes move the reporting tallies change only through the services (the pages and
    commands), never by hand here; the admin shows them."""


@admin.register(RosterEntry)
class RosterEntryAdmin(ThroughServicesOnly, PersonalDataAdmin):
    scope_community_path = "community"
    scope_unit_path = "unit"
    list_display = ["name", "id_number_mask", "masked_phone", "unit", "community", "position", "created_at"]
    list_filter = place_filters("community", unit_path="unit")
    list_select_related = ["unit", "community"]
    autocomplete_fields = ["unit", "community"]
    readonly_fields = ["id_number_mask"]


@admin.register(Member)
class MemberAdmin(ThroughServicesOnly, PersonalDataAdmin):
    scope_unit_path = "unit"
    list_display = ["name", "gender", "id_number_mask", "masked_phone", "unit", "position", "created_at"]
    list_filter = ["gender", "unit__district"]
    list_select_related = ["unit"]
    autocomplete_fields = ["user", "unit", "roster_entry"]
    filter_horizontal = ["skills"]
    readonly_fields = ["id_number_mask", "gender", "birth_on"]

    def scope_queryset(self, request, queryset):
        return queryset.filter(pk__in=Member.objects.visible_to(request.user).values("pk"))


@admin.register(Report)
class ReportAdmin(ThroughServicesOnly, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["letter_number", "member", "community", "kind", "status", "submitted_at", "decided_at"]
    list_filter = ["status", "kind", *place_filters("community")]
    search_fields = ["=letter_number", "member__name"]
    list_select_related = ["member", "community"]
    autocomplete_fields = ["member", "community", "decided_by"]
