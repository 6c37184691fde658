"""Activities (志愿活动, 党员活动日): dated events of a community with places, sign-ups and a waiting list, and
check-in and check-out scans from which service hours are credited. The rules are in services.py; the states and
their allowed changes in states.py."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from registration.models import Member
from services.models import PostType, ServiceRecord


class ActivitySeries(models.Model):
    """The recurrence an activity was created with (weekly 相约民情日): each occurrence is its own Activity."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("weekly")
        MONTHLY = "monthly", _("monthly")

    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    frequency = models.CharField(_("repeats"), max_length=10, choices=Frequency.choices)
    occurrences = models.PositiveSmallIntegerField(_("occurrences"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("activity series")
        verbose_name_plural = _("activity series")
        constraints = [
            models.CheckConstraint(condition=Q(occurrences__gte=1), name="activityseries_occurrences_positive"),
        ]

    def __str__(self):
        return f"{self.get_frequency_display()} ×{self.occurrences}"


class Activity(models.Model):
    """志愿活动: a dated event of a community that members sign up for."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        RUNNING = "running", _("running")
        ENDED = "ended", _("ended")
        CANCELLED = "cancelled", _("cancelled")

    community = models.ForeignKey(Community, models.PROTECT, related_name="activities", verbose_name=_("community"))
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000)
    post_type = models.CharField(_("post type"), max_length=30, choices=PostType.choices)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    places = models.PositiveSmallIntegerField(_("places"))
    # Sign-ups holding a place (signed up, attended, no-show), kept in step under the activity's row lock; the
    # check constraint below makes overbooking impossible.
    signed_up_count = models.PositiveSmallIntegerField(_("places taken"), default=0, editable=False)
    # The last waiting-list position handed out: positions only grow, so the first waiting is the lowest.
    last_position = models.PositiveIntegerField(default=0, editable=False)
    signup_deadline = models.DateTimeField(_("sign-up deadline"))
    cancel_cutoff = models.DateTimeField(
        _("cancellation cut-off"), help_text=_("After this, a cancellation is recorded as late.")
    )
    contact = models.CharField(_("contact"), max_length=100)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    series = models.ForeignKey(
        ActivitySeries, models.PROTECT, null=True, blank=True, related_name="activities", verbose_name=_("series")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(condition=Q(places__gte=0), name="activity_places_not_negative"),
            models.CheckConstraint(
                condition=Q(signed_up_count__lte=F("places")), name="activity_signups_within_places"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(
                condition=Q(signup_deadline__lte=F("starts_at")), name="activity_deadline_before_start"
            ),
            models.CheckConstraint(
                condition=Q(cancel_cutoff__lte=F("starts_at")), name="activity_cutoff_before_start"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status", "starts_at"], name="activity_board_idx"),
            models.Index(fields=["status", "starts_at"], name="activity_status_start_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def places_left(self) -> int:
        return self.places - self.signed_up_count

    @property
    def post_type_label(self):
        return PostType(self.post_type).label

    @property
    def duration(self):
        return self.ends_at - self.starts_at


class SignUp(models.Model):
    """报名: a member's place on an activity, or their turn on its waiting list; after the activity, whether
    they came (and the hours credited to them)."""

    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("signed up")
        WAITING = "waiting", _("on the waiting list")
        CANCELLED = "cancelled", _("cancelled")
        LATE_CANCELLED = "late_cancelled", _("cancelled late")
        NO_SHOW = "no_show", _("no-show")
        ATTENDED = "attended", _("attended")

    activity = models.ForeignKey(Activity, models.PROTECT, related_name="signups", verbose_name=_("activity"))
    member = models.ForeignKey(Member, models.PROTECT, related_name="activity_signups", verbose_name=_("member"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SIGNED_UP)
    # The turn on the waiting list (lowest first); kept after moving up, for the record.
    position = models.PositiveIntegerField(_("waiting-list position"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    moved_up_at = models.DateTimeField(_("moved up at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Set when the activity is closed: seconds present by the scans, and the hours credited.
    present_seconds = models.PositiveIntegerField(_("seconds present"), null=True, blank=True)
    record = models.OneToOneField(
        ServiceRecord, models.PROTECT, null=True, blank=True, related_name="activity_signup",
        verbose_name=_("service record"),
    )

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [
            # A cancelled sign-up is history; the member may sign up again.
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=~Q(status__in=["cancelled", "late_cancelled"]),
                name="signup_one_active_per_member",
            ),
            models.UniqueConstraint(
                fields=["activity", "position"], condition=Q(status="waiting"), name="signup_one_per_position"
            ),
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(position__isnull=False), name="signup_waiting_has_position"
            ),
        ]
        indexes = [
            models.Index(fields=["activity", "status", "position"], name="signup_activity_status_idx"),
            models.Index(fields=["member", "status"], name="signup_member_idx"),
        ]

    def __str__(self):
        return f"{self.activity_id}/{self.member_id}"


class CheckIn(models.Model):
    """签到/签退: one row per accepted scan (pretix's check-in model); repeats of the same scan are not written."""

    class Kind(models.TextChoices):
        ENTRY = "entry", _("check-in")
        EXIT = "exit", _("check-out")

    class Method(models.TextChoices):
        CODE = "code", _("changing code")
        ORGANISER_SCAN = "organiser_scan", _("scanned by the organiser")
        MANUAL = "manual", _("by hand")

    activity = models.ForeignKey(Activity, models.PROTECT, related_name="checkins", verbose_name=_("activity"))
    signup = models.ForeignKey(SignUp, models.PROTECT, related_name="checkins", verbose_name=_("sign-up"))
    member = models.ForeignKey(Member, models.PROTECT, related_name="+", verbose_name=_("member"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="manual") | ~Q(reason=""), name="checkin_manual_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["signup", "kind", "at"], name="checkin_signup_idx")]

    def __str__(self):
        return f"{self.signup_id} {self.kind} {self.at:%H:%M:%S}"
