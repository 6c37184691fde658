"""The organisation department reads the teams here (its district's); teams change through their pages and
services (a leader is always a member of the team; claims and sign-ups go through their own apps' rules)."""

from django.contrib import admin

from communities.admin import ReadOnlyAdminMixin, ScopedModelAdmin
from communities.admin_filters import place_filters

from .models import Membership, Team, TeamActivity, TeamClaim, TeamSignUp


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["member", "status", "created_at", "decided_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["name", "community", "speciality", "leader", "is_open", "created_at"]
    list_filter = ["is_open", "speciality", *place_filters("community")]
    search_fields = ["name", "leader__name"]
    list_select_related = ["community", "speciality", "leader"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "team__community"
    list_display = ["team", "member", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["team__name", "member__name"]
    list_select_related = ["team", "member"]


@admin.register(TeamClaim)
class TeamClaimAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "team__community"
    list_display = ["team", "claim", "assigned_by", "created_at"]
    list_select_related = ["team", "claim", "assigned_by"]


@admin.register(TeamSignUp)
class TeamSignUpAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "team__community"
    list_display = ["team", "signup", "assigned_by", "created_at"]
    list_select_related = ["team", "signup", "assigned_by"]


@admin.register(TeamActivity)
class TeamActivityAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_community_path = "team__community"
    list_display = ["team", "activity"]
    list_select_related = ["team", "activity"]
