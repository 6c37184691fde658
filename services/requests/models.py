"""Residents' requests (民情日记) and the Party building heads (党员楼长) who help answer them.

The building head lives here rather than with the grid (communities.grid): the head is a confirmed member, a fact of
the registration side, which the base app must not import."""

import functools
import operator
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.grid.models import Building, Grid, grid_ids_of
from communities.models import Community, StaffAssignment
from registration.identity import mask_phone
from registration.models import Member

from . import handler_kinds
from .workflow import CLOCK_RUNS, CLOSED, OPEN, State


class Category(models.TextChoices):
    """The kinds of request; each has its resolution limit in days (settings.RESIDENT_REQUEST_LIMIT_DAYS)."""

    CONSULTATION = "consultation", _("consultation")
    HELP = "help", _("help")
    SUGGESTION = "suggestion", _("suggestion")
    COMPLAINT = "complaint", _("complaint")


class Channel(models.TextChoices):
    PUBLIC_PAGE = "public", _("the community's public page")
    BUILDING_HEAD = "building_head", _("recorded by a building head")
    STAFF = "staff", _("recorded by staff")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    FAIRLY = "fairly", _("fairly satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


# Counted as satisfied in 满意率 (docs/REQUESTS.md).
SATISFIED = frozenset({Satisfaction.SATISFIED, Satisfaction.FAIRLY})


class BuildingHead(models.Model):
    """党员楼长: a confirmed member of the building's community, assigned to it by community staff."""

    member = models.ForeignKey(Member, models.PROTECT, related_name="building_heads", verbose_name=_("member"))
    building = models.ForeignKey(Building, models.CASCADE, related_name="heads", verbose_name=_("building"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("assigned by")
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("building head")
        verbose_name_plural = _("building heads")
        constraints = [models.UniqueConstraint(fields=["building"], name="buildinghead_one_per_building")]

    def __str__(self):
        return f"{self.building} #{self.member_id}"


def building_ids_headed_by(user) -> frozenset:
    """The buildings this user heads (cached on the user for the request)."""
    cached = getattr(user, "_headed_building_ids_cache", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        ids = frozenset()
    else:
        ids = frozenset(BuildingHead.objects.filter(member__user=user).values_list("building_id", flat=True))
    user._headed_building_ids_cache = ids
    return ids


class BuildingVisit(models.Model):
    """A building head's visit to a household (入户走访): what was found, before anyone raised it."""

    building = models.ForeignKey(Building, models.CASCADE, related_name="visits", verbose_name=_("building"))
    head = models.ForeignKey(Member, models.PROTECT, related_name="building_visits", verbose_name=_("building head"))
    visited_on = models.DateField(_("date"))
    household = models.CharField(_("household"), max_length=50, help_text=_("The flat, e.g. 2-301."))
    found = models.TextField(_("what was found"), max_length=1000, blank=True)
    problem_found = models.BooleanField(_("a problem was found"), default=False)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("building visit")
        verbose_name_plural = _("building visits")
        ordering = ["-visited_on", "-pk"]

    def __str__(self):
        return f"{self.building} {self.household} {self.visited_on}"


def handed_to_bodies_of(user) -> list[Q]:
    """The requests handed to a body this user acts for (a team they lead, a company they are the contact of): one
    condition per registered kind, each with a subquery, no query of its own."""
    return [
        Q(handler_kind=kind.key, handler_body_id__in=kind.bodies_acted_for(user).values("pk"))
        for kind in handler_kinds.kinds()
    ]


class ResidentRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN)

    def closed(self):
        return self.filter(state__in=CLOSED)

    def overdue(self, now):
        """Open, its clock running, past its resolution limit."""
        return self.filter(state__in=CLOCK_RUNS, resolution_due_at__lt=now)

    def handed_to(self, user, *filters: Q):
        """The requests handed to a body this user acts for (as listed_for: one index per kind)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self._any_listed(handed_to_bodies_of(user), filters)

    def visible_to(self, user):
        """The requests whose pages this user may open (visible_parts): one condition, for one request or a few."""
        parts = self.visible_parts(user)
        if parts is None:
            return self
        return self.filter(functools.reduce(operator.or_, parts)) if parts else self.none()

    def listed_for(self, user, *filters: Q):
        """The same requests as visible_to, shaped for a list at a city's size: the ids of each part (with the list's
        filters) in a UNION, so that each part reads its own index. One OR of the parts' subqueries made PostgreSQL
        filter every open request of the city (200 ms at 1,000,000 requests) to list one community's."""
        parts = self.visible_parts(user)
        if parts is None:
            return self.filter(*filters)
        return self._any_listed(parts, filters)

    def _any_listed(self, parts: list[Q], filters) -> "ResidentRequestQuerySet":
        if not parts:
            return self.none()
        branches = [self.filter(part, *filters).order_by().values("pk") for part in parts]
        return self.filter(*filters, pk__in=branches[0].union(*branches[1:], all=True))

    def visible_parts(self, user) -> list[Q] | None:
        """The one rule of who sees a request, as the conditions any of which lets a user see it (None: every
        request): the staff of their places (community, street, district), the grid workers of their area, the
        building heads of their buildings, each request's handler, and whoever acts for the body it is handed to."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return []
        scope = StaffAssignment.objects.scope_for(user)
        if scope.sees_everything:
            return None
        parts = [Q(handler=user), *handed_to_bodies_of(user)]
        if scope.community_ids or scope.street_ids or scope.district_ids:
            parts.append(Q(community__in=Community.objects.visible_to(user)))
        grids = grid_ids_of(user)
        if grids:
            parts.append(Q(grid_id__in=grids))
        buildings = building_ids_headed_by(user)
        if buildings:
            parts.append(Q(building_id__in=buildings))
        return parts


class ResidentRequest(models.Model):
    """民情日记: one resident's request, opinion or complaint, from receipt to its answer, with its two clocks."""

    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    grid = models.ForeignKey(Grid, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("grid"))
    building = models.ForeignKey(
        Building, models.PROTECT, null=True, blank=True, related_name="requests", verbose_name=_("building")
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    text = models.TextField(_("what it is about"), max_length=2000)
    # For the answer only: masked everywhere but to the handler (phone_for).
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_requests",
        verbose_name=_("handler"),
    )
    # Or a body handles it (a service team, the property company): the kind's key (handler_kinds) and the body's id;
    # then `handler` is empty and the body's leader or contact acts for it.
    handler_kind = models.CharField(_("handling body's kind"), max_length=30, blank=True, default="")
    handler_body_id = models.PositiveIntegerField(_("handling body"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RECEIVED)
    # The resident's link to follow the request (no login): unguessable, never listed anywhere.
    token = models.CharField(_("tracking token"), max_length=43, unique=True, editable=False)
    received_at = models.DateTimeField(_("received at"))
    first_response_due_at = models.DateTimeField(_("first response due"))
    resolution_due_at = models.DateTimeField(_("resolution due"))
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    # When it last reached a closed state (resolved, answered, referred, duplicate); cleared by a reopening.
    resolved_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Set while waiting for the resident: the time both clocks stopped.
    clock_stopped_at = models.DateTimeField(_("clock stopped at"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True)
    # The need posted on the needs list for members to meet it (need.resident_request is the way back).
    need = models.OneToOneField(
        "services.ServiceNeed",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident_request",
        verbose_name=_("need"),
    )
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    objects = ResidentRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident's request")
        verbose_name_plural = _("residents' requests")
        ordering = ["-received_at", "-pk"]
        indexes = [
            # The queues (a community's open items, newest first) and the figures (by place and period).
            models.Index(fields=["community", "state", "received_at"], name="request_queue_idx"),
            models.Index(fields=["grid", "state", "received_at"], name="request_grid_queue_idx"),
            models.Index(fields=["handler", "state"], name="request_handler_idx"),
            models.Index(fields=["handler_kind", "handler_body_id", "state"], name="request_body_handler_idx"),
            models.Index(fields=["state", "resolution_due_at"], name="request_overdue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="waiting") | Q(clock_stopped_at__isnull=False), name="request_waiting_stops_clock"
            ),
            # A body is a kind and an id together, and a request has one handler: a person or a body, never both.
            models.CheckConstraint(
                condition=Q(handler_kind="", handler_body_id__isnull=True)
                | (~Q(handler_kind="") & Q(handler_body_id__isnull=False, handler__isnull=True)),
                name="request_one_handler",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_category_display()}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def handled_by_body(self) -> bool:
        return bool(self.handler_kind)

    def acts_as_handler(self, user) -> bool:
        """The handler, or the leader or contact of the body handling it (one query then)."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        if self.handler_id is not None:
            return user.pk == self.handler_id
        kind = handler_kinds.get(self.handler_kind)
        return kind is not None and kind.bodies_acted_for(user).filter(pk=self.handler_body_id).exists()

    def phone_for(self, user) -> str:
        """The full phone for the handler only (they call the resident back; for a body, its leader or contact);
        masked for everyone else."""
        return self.phone if self.acts_as_handler(user) else self.phone_masked


class RequestEvent(models.Model):
    """One change of a request: the state it went to, the public note the resident reads, who and when."""

    request = models.ForeignKey(ResidentRequest, models.CASCADE, related_name="events", verbose_name=_("request"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    note = models.TextField(_("public note"), max_length=1000)
    # Null for the resident (from the tracking page, no login).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    occurred_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["occurred_at", "pk"]

    def __str__(self):
        return f"#{self.request_id} {self.state}"
