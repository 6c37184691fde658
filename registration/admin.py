from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from communities.admin import ReadOnlyAdminMixin, ScopedModelAdmin
from communities.admin_filters import place_filters
from communities.audit import Action, audit, ref

from .identity import InvalidIdNumber, hash_id_number, parse_id_number
from .models import Member, Report, RosterEntry, Skill, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "is_staff", "is_active", "last_login"]
    search_fields = ["username", "full_name"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Profile"), {"fields": ["full_name"]}),)
    show_full_result_count = False


@admin.register(Skill)
class SkillAdmin(ScopedModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]

    def scope_queryset(self, request, queryset):
        return queryset  # The skill list is a shared vocabulary, not personal data.


class PersonalDataAdmin(ScopedModelAdmin):
    """Lists show masked ID numbers and phones; an ID number is found by exact match only."""

    search_fields = ["name", "=phone"]
    # Shown in full to superusers only; everyone else sees the masked phone and no address.
    sensitive_fields = ["phone", "home_address"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return [field for field in fields if field not in self.sensitive_fields] + ["masked_phone"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else readonly + ["masked_phone"]

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
        """A superuser's change page shows the sensitive fields in full: each such view is in the audit trail."""
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.user.is_superuser and request.method == "GET" and response.status_code == 200:
            detail = {"fields": list(self.sensitive_fields)}
            audit(action=Action.FULL_VALUE_VIEW, request=request, obj=ref(self.model, object_id), detail=detail)
        return response

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.phone_masked


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
