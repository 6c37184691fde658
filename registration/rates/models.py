"""The reporting tallies: the figures behind every reporting rate, per community and per unit and year.

The tables were created by the registration app (its migrations 0002 and 0004) and keep those names.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Community, District, Street, Unit

# A tally row is superseded by a later year's row of its key, never by its own year's or an earlier one.
SUPERSEDED_LATER = Q(superseded_in__isnull=True) | Q(superseded_in__gt=models.F("year"))


class TallyCounts(models.Model):
    """Reporting counts as of the end of `year` (or now, for the current year).

    Kept in step by registration.rates.tallies inside the transactions that change reports and roster
    entries; `manage.py recount_rates` recounts from scratch and reports any difference. A key has a row
    for each year in which its figures changed; a row is in effect from its year until `superseded_in`.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    roster = models.PositiveIntegerField(_("on roster"), default=0)
    registered = models.PositiveIntegerField(_("registered"), default=0)
    reported = models.PositiveIntegerField(_("reported"), default=0)
    pending = models.PositiveIntegerField(_("pending confirmation"), default=0)
    off_roster_reported = models.PositiveIntegerField(_("reported, not on a roster"), default=0)
    # The year of the key's next row, from which on this row is no longer in effect (null: still in effect).
    # Kept by registration.rates.tallies, so that the row in effect for a year is a plain indexed read.
    superseded_in = models.PositiveSmallIntegerField(_("superseded in"), null=True, blank=True, editable=False)

    COUNT_FIELDS = ("roster", "registered", "reported", "pending", "off_roster_reported")

    class Meta:
        abstract = True


class CommunityTally(TallyCounts):
    # Null: roster entries whose unit named no expected community yet.
    community = models.ForeignKey(
        Community, models.CASCADE, null=True, blank=True, related_name="tallies", verbose_name=_("community")
    )

    class Meta:
        db_table = "registration_communitytally"
        verbose_name = _("community reporting count")
        verbose_name_plural = _("community reporting counts")
        constraints = [
            models.UniqueConstraint(fields=["community", "year"], name="communitytally_unique_year"),
            models.UniqueConstraint(
                fields=["year"], condition=Q(community__isnull=True), name="communitytally_unique_unassigned_year"
            ),
            models.CheckConstraint(condition=SUPERSEDED_LATER, name="communitytally_superseded_later"),
        ]
        indexes = [
            models.Index(fields=["year", "community"], name="communitytally_year_idx"),
            models.Index(fields=["superseded_in", "year"], name="communitytally_effect_idx"),
        ]

    def __str__(self):
        return f"{self.community_id} {self.year}"


class UnitTally(TallyCounts):
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="tallies", verbose_name=_("unit"))

    class Meta:
        db_table = "registration_unittally"
        verbose_name = _("unit reporting count")
        verbose_name_plural = _("unit reporting counts")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="unittally_unique_year"),
            models.CheckConstraint(condition=SUPERSEDED_LATER, name="unittally_superseded_later"),
        ]
        indexes = [
            models.Index(fields=["year", "unit"], name="unittally_year_idx"),
            models.Index(fields=["superseded_in", "year"], name="unittally_effect_idx"),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.year}"


class StreetTally(TallyCounts):
    """A street's figures: the sum of its communities' (CommunityTally), kept in step by the same writes
    (registration.rates.tallies.tally_apply), so that a district's page reads its streets' rows, not every
    community's. `manage.py recount_rates` checks it against the recount of its communities."""

    street = models.ForeignKey(Street, models.CASCADE, related_name="tallies", verbose_name=_("street"))

    class Meta:
        verbose_name = _("street reporting count")
        verbose_name_plural = _("street reporting counts")
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="streettally_unique_year"),
            models.CheckConstraint(condition=SUPERSEDED_LATER, name="streettally_superseded_later"),
        ]
        indexes = [
            models.Index(fields=["year", "street"], name="streettally_year_idx"),
            models.Index(fields=["superseded_in", "year"], name="streettally_effect_idx"),
        ]

    def __str__(self):
        return f"{self.street_id} {self.year}"


