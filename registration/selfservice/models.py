"""Tables of the self-service sub-domain: the history of a member's own data, and which details a returned
report's rejection named."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Unit
from registration.models import Member, Report


class ProfileChange(models.Model):
    """One change a member made to their own data (资料变更记录), kept for the member and the staff.

    Only the names of the fields changed are kept, and the unit moved from and to (an organisation, not personal
    data): never the old or new free text (an address, a position), so that the history holds no personal data
    beyond the member's row itself and nothing is left behind when the member withdraws consent.
    """

    class Source(models.TextChoices):
        PROFILE = "profile", _("own data page")
        CORRECTION = "correction", _("correction of a returned report")

    member = models.ForeignKey(Member, models.CASCADE, related_name="profile_changes", verbose_name=_("member"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("changed by")
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.PROFILE)
    fields = models.JSONField(_("fields changed"), default=list)
    unit_before = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit before")
    )
    unit_after = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit after")
    )
    # The report this change sent to staff: a correction sent again, or a unit-linked report to confirm again.
    report = models.ForeignKey(
        Report, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("report sent")
    )

    class Meta:
        verbose_name = _("change of own data")
        verbose_name_plural = _("changes of own data")
        indexes = [models.Index(fields=["member", "changed_at"], name="profilechange_member_idx")]

    def __str__(self):
        return f"{self.member_id} {self.changed_at:%Y-%m-%d}"


class ReturnedFields(models.Model):
    """The details a rejection names (registration.selfservice.fields.CORRECTABLE_FIELDS), so that the member's
    correction shows the staff's reason beside them. A rejection that names none concerns the report as a whole."""

    report = models.OneToOneField(
        Report, models.CASCADE, related_name="returned_fields", verbose_name=_("report")
    )
    fields = models.JSONField(_("fields named"), default=list)

    class Meta:
        verbose_name = _("details named by a rejection")
        verbose_name_plural = _("details named by rejections")

    def __str__(self):
        return f"{self.report_id}: {', '.join(self.fields)}"
