"""The table of the export approvals: one request for a full export, its decision and its use."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community


class ExportRequest(models.Model):
    """申请导出完整信息: who asked for which place's full export and why; who decided, when and with what note; how
    often the approved file was downloaded. The approval lapses EXPORT_APPROVAL_HOURS after the decision and after
    EXPORT_APPROVAL_DOWNLOADS downloads."""

    class Kind(models.TextChoices):
        MEMBER_LEDGER = "member-ledger", _("Ledger of in-service Party members")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.MEMBER_LEDGER)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    downloads = models.PositiveSmallIntegerField(_("downloads"), default=0)

    class Meta:
        verbose_name = _("full export request")
        verbose_name_plural = _("full export requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # A double submit, or a second tab, makes no second request while one waits.
            models.UniqueConstraint(
                fields=["requester", "community", "kind"],
                condition=Q(status="pending"),
                name="exportrequest_one_pending",
            ),
            # Two people: whoever decides is never the requester, whatever code writes the row.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requester")),
                name="exportrequest_not_self_decided",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="exportrequest_decision_complete",
            ),
        ]
        indexes = [models.Index(fields=["community", "status"], name="exportrequest_place_idx")]

    def __str__(self):
        return f"{self.kind} {self.community_id} ({self.status})"

    @property
    def expires_at(self):
        if self.status != self.Status.APPROVED:
            return None
        return self.decided_at + timedelta(hours=settings.EXPORT_APPROVAL_HOURS)

    @property
    def downloads_left(self) -> int:
        return max(settings.EXPORT_APPROVAL_DOWNLOADS - self.downloads, 0)

    def usable(self, *, now=None) -> bool:
        """Approved, not yet lapsed, downloads left."""
        return (
            self.status == self.Status.APPROVED
            and (now or timezone.now()) < self.expires_at
            and self.downloads < settings.EXPORT_APPROVAL_DOWNLOADS
        )
