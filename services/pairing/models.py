"""The pairing ledger (双报到 for units): what a unit pledged to its paired community in a year, and what it
delivered against each pledge. What its members did there (hours, needs served, activities) is not copied here:
the delivery sources (sources.py) read it where it lives."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Pairing
from services.activities.models import Activity
from services.models import ServiceNeed


class Pledge(models.Model):
    """承诺事项: a resource, a project or a need a unit takes on for its paired community in one year, with a
    quantity (and what it counts) or a description."""

    class Kind(models.TextChoices):
        RESOURCE = "resource", _("resource")
        PROJECT = "project", _("project")
        NEED = "need", _("need taken on")

    pairing = models.ForeignKey(Pairing, models.PROTECT, related_name="pledges", verbose_name=_("pairing"))
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("what is pledged"), max_length=100)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=1, null=True, blank=True)
    quantity_unit = models.CharField(_("counted in"), max_length=20, blank=True)
    need = models.ForeignKey(
        ServiceNeed, models.PROTECT, null=True, blank=True, related_name="pledges", verbose_name=_("need")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["year", "pk"]
        indexes = [models.Index(fields=["pairing", "year"], name="pledge_pairing_year_idx")]
        constraints = [
            # "With a quantity or a description": a bare title says too little to check a delivery against.
            models.CheckConstraint(
                condition=Q(quantity__isnull=False) | ~Q(description=""), name="pledge_quantity_or_description"
            ),
            models.CheckConstraint(condition=Q(quantity__isnull=True) | Q(quantity__gt=0),
                                   name="pledge_quantity_positive"),
        ]

    def __str__(self):
        return self.title


class Delivery(models.Model):
    """兑现记录: something delivered against a pledge, recorded by the community that received it, linked to the
    need it met or the activity it was part of when there is one."""

    pledge = models.ForeignKey(Pledge, models.PROTECT, related_name="deliveries", verbose_name=_("pledge"))
    delivered_on = models.DateField(_("date delivered"))
    description = models.TextField(_("what was delivered"), max_length=1000)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=1, null=True, blank=True)
    need = models.ForeignKey(
        ServiceNeed, models.PROTECT, null=True, blank=True, related_name="pairing_deliveries", verbose_name=_("need")
    )
    activity = models.ForeignKey(
        Activity, models.PROTECT, null=True, blank=True, related_name="pairing_deliveries",
        verbose_name=_("activity"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["delivered_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__isnull=True) | Q(quantity__gt=0),
                                   name="delivery_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.pledge_id}: {self.delivered_on}"
