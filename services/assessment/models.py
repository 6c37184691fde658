"""The annual assessment's rows: one assessment per member per year, and the runs of the job that computes and
finalises them, in chunks of members.

The tables kept the names they had when these models lived in the services app (db_table), so that moving the
models into their own app moved no data."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Unit
from registration.models import Member


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("excellent")
    QUALIFIED = "qualified", _("qualified")
    BASICALLY_QUALIFIED = "basically_qualified", _("basically qualified")
    UNQUALIFIED = "unqualified", _("unqualified")


class Assessment(models.Model):
    """年度考核: one per member per year, computed as a draft, reviewed by staff, finalised by the org department."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        REVIEWED = "reviewed", _("reviewed")
        FINAL = "final", _("final")

    member = models.ForeignKey(Member, models.PROTECT, related_name="assessments", verbose_name=_("member"))
    year = models.PositiveSmallIntegerField(_("year"))
    # Where the member served and worked that year, kept so results stay put when they move.
    community = models.ForeignKey(
        Community, models.PROTECT, null=True, blank=True, related_name="assessments", verbose_name=_("community")
    )
    unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="assessments", verbose_name=_("unit")
    )
    verified_hours = models.DecimalField(_("verified hours"), max_digits=7, decimal_places=1, default=Decimal("0"))
    records_count = models.PositiveIntegerField(_("service records"), default=0)
    claims_fulfilled = models.PositiveIntegerField(_("claims fulfilled"), default=0)
    claims_abandoned = models.PositiveIntegerField(_("claims abandoned"), default=0)
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=1, default=Decimal("0"))
    proposed_grade = models.CharField(_("proposed grade"), max_length=30, choices=Grade.choices)
    grade = models.CharField(_("grade"), max_length=30, choices=Grade.choices)
    remark = models.CharField(_("community's remark"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # The reviewer set the grade while service records of the year still waited for verification, and said why
    # in the remark: finalising takes it as it is instead of holding it back for them.
    records_waiting_noted = models.BooleanField(_("reviewed with records still waiting"), default=False)
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)

    class Meta:
        db_table = "services_assessment"
        verbose_name = _("annual assessment")
        verbose_name_plural = _("annual assessments")
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="assessment_one_per_member_per_year"),
        ]
        indexes = [models.Index(fields=["year", "status"], name="assessment_year_status_idx")]

    def __str__(self):
        return f"{self.member_id} {self.year}"


class AssessmentRun(models.Model):
    """One run of the annual assessment job over the city or one district, in chunks of members.

    Computing writes draft assessments; finalising turns reviewed (and, if asked, draft) ones final
    and tells the members and their units. A run that stopped (a worker killed, a failure) is resumed
    by starting the same job again: only its chunks not yet done are queued.
    """

    class Kind(models.TextChoices):
        COMPUTE = "compute", _("computing the drafts")
        FINALISE = "finalise", _("finalising")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMPUTE)
    year = models.PositiveSmallIntegerField(_("year"))
    # Null: the whole city.
    district = models.ForeignKey(
        "communities.District",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    include_drafts = models.BooleanField(_("drafts finalised too"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(_("chunks"), default=0)
    done = models.PositiveIntegerField(_("chunks done"), default=0)
    # Assessments written (computing) or made final (finalising) so far.
    assessed = models.PositiveIntegerField(_("assessments"), default=0)
    # Finalising: the party organisations under the reporting line that year, as listed when it started.
    below_line = models.JSONField(_("organisations under the line"), default=list, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("started by")
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        db_table = "services_assessmentrun"
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")
        constraints = [
            # At most one unfinished run of a kind per year and scope: starting again resumes it.
            models.UniqueConstraint(
                fields=["kind", "year", "district"],
                condition=~Q(status="finished"),
                name="assessmentrun_one_open_per_district",
            ),
            models.UniqueConstraint(
                fields=["kind", "year"],
                condition=~Q(status="finished") & Q(district__isnull=True),
                name="assessmentrun_one_open_for_city",
            ),
        ]
        indexes = [models.Index(fields=["year", "kind", "started_at"], name="assessmentrun_year_idx")]

    def __str__(self):
        return f"{self.kind} {self.year} {self.district_id or 'city'}"


class AssessmentRunChunk(models.Model):
    """One primary-key range of members [start_pk, end_pk) of a run; done once, in one transaction."""

    run = models.ForeignKey(AssessmentRun, models.CASCADE, related_name="chunks", verbose_name=_("run"))
    start_pk = models.BigIntegerField(_("first member id"))
    end_pk = models.BigIntegerField(_("member id after the last"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("assessments"), default=0)
    # Finalising: {unit id: assessments made final}, summed into the units' messages at the end.
    unit_counts = models.JSONField(_("per unit"), default=dict, blank=True)

    class Meta:
        db_table = "services_assessmentrunchunk"
        verbose_name = _("assessment run chunk")
        verbose_name_plural = _("assessment run chunks")
        constraints = [models.UniqueConstraint(fields=["run", "start_pk"], name="assessmentrunchunk_unique_range")]

    def __str__(self):
        return f"{self.run_id} [{self.start_pk}, {self.end_pk})"
