"""Needs and the service done: needs lists, claims, service records and the annual assessment."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Unit
from registration.models import Member, Skill


class PostType(models.TextChoices):
    """岗位: the ten kinds of service post a community sets up."""

    HELPING_VULNERABLE = "helping_vulnerable", _("helping the vulnerable")
    CONVENIENCE = "convenience", _("convenience for residents")
    EMPLOYMENT = "employment", _("employment guidance")
    PUBLIC_SAFETY = "public_safety", _("public safety")
    SANITATION = "sanitation", _("environment and sanitation")
    CULTURE_SPORT = "culture_sport", _("culture and sport")
    HEALTH = "health", _("health care")
    POLICY_LEGAL = "policy_legal", _("policy and legal advice")
    MEDIATION = "mediation", _("mediation")
    CARE = "care", _("care and mutual help")


class ServiceNeed(models.Model):
    """需求/服务项目: a need a community posts for members to claim."""

    class Fulfilment(models.TextChoices):
        DIRECT = "direct", _("direct help")
        COORDINATE = "coordinate", _("coordinate and report back")
        ADVOCATE = "advocate", _("appeal and advise")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        CLOSED = "closed", _("closed")
        FULFILLED = "fulfilled", _("fulfilled")

    community = models.ForeignKey(Community, models.PROTECT, related_name="needs", verbose_name=_("community"))
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000)
    post_type = models.CharField(_("post type"), max_length=30, choices=PostType.choices)
    fulfilment = models.CharField(
        _("how it is met"), max_length=20, choices=Fulfilment.choices, default=Fulfilment.DIRECT
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="needs", verbose_name=_("skills wanted"))
    places = models.PositiveSmallIntegerField(_("places"))
    # Claims holding a place (in progress or fulfilled), kept in step under a row lock on the need;
    # the check constraint below makes overbooking impossible.
    claimed_count = models.PositiveSmallIntegerField(_("places taken"), default=0, editable=False)
    location = models.CharField(_("location"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True, help_text=_("Leave empty for an ongoing need."))
    reply = models.TextField(_("reply given"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service need")
        verbose_name_plural = _("service needs")
        constraints = [
            models.CheckConstraint(condition=Q(places__gte=0), name="serviceneed_places_not_negative"),
            models.CheckConstraint(
                condition=Q(claimed_count__lte=F("places")), name="serviceneed_claims_within_places"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=F("starts_at")), name="serviceneed_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status", "starts_at"], name="serviceneed_board_idx"),
            models.Index(fields=["status", "starts_at"], name="serviceneed_status_start_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def places_left(self):
        return self.places - self.claimed_count

    # get_post_type_display() hashes every choice's lazy label on each call (a translation lookup each): the
    # boards show these on every card, so they look the label up by value instead.
    @property
    def post_type_label(self):
        return PostType(self.post_type).label

    @property
    def fulfilment_label(self):
        return self.Fulfilment(self.fulfilment).label


class Claim(models.Model):
    """认领: a member takes one place on a need, with a written commitment (承诺)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("in progress")
        FULFILLED = "fulfilled", _("fulfilled")
        ABANDONED = "abandoned", _("abandoned")
        CANCELLED = "cancelled", _("cancelled")

    need = models.ForeignKey(ServiceNeed, models.PROTECT, related_name="claims", verbose_name=_("need"))
    member = models.ForeignKey(Member, models.PROTECT, related_name="claims", verbose_name=_("member"))
    commitment = models.CharField(_("commitment"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            # A cancelled claim is history; the member may claim the same need again.
            models.UniqueConstraint(
                fields=["need", "member"], condition=~Q(status="cancelled"), name="claim_one_per_member_per_need"
            ),
        ]
        indexes = [models.Index(fields=["need", "status"], name="claim_need_status_idx")]

    def __str__(self):
        return f"{self.need_id}/{self.member_id}"


class OutcomeCategory(models.TextChoices):
    """The outcome figures the field reports count."""

    DIFFICULTY_SOLVED = "difficulty_solved", _("difficulty solved")
    DISPUTE_MEDIATED = "dispute_mediated", _("dispute mediated")
    OPINION_HEARD = "opinion_heard", _("opinion heard")
    GOOD_DEED = "good_deed", _("good deed")
    GENERAL = "general", _("general service")


class ServiceRecord(models.Model):
    """服务记实: service a member did, verified by community staff before it counts."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("awaiting verification")
        VERIFIED = "verified", _("verified")
        REJECTED = "rejected", _("rejected")

    member = models.ForeignKey(Member, models.PROTECT, related_name="service_records", verbose_name=_("member"))
    claim = models.ForeignKey(
        Claim, models.PROTECT, null=True, blank=True, related_name="records", verbose_name=_("claim")
    )
    community = models.ForeignKey(
        Community, models.PROTECT, related_name="service_records", verbose_name=_("community")
    )
    served_on = models.DateField(_("date served"))
    hours = models.DecimalField(_("hours"), max_digits=3, decimal_places=1)
    description = models.TextField(_("what was done"), max_length=2000)
    outcome = models.CharField(
        _("outcome"), max_length=30, choices=OutcomeCategory.choices, default=OutcomeCategory.GENERAL
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    # Set when verified, so that a later change of the points rule does not rewrite history.
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=1, default=Decimal("0"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    resident_feedback = models.CharField(_("resident feedback"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("logged at"), default=timezone.now)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0, hours__lte=12), name="servicerecord_hours_in_range"),
            models.CheckConstraint(condition=Q(points__gte=0), name="servicerecord_points_not_negative"),
        ]
        indexes = [
            models.Index(fields=["community", "status"], name="servicerecord_comm_status_idx"),
            models.Index(fields=["member", "status", "served_on"], name="servicerecord_member_idx"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.served_on} {self.hours}h"


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
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)

    class Meta:
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
        verbose_name = _("assessment run chunk")
        verbose_name_plural = _("assessment run chunks")
        constraints = [models.UniqueConstraint(fields=["run", "start_pk"], name="assessmentrunchunk_unique_range")]

    def __str__(self):
        return f"{self.run_id} [{self.start_pk}, {self.end_pk})"
