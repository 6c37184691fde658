"""Members and reporting: users, the roster (应报到名单), the member ledger and reports (报到)."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community, StaffAssignment, Unit

from .identity import decrypt_id_number, mask_phone


class User(AbstractUser):
    """The account. Members log in with their mobile number as the username."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.username


class Skill(models.Model):
    """A special skill (个人特长) a member offers and a need may ask for: 社区所需, 党员所长."""

    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProtectedIdNumber(models.Model):
    """The ID card number stored three ways: encrypted, keyed hash (unique), mask for display.

    No column holds the plain number; see registration.identity.protect_id_number.
    """

    id_number_encrypted = models.TextField(_("ID card number (encrypted)"), editable=False)
    id_number_hash = models.CharField(_("ID card number (keyed hash)"), max_length=64, unique=True, editable=False)
    id_number_mask = models.CharField(_("ID card number"), max_length=18, editable=False)

    class Meta:
        abstract = True

    @property
    def id_number(self):
        """The full number: only for the member themself or a recorded, in-scope action."""
        return decrypt_id_number(self.id_number_encrypted)

    @property
    def phone_masked(self):
        return mask_phone(self.phone)


class RosterEntry(ProtectedIdNumber):
    """One person a unit says must report: the denominator of every reporting rate."""

    unit = models.ForeignKey(Unit, models.PROTECT, related_name="roster_entries", verbose_name=_("unit"))
    name = models.CharField(_("name"), max_length=50)
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    # 应报到社区: where the member is expected to report. Left empty by the unit, it is filled with
    # the community of the member's first report so that every entry counts somewhere.
    community = models.ForeignKey(
        Community,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="roster_entries",
        verbose_name=_("expected community"),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        indexes = [models.Index(fields=["created_at"], name="rosterentry_created_idx")]

    def __str__(self):
        return self.name


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Members this user may see: reporting to a community in scope, or of a unit in scope."""
        if StaffAssignment.objects.scope_for(user).sees_everything:
            return self
        in_communities = Report.objects.filter(
            community__in=Community.objects.visible_to(user),
            status__in=[Report.Status.PENDING, Report.Status.CONFIRMED],
        ).values("member_id")
        return self.filter(Q(pk__in=in_communities) | Q(unit__in=Unit.objects.visible_to(user)))


class Member(ProtectedIdNumber):
    """在职党员: the ledger's seven clear items (七清楚), linked to a login and a roster entry."""

    class Gender(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    user = models.OneToOneField("User", models.PROTECT, related_name="member", verbose_name=_("user"))
    roster_entry = models.OneToOneField(
        RosterEntry, models.SET_NULL, null=True, blank=True, related_name="member", verbose_name=_("roster entry")
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_on = models.DateField(_("birth date"))
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="members", verbose_name=_("unit"))
    position = models.CharField(_("current position"), max_length=100)
    skills = models.ManyToManyField(Skill, blank=True, related_name="members", verbose_name=_("skills"))
    specialty = models.CharField(_("special skills"), max_length=200, blank=True)
    service_wishes = models.CharField(_("service wishes"), max_length=200, blank=True)
    home_address = models.CharField(_("home address"), max_length=200)
    phone = models.CharField(_("mobile phone"), max_length=11, unique=True)
    privacy_notice_version = models.CharField(_("privacy notice version"), max_length=20)
    consented_at = models.DateTimeField(_("consented at"))
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    # Set when the member withdrew: the personal fields were erased then; service records stay.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # A separate consent (PIPL arts. 25, 29) to be named on the community's public board: when it was given, or
    # None (never given, or withdrawn by the member: registration.services.public_listing_set).
    public_listing_consented_at = models.DateTimeField(_("listed on the public board since"), null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            # The ledger's order: a wide scope's page walks it and stops after a page of rows instead of sorting.
            models.Index(fields=["name", "id"], name="member_ledger_order_idx"),
        ]

    def __str__(self):
        return self.name


class Report(models.Model):
    """报到: a member reporting to a community.

    A member has at most one confirmed report (the active one) and at most one pending report; a
    pending report beside a confirmed one is a change of community, and confirming it ends the old one.
    Rejected and ended reports are kept as history.
    """

    class Kind(models.TextChoices):
        RESIDENCE = "residence", _("place of residence")
        UNIT_LINKED = "unit_linked", _("unit-linked community")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")
        ENDED = "ended", _("ended")

    member = models.ForeignKey(Member, models.PROTECT, related_name="reports", verbose_name=_("member"))
    community = models.ForeignKey(Community, models.PROTECT, related_name="reports", verbose_name=_("community"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RESIDENCE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    letter_number = models.CharField(_("introduction letter number"), max_length=20, unique=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "User", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(status="confirmed"), name="report_one_confirmed_per_member"
            ),
            models.UniqueConstraint(
                fields=["member"], condition=Q(status="pending"), name="report_one_pending_per_member"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""), name="report_rejection_has_reason"
            ),
        ]
        indexes = [
            # The staff queue (pending, oldest first) and the rate roll-ups (confirmed per community).
            models.Index(fields=["community", "status", "submitted_at"], name="report_queue_idx"),
            models.Index(fields=["status", "decided_at"], name="report_status_decided_idx"),
        ]

    def __str__(self):
        return self.letter_number

    @property
    def is_active(self):
        return self.status == self.Status.CONFIRMED

    @property
    def kind_label(self):
        """get_kind_display() without its cost (it hashes every choice's lazy label): the queue shows it per row."""
        return self.Kind(self.kind).label
