"""The grid under a community (网格): areas (片区) and their buildings (楼栋), and the grid workers of each area.

The building head (党员楼长) is a confirmed member, a fact only the registration side knows: that assignment lives
with the residents' requests (services.requests), not here."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from communities.models import Community


class Grid(models.Model):
    """片区/网格: one area of a community."""

    community = models.ForeignKey(Community, models.PROTECT, related_name="grids", verbose_name=_("community"))
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["community_id", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="grid_unique_name")]

    def __str__(self):
        return self.name


class BuildingQuerySet(models.QuerySet):
    def of_community(self, community):
        return self.filter(grid__community=community)


class Building(models.Model):
    """楼栋: a building of an area, with its address and number of households."""

    grid = models.ForeignKey(Grid, models.PROTECT, related_name="buildings", verbose_name=_("grid"))
    name = models.CharField(_("name"), max_length=50)
    address = models.CharField(_("address"), max_length=200, blank=True)
    households = models.PositiveIntegerField(_("households"), default=0)

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["grid_id", "name"]
        constraints = [models.UniqueConstraint(fields=["grid", "name"], name="building_unique_name")]

    def __str__(self):
        return self.name


class GridWorker(models.Model):
    """网格员: a user working one area of a community. The role is this row: they see and handle the requests of
    their area only (community staff see the whole community)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="grid_assignments", verbose_name=_("user")
    )
    grid = models.ForeignKey(Grid, models.CASCADE, related_name="workers", verbose_name=_("grid"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("grid worker")
        verbose_name_plural = _("grid workers")
        constraints = [models.UniqueConstraint(fields=["user"], name="gridworker_one_grid_per_user")]

    def __str__(self):
        return f"{self.grid} #{self.user_id}"

    def clean(self):
        super().clean()
        if self.user_id and not self.user.is_active:
            raise ValidationError({"user": _("An inactive account cannot work a grid.")})


def grid_ids_of(user) -> frozenset:
    """The areas this user works as a grid worker (cached on the user for the request, as the Scope is)."""
    cached = getattr(user, "_grid_ids_cache", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        ids = frozenset()
    else:
        ids = frozenset(GridWorker.objects.filter(user=user).values_list("grid_id", flat=True))
    user._grid_ids_cache = ids
    return ids
