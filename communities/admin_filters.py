"""Admin filters for district → street → community, and unit, that list only what the level above allows.

A plain list_filter on a community would print all 10,000 communities in the sidebar; these show the
districts in the user's scope, then the streets of the chosen district, then the communities of the
chosen street, and the units of the chosen district.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Community, District, Street, Unit


class _ScopedChoiceFilter(admin.SimpleListFilter):
    path = ""  # lookup from the listed model to the place, e.g. "community" or "need__community"

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            return queryset.filter(**{self.lookup_path(): int(self.value())})
        except ValueError:
            return queryset.none()


def place_filters(community_path: str, unit_path: str | None = None) -> list:
    """The filter classes for a model reaching a Community through `community_path` (and a Unit)."""
    visible = Community.objects.visible_to

    class DistrictFilter(_ScopedChoiceFilter):
        title = _("district")
        parameter_name = "district"

        def lookup_path(self):
            return f"{community_path}__district_id"

        def lookups(self, request, model_admin):
            districts = District.objects.filter(pk__in=visible(request.user).values("district_id"))
            return [(str(pk), name) for pk, name in districts.order_by("code").values_list("pk", "name")]

    class StreetFilter(_ScopedChoiceFilter):
        title = _("street")
        parameter_name = "street"

        def lookup_path(self):
            return f"{community_path}__street_id"

        def lookups(self, request, model_admin):
            district = request.GET.get("district")
            streets = Street.objects.filter(pk__in=visible(request.user).values("street_id")).order_by("code")
            if district:
                streets = streets.filter(district_id=district)
            elif self.value():
                streets = streets.filter(pk=self.value())  # chosen without its district: still applied
            else:
                return []
            return [(str(pk), name) for pk, name in streets.values_list("pk", "name")]

    class CommunityFilter(_ScopedChoiceFilter):
        title = _("community")
        parameter_name = "community"

        def lookup_path(self):
            return f"{community_path}_id" if "__" not in community_path else f"{community_path}__id"

        def lookups(self, request, model_admin):
            street = request.GET.get("street")
            communities = visible(request.user).order_by("code")
            if street:
                communities = communities.filter(street_id=street)
            elif self.value():
                communities = communities.filter(pk=self.value())  # chosen without its street: still applied
            else:
                return []
            return [(str(pk), name) for pk, name in communities.values_list("pk", "name")]

    filters = [DistrictFilter, StreetFilter, CommunityFilter]
    if unit_path:

        class UnitFilter(_ScopedChoiceFilter):
            title = _("unit")
            parameter_name = "unit"

            def lookup_path(self):
                return f"{unit_path}_id" if "__" not in unit_path else f"{unit_path}__id"

            def lookups(self, request, model_admin):
                district = request.GET.get("district")
                units = Unit.objects.visible_to(request.user)
                units = units.filter(district_id=district) if district else units.filter(district__isnull=True)
                return [(str(pk), name) for pk, name in units.order_by("code").values_list("pk", "name")]

        filters.append(UnitFilter)
    return filters
