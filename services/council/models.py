"""The four-party council (四方议事会) of a community: its parties and members, topics, meetings with attendance per
party and each party's position on each topic, and resolutions carried out by an executor (usually the property
company) up to the residents' acceptance (docs/COUNCIL.md)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from registration.identity import mask_phone

from .workflow import MeetingStatus, ResolutionStatus, TopicStatus


class Party(models.TextChoices):
    BRANCH = "branch", _("community Party organisation")
    RESIDENTS = "residents", _("residents' representatives")
    PROPERTY = "property", _("property company")
    STAFF = "staff", _("community staff")


class Position(models.TextChoices):
    FOR = "for", _("for")
    AGAINST = "against", _("against")
    ABSTAIN = "abstain", _("abstains")
    ABSENT = "absent", _("absent")


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Photos live under PRIVATE_MEDIA_ROOT, outside the web root and with no URL: only a view that checks scope
    reads them (services.council.views.photo). The setting is read at each use, so tests may point it elsewhere."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; the council's photo view serves them.")


private_storage = PrivateStorage()


class PropertyCompany(models.Model):
    """物业公司: an organisation that may manage several communities; its contact logs in to see what is handed
    to it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="property_companies",
        verbose_name=_("contact's account"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Council(models.Model):
    community = models.OneToOneField(Community, models.PROTECT, related_name="council", verbose_name=_("community"))
    property_company = models.ForeignKey(
        PropertyCompany, models.PROTECT, null=True, blank=True, related_name="councils",
        verbose_name=_("property company"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("councils")

    def __str__(self):
        return f"#{self.pk} ({self.community_id})"


class CouncilMember(models.Model):
    """A person sitting for one party. Residents' representatives and the property company's people get an account
    that sees this council only (policies: a council membership, no staff assignment)."""

    council = models.ForeignKey(Council, models.CASCADE, related_name="members", verbose_name=_("council"))
    party = models.CharField(_("party"), max_length=20, choices=Party.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="council_memberships", verbose_name=_("account")
    )
    # For the meeting notices by SMS; masked on every page.
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("council member")
        verbose_name_plural = _("council members")
        ordering = ["party", "pk"]
        constraints = [models.UniqueConstraint(fields=["council", "user"], name="councilmember_once_per_council")]

    def __str__(self):
        return f"{self.council_id} {self.party} #{self.user_id}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class Topic(models.Model):
    class Source(models.TextChoices):
        STAFF = "staff", _("community staff")
        PARTY = "party", _("a party of the council")
        REQUEST = "request", _("a resident's request")

    council = models.ForeignKey(Council, models.PROTECT, related_name="topics", verbose_name=_("council"))
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    raised_party = models.CharField(_("raised by party"), max_length=20, choices=Party.choices, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("raised by")
    )
    resident_request = models.OneToOneField(
        "resident_requests.ResidentRequest", models.SET_NULL, null=True, blank=True, related_name="council_topic",
        verbose_name=_("resident's request"),
    )
    status = models.CharField(_("status"), max_length=20, choices=TopicStatus.choices, default=TopicStatus.PROPOSED)
    created_at = models.DateTimeField(_("raised at"))

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["council", "status"], name="council_topic_status_idx")]

    def __str__(self):
        return self.title


class Meeting(models.Model):
    council = models.ForeignKey(Council, models.PROTECT, related_name="meetings", verbose_name=_("council"))
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=100)
    status = models.CharField(
        _("status"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.ANNOUNCED
    )
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("announced by")
    )
    announced_at = models.DateTimeField(_("announced at"))
    held_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), max_length=10000, blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["council", "starts_at"], name="council_meeting_idx")]

    def __str__(self):
        return f"#{self.pk} {self.starts_at:%Y-%m-%d}"


class Attendance(models.Model):
    """A member present at a meeting; the party is copied so that a later change of party keeps the record true."""

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="attendance", verbose_name=_("meeting"))
    member = models.ForeignKey(CouncilMember, models.PROTECT, related_name="+", verbose_name=_("member"))
    party = models.CharField(_("party"), max_length=20, choices=Party.choices)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once_per_meeting")]

    def __str__(self):
        return f"{self.meeting_id} {self.member_id}"


