"""Needs and the service done: needs lists, claims and service records (the assessment: services.assessment)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community
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


# A record against a claim may be dated up to this many days after its need's end: service planned for a
# window often runs over (a second visit, a report back that waits for an answer), and a week keeps those
# while refusing a date that belongs to another occasion. Never before the start.
RECORD_DAYS_AFTER_NEED_END = 7
# A record on one's own initiative has no window to check against: staff can still ask the residents about
# the last month's service, and a month lets a member log the weekend's work after a busy week.
RECORD_OWN_INITIATIVE_MAX_AGE_DAYS = 30
# Hours of one record from which the staff queue marks it as unusual (a working day of service or more).
LONG_RECORD_HOURS = Decimal("8")


class NeedState(models.TextChoices):
    """What a reader is shown of a need: its status, with "ended" and "full" judged by time and places
    when the page is drawn (the daily job that closes ended needs may not have run yet)."""

    DRAFT = "draft", _("draft")
    OPEN = "open", _("open for claims")
    FULL = "full", _("full")
    ENDED = "ended", _("ended")
    CLOSED = "closed", _("closed")
    FULFILLED = "fulfilled", _("fulfilled")


class ServiceNeedQuerySet(models.QuerySet):
    """The time rules of needs, with ServiceNeed.has_ended_at and ServiceNeed.state as their row-side twins
    (tests/services/test_models.py checks that both sides agree)."""

    def ended(self, now: datetime.datetime):
        """Needs whose end has passed at `now`; an ongoing need (no end) never ends."""
        return self.filter(ends_at__lt=now)

    def not_ended(self, now: datetime.datetime):
        return self.filter(Q(ends_at__isnull=True) | Q(ends_at__gte=now))

    def open_for_claims(self, now: datetime.datetime):
        """Published, not ended at `now`, with a free place: the needs that offer 认领."""
        return self.filter(status=ServiceNeed.Status.PUBLISHED, claimed_count__lt=F("places")).not_ended(now)


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

    objects = ServiceNeedQuerySet.as_manager()

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

    def has_ended_at(self, now: datetime.datetime) -> bool:
        """The row-side twin of ServiceNeedQuerySet.ended."""
        return self.ends_at is not None and self.ends_at < now

    @property
    def has_ended(self) -> bool:
        return self.has_ended_at(timezone.now())

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    def state_at(self, now: datetime.datetime) -> str:
        """A NeedState value. A fulfilled need stays fulfilled and a draft a draft; any other need whose end
        has passed is ended (whether the daily job closed it yet or staff closed it late); a need closed before
        its end is closed; a published one is full without a free place, else open (ServiceNeedQuerySet.
        open_for_claims)."""
        if self.status == self.Status.DRAFT:
            return NeedState.DRAFT
        if self.status == self.Status.FULFILLED:
            return NeedState.FULFILLED
        if self.has_ended_at(now):
            return NeedState.ENDED
        if self.status == self.Status.CLOSED:
            return NeedState.CLOSED
        return NeedState.OPEN if self.places_left > 0 else NeedState.FULL

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def state_label(self):
        return NeedState(self.state).label

    @property
    def is_open_for_claims(self) -> bool:
        return self.state == NeedState.OPEN

    @property
    def window_label(self) -> str:
        """The time window as cards show it, in local time: the year only when it is not this year, the end's
        date only when it is not the start's day; an ongoing need says so."""
        this_year = timezone.localdate().year
        start = timezone.localtime(self.starts_at)
        text = _short_moment(start, this_year)
        if self.ends_at is None:
            ongoing = _("ongoing")
            return f"{text} · {ongoing}"
        end = timezone.localtime(self.ends_at)
        end_text = f"{end:%H:%M}" if end.date() == start.date() else _short_moment(end, this_year)
        return f"{text} – {end_text}"

    def record_window(self) -> tuple[datetime.date, datetime.date | None]:
        """The first and last dates (local) a record against this need may carry: from the start's day to
        RECORD_DAYS_AFTER_NEED_END days after the end's (None: an ongoing need, up to today)."""
        first = timezone.localdate(self.starts_at)
        if self.ends_at is None:
            return first, None
        return first, timezone.localdate(self.ends_at) + datetime.timedelta(days=RECORD_DAYS_AFTER_NEED_END)

    def days_outside(self, day: datetime.date) -> int:
        """How many days `day` lies before the start's day or after the end's day (0 inside the window)."""
        first = timezone.localdate(self.starts_at)
        if day < first:
            return (first - day).days
        if self.ends_at is not None and day > timezone.localdate(self.ends_at):
            return (day - timezone.localdate(self.ends_at)).days
        return 0

    # get_post_type_display() hashes every choice's lazy label on each call (a translation lookup each): the
    # boards show these on every card, so they look the label up by value instead.
    @property
    def post_type_label(self):
        return PostType(self.post_type).label

    @property
    def fulfilment_label(self):
        return self.Fulfilment(self.fulfilment).label


def _short_moment(moment: datetime.datetime, this_year: int) -> str:
    return f"{moment:%m-%d %H:%M}" if moment.year == this_year else f"{moment:%Y-%m-%d %H:%M}"


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


# Hours one service record holds, and a member's records of one day together: from HOURS_STEP up to
# MAX_HOURS_PER_DAY, in steps of HOURS_STEP (the database's check, the form, the service).
MAX_HOURS_PER_DAY = Decimal("12")
HOURS_STEP = Decimal("0.5")


def verified_in_year(year: int) -> Q:
    """The records that make a member's year of service: verified (whenever) and served on a day of `year`.
    For a conditional aggregate; ServiceRecord.objects.verified_in_year(year) filters by it."""
    return Q(status=ServiceRecord.Status.VERIFIED) & _served_in(year)


def _served_in(year: int) -> Q:
    return Q(served_on__gte=datetime.date(year, 1, 1), served_on__lte=datetime.date(year, 12, 31))


class ServiceRecordQuerySet(models.QuerySet):
    def verified_in_year(self, year: int):
        """Records verified and served in `year` (verified_in_year): the assessment's figures, the shortfall
        reminder, the member's hours of the year."""
        return self.filter(verified_in_year(year))

    def waiting_in_year(self, year: int):
        """Records served in `year` still waiting for verification: they may yet count for the year."""
        return self.filter(_served_in(year), status=ServiceRecord.Status.SUBMITTED)

    def of_outer_member(self):
        """These records of the outer query's member (OuterRef("pk")), grouped by member: the base of a
        correlated subquery that annotates members (one aggregate per member over servicerecord_member_idx)."""
        return self.filter(member=OuterRef("pk")).order_by().values("member")

    def hours_of_outer_member(self):
        """The sum of these records' hours of the outer query's member, as a subquery (NULL when none)."""
        return self.of_outer_member().annotate(total=Sum("hours")).values("total")


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

    objects = ServiceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0, hours__lte=MAX_HOURS_PER_DAY), name="servicerecord_hours_in_range"
            ),
            models.CheckConstraint(condition=Q(points__gte=0), name="servicerecord_points_not_negative"),
        ]
        indexes = [
            models.Index(fields=["community", "status"], name="servicerecord_comm_status_idx"),
            models.Index(fields=["member", "status", "served_on"], name="servicerecord_member_idx"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.served_on} {self.hours}h"

    @property
    def is_long(self) -> bool:
        """Hours the staff queue marks for a second look (LONG_RECORD_HOURS)."""
        return self.hours >= LONG_RECORD_HOURS