class DistrictTally(TallyCounts):
    """A district's figures: the sum of its communities' (CommunityTally), kept in step as StreetTally is, so
    that the city page reads 50 rows, not 10,000."""

    district = models.ForeignKey(District, models.CASCADE, related_name="tallies", verbose_name=_("district"))

    class Meta:
        verbose_name = _("district reporting count")
        verbose_name_plural = _("district reporting counts")
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="districttally_unique_year"),
            models.CheckConstraint(condition=SUPERSEDED_LATER, name="districttally_superseded_later"),
        ]
        indexes = [
            models.Index(fields=["year", "district"], name="districttally_year_idx"),
            models.Index(fields=["superseded_in", "year"], name="districttally_effect_idx"),
        ]

    def __str__(self):
        return f"{self.district_id} {self.year}"


class MonthCounts(models.Model):
    """Reporting counts as of the last instant of a past month (registration.rates.tallies.snapshot_month_ends)."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    roster = models.PositiveIntegerField(_("on roster"), default=0)
    registered = models.PositiveIntegerField(_("registered"), default=0)
    reported = models.PositiveIntegerField(_("reported"), default=0)
    pending = models.PositiveIntegerField(_("pending confirmation"), default=0)
    off_roster_reported = models.PositiveIntegerField(_("reported, not on a roster"), default=0)

    class Meta:
        abstract = True


class MonthlyStreetTally(MonthCounts):
    """A street's month end: the sum of its communities' MonthlyCommunityTally rows, written with them, so that
    a district's trend reads its streets' rows."""

    street = models.ForeignKey(Street, models.CASCADE, related_name="month_tallies", verbose_name=_("street"))

    class Meta:
        verbose_name = _("street reporting count at a month's end")
        verbose_name_plural = _("street reporting counts at months' ends")
        constraints = [
            models.UniqueConstraint(fields=["street", "year", "month"], name="monthstreettally_unique_month"),
        ]

    def __str__(self):
        return f"{self.street_id} {self.year}-{self.month:02d}"


class MonthlyDistrictTally(MonthCounts):
    """A district's month end: the sum of its communities' MonthlyCommunityTally rows, written with them, so
    that the city's trend reads 50 rows a month, not 10,000."""

    district = models.ForeignKey(District, models.CASCADE, related_name="month_tallies", verbose_name=_("district"))

    class Meta:
        verbose_name = _("district reporting count at a month's end")
        verbose_name_plural = _("district reporting counts at months' ends")
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "month"], name="monthdistricttally_unique_month"),
        ]

    def __str__(self):
        return f"{self.district_id} {self.year}-{self.month:02d}"


class MonthlyCommunityTally(models.Model):
    """A community's reporting counts as of the last instant of a past month, for the rates pages' trend by month.

    The yearly tallies keep only the figures as of now (or a year's end), so month ends are snapshots: written by
    `snapshot_month_ends` (the daily job rates_month_end_task; by hand `manage.py run_job rates_month_end`) from the
    reports and the roster as of that instant — the recount's own definition (registration.rates.tallies.
    recount_as_of) — and never changed.
    The current month is not stored: its figure is the live tally the tables show.
    """

    # Null: roster entries whose unit named no expected community yet (as in CommunityTally).
    community = models.ForeignKey(
        Community, models.CASCADE, null=True, blank=True, related_name="month_tallies", verbose_name=_("community")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    roster = models.PositiveIntegerField(_("on roster"), default=0)
    registered = models.PositiveIntegerField(_("registered"), default=0)
    reported = models.PositiveIntegerField(_("reported"), default=0)
    pending = models.PositiveIntegerField(_("pending confirmation"), default=0)
    off_roster_reported = models.PositiveIntegerField(_("reported, not on a roster"), default=0)

    class Meta:
        verbose_name = _("community reporting count at a month's end")
        verbose_name_plural = _("community reporting counts at months' ends")
        constraints = [
            models.UniqueConstraint(fields=["community", "year", "month"], name="monthtally_unique_month"),
            models.UniqueConstraint(
                fields=["year", "month"], condition=Q(community__isnull=True), name="monthtally_unique_unassigned"
            ),
        ]
        indexes = [models.Index(fields=["year", "month", "community"], name="monthtally_year_idx")]

    def __str__(self):
        return f"{self.community_id} {self.year}-{self.month:02d}"