class AgendaItem(models.Model):
    """A topic on a meeting's agenda, and what the meeting decided about it."""

    class Outcome(models.TextChoices):
        PENDING = "", _("not decided yet")
        PASSED = "passed", _("passed")
        REJECTED = "rejected", _("not passed")
        DEFERRED = "deferred", _("deferred")

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="items", verbose_name=_("meeting"))
    topic = models.ForeignKey(Topic, models.PROTECT, related_name="agenda_items", verbose_name=_("topic"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True, default="")
    deferred_reason = models.TextField(_("why it was deferred"), max_length=1000, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "topic"], name="agendaitem_once_per_meeting"),
            models.CheckConstraint(condition=~Q(outcome="deferred") | ~Q(deferred_reason=""),
                                   name="agendaitem_deferred_has_reason"),
        ]

    def __str__(self):
        return f"{self.meeting_id}/{self.topic_id}"


class PartyPosition(models.Model):
    """Where one party stood on one agenda item (absent when none of its members was present)."""

    item = models.ForeignKey(AgendaItem, models.CASCADE, related_name="positions", verbose_name=_("agenda item"))
    party = models.CharField(_("party"), max_length=20, choices=Party.choices)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)

    class Meta:
        verbose_name = _("party's position")
        verbose_name_plural = _("parties' positions")
        constraints = [models.UniqueConstraint(fields=["item", "party"], name="position_once_per_party")]

    def __str__(self):
        return f"{self.item_id} {self.party} {self.position}"


class ResolutionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=(ResolutionStatus.IN_PROGRESS, ResolutionStatus.SENT_BACK))


class Resolution(models.Model):
    """决议: what a meeting passed on a topic, carried out by an executor (a property company, whose contact acts for
    it, or one person) by a due date; a timeline of updates (as Decidim's accountability results)."""

    item = models.OneToOneField(AgendaItem, models.PROTECT, related_name="resolution", verbose_name=_("agenda item"))
    council = models.ForeignKey(Council, models.PROTECT, related_name="resolutions", verbose_name=_("council"))
    topic = models.ForeignKey(Topic, models.PROTECT, related_name="resolutions", verbose_name=_("topic"))
    text = models.TextField(_("resolution"), max_length=2000)
    executor_company = models.ForeignKey(
        PropertyCompany, models.PROTECT, null=True, blank=True, related_name="resolutions",
        verbose_name=_("executing company"),
    )
    executor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="council_resolutions",
        verbose_name=_("executing person"),
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=20, choices=ResolutionStatus.choices, default=ResolutionStatus.IN_PROGRESS
    )
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    decided_at = models.DateTimeField(_("decided at"))
    # The last report of the work done (cleared when the representatives send it back): "on time" reads it.
    done_at = models.DateTimeField(_("reported done at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    objects = ResolutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="council_resolution_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(executor_company__isnull=False, executor_user__isnull=True)
                | Q(executor_company__isnull=True, executor_user__isnull=False),
                name="resolution_one_executor",
            ),
            models.CheckConstraint(condition=Q(percent__lte=100), name="resolution_percent_at_most_100"),
        ]

    def __str__(self):
        return f"#{self.pk}"


class ResolutionUpdate(models.Model):
    """One dated entry of a resolution's timeline: the executor's progress (percentage, note, photos) or the
    representatives' acceptance or sending back (with the reason)."""

    resolution = models.ForeignKey(Resolution, models.CASCADE, related_name="updates", verbose_name=_("resolution"))
    status = models.CharField(_("status"), max_length=20, choices=ResolutionStatus.choices)
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    note = models.TextField(_("note"), max_length=1000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("resolution update")
        verbose_name_plural = _("resolution updates")
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(percent__lte=100), name="update_percent_at_most_100")]

    def __str__(self):
        return f"{self.resolution_id} {self.status} {self.percent}"


class ProgressPhoto(models.Model):
    update = models.ForeignKey(ResolutionUpdate, models.CASCADE, related_name="photos", verbose_name=_("update"))
    file = models.FileField(_("photo"), storage=private_storage, upload_to="council/%Y/%m/", max_length=200)
    content_type = models.CharField(_("type"), max_length=30)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("progress photo")
        verbose_name_plural = _("progress photos")
        ordering = ["pk"]

    def __str__(self):
        return f"#{self.pk}"
