from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.admin import ScopedModelAdmin
from communities.admin_filters import place_filters

from .models import Claim, NeedState, ServiceNeed, ServiceRecord


@admin.register(ServiceNeed)
class ServiceNeedAdmin(ScopedModelAdmin):
    scope_community_path = "community"
    list_display = ["title", "community", "post_type", "fulfilment", "places", "claimed_count", "state", "starts_at"]
    list_filter = ["status", "post_type", "fulfilment", *place_filters("community")]
    search_fields = ["title"]
    list_select_related = ["community"]
    autocomplete_fields = ["community", "created_by"]
    filter_horizontal = ["skills"]

    @admin.display(description=_("state"), ordering="status")
    def state(self, need):
        """What readers see elsewhere (已结束, 已满 by time and places), not the stored status alone."""
        return NeedState(need.state_at(timezone.now())).label


@admin.register(Claim)
class ClaimAdmin(ScopedModelAdmin):
    scope_community_path = "need__community"
    list_display = ["need", "member", "status", "created_at"]
    list_filter = ["status", *place_filters("need__community")]
    search_fields = ["need__title", "member__name"]
    list_select_related = ["need", "member"]
    autocomplete_fields = ["need", "member"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ScopedModelAdmin):
    scope_community_path = "community"
    scope_unit_path = "member__unit"
    list_display = ["member", "community", "served_on", "hours", "outcome", "status", "points"]
    list_filter = ["status", "outcome", *place_filters("community")]
    search_fields = ["member__name"]
    list_select_related = ["member", "community"]
    autocomplete_fields = ["member", "claim", "community", "verified_by"]

