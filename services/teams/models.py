"""Service teams (党员志愿服务队, 组团式服务): a community's team of members with one speciality, a leader and
members who apply and are accepted (or join an open team). A team takes on work as one unit: its leader assigns
members to the places of a need (their claims) or of an activity (their sign-ups), through the services of
those apps; the rows here only say which claims and sign-ups were the team's, so that the team's figures are
the same records as its members' (selectors.team_records)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from registration.models import Member, Skill
from services.activities.models import Activity, SignUp
from services.models import Claim


class Team(models.Model):
    """党员志愿服务队: a community's team."""

    community = models.ForeignKey(Community, models.PROTECT, related_name="teams", verbose_name=_("community"))
    name = models.CharField(_("name"), max_length=50)
    speciality = models.ForeignKey(Skill, models.PROTECT, related_name="teams", verbose_name=_("speciality"))
    leader = models.ForeignKey(Member, models.PROTECT, related_name="teams_led", verbose_name=_("leader"))
    description = models.TextField(_("description"), max_length=1000, blank=True)
    is_open = models.BooleanField(
        _("open team"), default=False, help_text=_("Members of the community join without the leader's approval.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="team_unique_name")]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A member's place in a team: applied, accepted (a member of it), declined or left (history)."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("applied")
        ACCEPTED = "accepted", _("member")
        DECLINED = "declined", _("declined")
        LEFT = "left", _("left")

    team = models.ForeignKey(Team, models.CASCADE, related_name="memberships", verbose_name=_("team"))
    member = models.ForeignKey(Member, models.PROTECT, related_name="team_memberships", verbose_name=_("member"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPLIED)
    created_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            # Declined and left are history; the member may apply again.
            models.UniqueConstraint(
                fields=["team", "member"], condition=Q(status__in=["applied", "accepted"]),
                name="membership_one_current",
            ),
        ]
        indexes = [models.Index(fields=["member", "status"], name="membership_member_idx")]

    def __str__(self):
        return f"{self.team_id}/{self.member_id}"


class TeamClaim(models.Model):
    """A claim the team's leader made for a member of the team (the team claimed the need as one unit)."""

    team = models.ForeignKey(Team, models.PROTECT, related_name="claims", verbose_name=_("team"))
    claim = models.OneToOneField(Claim, models.PROTECT, related_name="team_claim", verbose_name=_("claim"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("assigned by")
    )
    created_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        verbose_name = _("team claim")
        verbose_name_plural = _("team claims")

    def __str__(self):
        return f"{self.team_id}/{self.claim_id}"


class TeamSignUp(models.Model):
    """A sign-up the team's leader made for a member of the team (the team signed up as one unit)."""

    team = models.ForeignKey(Team, models.PROTECT, related_name="signups", verbose_name=_("team"))
    signup = models.OneToOneField(SignUp, models.PROTECT, related_name="team_signup", verbose_name=_("sign-up"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("assigned by")
    )
    created_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        verbose_name = _("team sign-up")
        verbose_name_plural = _("team sign-ups")

    def __str__(self):
        return f"{self.team_id}/{self.signup_id}"


class TeamActivity(models.Model):
    """An activity the team organises: created by its leader, who organises it (publishes, shows the code,
    closes) as community staff do (policy activities.manage_activity)."""

    team = models.ForeignKey(Team, models.PROTECT, related_name="organised", verbose_name=_("team"))
    activity = models.OneToOneField(
        Activity, models.CASCADE, related_name="organising_team", verbose_name=_("activity")
    )

    class Meta:
        verbose_name = _("team's activity")
        verbose_name_plural = _("teams' activities")

    def __str__(self):
        return f"{self.team_id}/{self.activity_id}"
