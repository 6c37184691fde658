"""The organisation side: places (district → street → community), units, pairings and staff scope."""

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .prepared import prepared


class District(models.Model):
    """区/县: the top of the three fixed levels."""

    code = models.CharField(_("code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Street(models.Model):
    """街道/镇."""

    district = models.ForeignKey(District, models.PROTECT, related_name="streets", verbose_name=_("district"))
    code = models.CharField(_("code"), max_length=9, unique=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["code"]

    def __str__(self):
        return self.name


class CommunityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The communities whose pages this user may open: the one scope rule for places."""
        scope = StaffAssignment.objects.scope_for(user)
        if scope.sees_everything:
            return self
        condition = (
            Q(pk__in=scope.community_ids) | Q(street_id__in=scope.street_ids) | Q(district_id__in=scope.district_ids)
        )
        if not (scope.community_ids or scope.street_ids or scope.district_ids):
            return self.none()
        return self.filter(condition)


def new_public_slug() -> str:
    """A community's public address (issue 19, finding 9): 22 random URL-safe characters, so that the pages that
    name members cannot be found by counting through the sequential codes."""
    return secrets.token_urlsafe(16)


class Community(models.Model):
    """社区/村居. Keeps its district as well as its street so that roll-ups need no extra join."""

    street = models.ForeignKey(Street, models.PROTECT, related_name="communities", verbose_name=_("street"))
    district = models.ForeignKey(
        District, models.PROTECT, related_name="communities", verbose_name=_("district"), editable=False
    )
    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50)
    address = models.CharField(_("office address"), max_length=200, blank=True)
    # In the poster's QR code and the staff's links; only a page reached by it lists who serves here.
    public_slug = models.CharField(
        _("public address"), max_length=22, unique=True, default=new_public_slug, editable=False
    )

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The district always follows the street; it is never chosen separately.
        self.district_id = Street.objects.values_list("district_id", flat=True).get(pk=self.street_id)
        super().save(*args, **kwargs)


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The units whose rosters and members this user may see."""
        scope = StaffAssignment.objects.scope_for(user)
        if scope.sees_everything:
            return self
        if not (scope.unit_ids or scope.district_ids):
            return self.none()
        return self.filter(Q(pk__in=scope.unit_ids) | Q(district_id__in=scope.district_ids))


class Unit(models.Model):
    """单位: a government office, public institution or enterprise, with its party organisation."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("government office")
        INSTITUTION = "institution", _("public institution")
        ENTERPRISE = "enterprise", _("enterprise")

    code = models.CharField(_("unit code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    party_organisation = models.CharField(_("party organisation"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GOVERNMENT)
    # Null for city-level units (市直单位); otherwise the district whose org department oversees it.
    district = models.ForeignKey(
        District, models.PROTECT, null=True, blank=True, related_name="units", verbose_name=_("district")
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Pairing(models.Model):
    """结对共建: a unit paired with a community."""

    unit = models.ForeignKey(Unit, models.CASCADE, related_name="pairings", verbose_name=_("unit"))
    community = models.ForeignKey(Community, models.CASCADE, related_name="pairings", verbose_name=_("community"))
    started_year = models.PositiveSmallIntegerField(_("year started"))

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        constraints = [
            models.UniqueConstraint(fields=["unit", "community"], name="pairing_unique_unit_community"),
        ]

    def __str__(self):
        return f"{self.unit_id} ↔ {self.community_id} ({self.started_year})"


@dataclass(frozen=True)
class Scope:
    """What one user may see, read once from their staff assignments."""

    sees_everything: bool = False
    roles: frozenset = field(default_factory=frozenset)
    district_ids: frozenset = field(default_factory=frozenset)
    street_ids: frozenset = field(default_factory=frozenset)
    community_ids: frozenset = field(default_factory=frozenset)
    unit_ids: frozenset = field(default_factory=frozenset)


@prepared
def _assignments_of(*, user_id: int):
    # Every logged-in page reads them: compiled once per process (communities.prepared).
    return StaffAssignment.objects.filter(user_id=user_id).values_list(
        "role", "district_id", "street_id", "community_id", "unit_id"
    )


class StaffAssignmentManager(models.Manager):
    def scope_for(self, user):
        """Return the user's Scope; cached on the user object for the length of a request."""
        cached = getattr(user, "_scope_cache", None)
        if cached is not None:
            return cached
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            scope = Scope()
        else:
            rows = _assignments_of(user_id=user.pk)
            roles = frozenset(row[0] for row in rows)
            city_wide = any(
                role == StaffAssignment.Role.ORG_DEPARTMENT and district is None for role, district, *_ in rows
            )

            def ids(index):
                return frozenset(row[index] for row in rows if row[index] is not None)

            scope = Scope(
                sees_everything=user.is_superuser or city_wide,
                roles=roles,
                district_ids=ids(1),
                street_ids=ids(2),
                community_ids=ids(3),
                unit_ids=ids(4),
            )
        user._scope_cache = scope
        return scope


class StaffAssignment(models.Model):
    """A user's role and the place or unit it covers. The only source of staff scope."""

    class Role(models.TextChoices):
        COMMUNITY_STAFF = "community", _("community staff")
        STREET_STAFF = "street", _("street staff")
        UNIT_LIAISON = "unit", _("unit liaison")
        ORG_DEPARTMENT = "org", _("organisation department")
        # 三权分立: three administrator roles, none covering a place, no account holding two of them or
        # any other role. The system administrator keeps accounts and settings, the security administrator
        # grants roles, the audit administrator reads the audit trail and changes nothing.
        SYSTEM_ADMIN = "system", _("system administrator")
        SECURITY_ADMIN = "security", _("security administrator")
        AUDIT = "audit", _("audit administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="staff_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    district = models.ForeignKey(
        District,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
        help_text=_("For the organisation department: leave empty for the whole city."),
    )
    street = models.ForeignKey(
        Street, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("street")
    )
    community = models.ForeignKey(
        Community, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("community")
    )
    unit = models.ForeignKey(Unit, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("unit"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = StaffAssignmentManager()

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        constraints = [
            # Each role names exactly the kind of place it covers, and nothing else.
            models.CheckConstraint(
                condition=(
                    Q(
                        role="community",
                        community__isnull=False,
                        street__isnull=True,
                        district__isnull=True,
                        unit__isnull=True,
                    )
                    | Q(
                        role="street",
                        street__isnull=False,
                        community__isnull=True,
                        district__isnull=True,
                        unit__isnull=True,
                    )
                    | Q(
                        role="unit",
                        unit__isnull=False,
                        community__isnull=True,
                        street__isnull=True,
                        district__isnull=True,
                    )
                    | Q(role="org", community__isnull=True, street__isnull=True, unit__isnull=True)
                    | Q(
                        role__in=["system", "security", "audit"],
                        community__isnull=True,
                        street__isnull=True,
                        district__isnull=True,
                        unit__isnull=True,
                    )
                ),
                name="staffassignment_scope_matches_role",
            ),
            # No account holds two administrator roles, even when two grants race (clean() covers the rest).
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role__in=["system", "security", "audit"]),
                name="staffassignment_one_administrator_role",
                violation_error_message=_("An account holds at most one administrator role."),
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} #{self.user_id}"

    def clean(self):
        """An administrator role is the account's only role, and never a superuser's (who holds every power)."""
        super().clean()
        if not self.user_id or not self.role:
            return
        others = StaffAssignment.objects.filter(user_id=self.user_id).exclude(pk=self.pk)
        if self.role in ADMINISTRATOR_ROLES:
            if self.user.is_superuser:
                raise ValidationError({"role": _("A superuser cannot hold an administrator role.")})
            if others.exists():
                raise ValidationError(
                    {"role": _("An administrator role must be the account's only role; remove its other roles first.")}
                )
        elif others.filter(role__in=ADMINISTRATOR_ROLES).exists():
            raise ValidationError({"role": _("This account holds an administrator role and can hold no other role.")})


ADMINISTRATOR_ROLES = frozenset(
    {StaffAssignment.Role.SYSTEM_ADMIN, StaffAssignment.Role.SECURITY_ADMIN, StaffAssignment.Role.AUDIT}
)


class AccountSession(models.Model):
    """Which server-side sessions belong to which account, so that a password change can end the others
    (Django's session hash only refuses them at their next request; this deletes them)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("user"))
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account session")
        verbose_name_plural = _("account sessions")

    def __str__(self):
        return f"#{self.user_id}"


class SecondFactorDevice(TOTPDevice):
    """django-otp's TOTP device under a name of our own, for the admin page where the security administrator
    resets an account's second factor (communities.second_factor holds the rules)."""

    class Meta:
        proxy = True
        verbose_name = _("second-factor device")
        verbose_name_plural = _("second-factor devices")


class ExportRecord(models.Model):
    """Every export of personal data or figures: who, when, what, with which filters, how many rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="export_records", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=50)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    full_values = models.BooleanField(_("unmasked personal data"), default=False)
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("export record")
        verbose_name_plural = _("export records")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} #{self.user_id} {self.row_count}"


class Notification(models.Model):
    """One message to one person on one channel: the in-app inbox, email or SMS, with its delivery status.

    SMS to people without an account (roster members who have not registered) carry the phone only.
    """

    class Channel(models.TextChoices):
        INBOX = "inbox", _("in-app inbox")
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("to be sent")
        # Handed to the gateway or mail server, the outcome not yet written: a crash leaves at most this one in doubt.
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("user"),
    )
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.INBOX)
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=4000, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # When delivery last took it in hand (marked sending, or queued again by the outbox): the outbox's clock.
    claimed_at = models.DateTimeField(_("taken for delivery at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "channel", "read_at"], name="notification_inbox_idx"),
            models.Index(fields=["status", "channel"], name="notification_outbox_idx"),
        ]

    def __str__(self):
        return self.title


class ReminderSent(models.Model):
    """The key that makes every reminder go out at most once per person, kind and period.

    Written in the same transaction as the reminder's notifications: a job that runs twice or overlaps
    with itself meets the unique constraint instead of sending again.
    """

    kind = models.CharField(_("kind"), max_length=40)
    period = models.CharField(_("period"), max_length=20)
    recipient = models.CharField(_("recipient"), max_length=80)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["kind", "period", "recipient"], name="remindersent_once_per_period")
        ]

    def __str__(self):
        return f"{self.kind} {self.period} {self.recipient}"


class AuditEvent(models.Model):
    """One entry of the audit trail: who (and in which roles, from which address) did what to which object,
    and how it ended. Written by `communities.audit.audit` only.

    Evidence: append-only on PostgreSQL (a trigger refuses UPDATE and DELETE, except the purge's deletion of
    rows older than 180 days and the user column set to null when a user is deleted), kept
    AUDIT_RETENTION_DAYS (at least 180). Holds no personal data beyond a masked username: objects are named by
    type and id, never by a person's name, ID number or phone.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")
        REFUSED = "refused", _("refused")

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # A name declared in communities.platform.audit_actions by the app that writes it.
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=100, blank=True)
    outcome = models.CharField(_("result"), max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["action", "-occurred_at"], name="auditevent_action_time_idx")]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.outcome}"
