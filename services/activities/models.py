"""Activities (志愿活动, 党员活动日): dated events of a community with places, sign-ups and a waiting list, and
check-in and check-out scans from which service hours are credited. The rules are in services.py; the states and
their allowed changes in states.py."""

import datetime

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


# Feedback is taken for this long after an activity's end (the database checks it on every row).
FEEDBACK_DAYS = 14


class Feedback(models.Model):
    """反馈: what a member who came, or a resident served, thought of an activity; one per person, within
    FEEDBACK_DAYS of its end. A resident has no account: the one-per-person key is a keyed hash of the mobile
    number they give (the number itself is not kept)."""

    class Author(models.TextChoices):
        MEMBER = "member", _("member")
        RESIDENT = "resident", _("resident served")

    activity = models.ForeignKey(Activity, models.PROTECT, related_name="feedback", verbose_name=_("activity"))
    author = models.CharField(_("from"), max_length=10, choices=Author.choices)
    member = models.ForeignKey(
        Member, models.PROTECT, null=True, blank=True, related_name="activity_feedback", verbose_name=_("member")
    )
    resident_key = models.CharField(max_length=64, blank=True, editable=False)
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    # The activity's end, copied so that the database can check the window on the row itself.
    activity_ends_at = models.DateTimeField(editable=False)
    created_at = models.DateTimeField(_("left at"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"], condition=Q(member__isnull=False), name="feedback_one_per_member"
            ),
            models.UniqueConstraint(
                fields=["activity", "resident_key"], condition=~Q(resident_key=""), name="feedback_one_per_resident"
            ),
            models.CheckConstraint(
                condition=(Q(author="member", member__isnull=False, resident_key=""))
                | (Q(author="resident", member__isnull=True) & ~Q(resident_key="")),
                name="feedback_one_author",
            ),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"),
            models.CheckConstraint(
                condition=Q(created_at__lte=F("activity_ends_at") + datetime.timedelta(days=FEEDBACK_DAYS)),
                name="feedback_within_14_days",
            ),
        ]

    def __str__(self):
        return f"{self.activity_id} {self.author} {self.rating}"

    @property
    def stars(self) -> str:
        return "★" * self.rating


class ServiceConfirmation(models.Model):
    """The served resident's one-tap confirmation of a one-to-one service (a record against a claim of a
    direct-help need): the member shows a short code (and its QR code), the resident opens or types it without
    logging in and confirms, or the building head of the community confirms for them. Staff see the mark in the
    record queue."""

    class Method(models.TextChoices):
        RESIDENT = "resident", _("confirmed by the resident")
        BUILDING_HEAD = "building_head", _("confirmed by the building head")

    record = models.OneToOneField(
        ServiceRecord, models.CASCADE, related_name="resident_confirmation", verbose_name=_("service record")
    )
    code = models.CharField(_("code"), max_length=8, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    method = models.CharField(_("confirmed how"), max_length=20, choices=Method.choices, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("confirmed by"),
    )

    class Meta:
        verbose_name = _("resident's confirmation")
        verbose_name_plural = _("residents' confirmations")
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True, method="") | Q(confirmed_at__isnull=False) & ~Q(method=""),
                name="confirmation_method_when_confirmed",
            ),
            models.CheckConstraint(
                condition=~Q(method="building_head") | Q(confirmed_by__isnull=False),
                name="confirmation_head_is_known",
            ),
        ]

    def __str__(self):
        # Never the code: whoever has it can confirm the service.
        return f"#{self.record_id} {self.method or '-'}"
