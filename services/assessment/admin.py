from django.contrib import admin

from communities.admin import ScopedModelAdmin
from communities.admin_filters import place_filters

from .models import Assessment


@admin.register(Assessment)
class AssessmentAdmin(ScopedModelAdmin):
    scope_community_path = "community"
    scope_unit_path = "unit"
    list_display = [
        "member",
        "year",
        "community",
        "unit",
        "verified_hours",
        "points",
        "proposed_grade",
        "grade",
        "status",
    ]
    list_filter = ["year", "status", "grade", *place_filters("community")]
    search_fields = ["member__name"]
    list_select_related = ["member", "community", "unit"]
    autocomplete_fields = ["member", "community", "unit", "reviewed_by"]
