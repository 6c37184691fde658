"""Reads of the residents' requests: the queues, one request, the building head's page, and the figures (one
definition each, written in docs/REQUESTS.md)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from communities.grid.models import Building, grid_ids_of
from communities.models import Community

from . import handler_kinds
from .models import SATISFIED, BuildingVisit, Category, ResidentRequest, building_ids_headed_by
from .workflow import CLOCK_RUNS, OPEN, State


def queue(*, user, state: str = "", mine: bool = False):
    """The requests the user may see, newest first; `state` "open" or one state; `mine` only those they handle."""
    filters = []
    if state == "open":
        filters.append(Q(state__in=OPEN))
    elif state in State.values:
        filters.append(Q(state=state))
    if mine:
        filters.append(Q(handler=user))
    requests = ResidentRequest.objects.listed_for(user, *filters)
    return requests.select_related("community", "grid", "building", "handler").order_by("-received_at", "-pk")


def handed(*, user, state: str = "open"):
    """The requests handed to the bodies this user acts for (a team they lead, a company they are the contact of),
    the most urgent first; `state` "open", "closed" or one state."""
    filters = []
    if state == "open":
        filters.append(Q(state__in=OPEN))
    elif state == "closed":
        filters.append(~Q(state__in=OPEN))
    elif state in State.values:
        filters.append(Q(state=state))
    requests = ResidentRequest.objects.handed_to(user, *filters)
    order = ("resolution_due_at", "pk") if state == "open" else ("-received_at", "-pk")
    return requests.select_related("community", "building").order_by(*order)


def request_get(*, user, request_id: int) -> ResidentRequest:
    """One request the user may see (404 otherwise: its existence is not told)."""
    return get_object_or_404(
        ResidentRequest.objects.visible_to(user).select_related("community", "grid", "building", "handler"),
        pk=request_id,
    )


def request_get_by_token(*, token: str) -> ResidentRequest:
    return get_object_or_404(ResidentRequest.objects.select_related("community", "building"), token=token)


def public_events(request_obj):
    """What the resident reads: each change's state, note and time (never who did it)."""
    return request_obj.events.only("state", "note", "occurred_at").order_by("occurred_at", "pk")


def buildings_of(*, community):
    return Building.objects.filter(grid__community=community).select_related("grid").order_by("grid__name", "name")


def headed_buildings(*, user):
    return Building.objects.filter(pk__in=building_ids_headed_by(user)).select_related("grid__community")


def building_head_page(*, user, now):
    """The building head's buildings, the open requests there, recent visits and the quarter's coverage."""
    buildings = list(headed_buildings(user=user).order_by("name"))
    ids = [building.pk for building in buildings]
    quarter_start = _quarter_start(now.date() if isinstance(now, datetime.datetime) else now)
    since = timezone.make_aware(datetime.datetime.combine(quarter_start, datetime.time.min))
    # One read for the open requests and the quarter's first contacts (the card's time to first contact).
    requests = list(
        ResidentRequest.objects.filter(building_id__in=ids)
        .filter(Q(state__in=OPEN) | Q(received_at__gte=since, first_responded_at__isnull=False))
        .select_related("building")
        .order_by("resolution_due_at", "pk")
    )
    visits = BuildingVisit.objects.filter(building_id__in=ids).select_related("building")
    this_quarter = visits.filter(visited_on__gte=quarter_start)
    coverage = this_quarter.aggregate(
        households=Count("household", distinct=True), problems=Count("pk", filter=Q(problem_found=True))
    )
    coverage["households_total"] = sum(building.households for building in buildings)
    first_contact = median_first_contact(
        (item.received_at, item.first_responded_at)
        for item in requests
        if item.first_responded_at is not None and item.received_at >= since
    )
    # Shown in hours with one decimal ("—" when nothing was responded to this quarter).
    coverage["first_contact_hours"] = (
        None if first_contact is None else round(first_contact.total_seconds() / 3600, 1)
    )
    return {
        "buildings": buildings,
        "open_requests": [item for item in requests if item.state in OPEN],
        "visits": visits[:20],
        "coverage": coverage,
        "quarter_start": quarter_start,
    }


def median_first_contact(pairs) -> datetime.timedelta | None:
    """Time to first contact (the building head's coverage card): the median time from a request's receipt to its
    first response (the first change out of "received" by a handler, docs/REQUESTS.md), over (received_at,
    first_responded_at) pairs; None when there are none. The median, not the mean: one request forgotten for a
    week would otherwise hide a month of same-day calls."""
    waits = sorted(responded - received for received, responded in pairs)
    if not waits:
        return None
    middle = len(waits) // 2
    return waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2


def _quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# --- Figures ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The figures of a place and a period (docs/REQUESTS.md): counts, and the rates as fractions (None: nothing to
    count)."""

    received: int
    due_first_response: int
    responded_in_time: int
    resolved: int
    answered: int
    open_overdue: int
    rated: int
    satisfied: int
    overdue_now: int

    @staticmethod
    def _rate(part, whole):
        return None if not whole else part / whole

    @property
    def response_rate(self):
        """响应率: first responses within the limit ÷ requests due for a first response in the period."""
        return self._rate(self.responded_in_time, self.due_first_response)

    @property
    def resolution_rate(self):
        """解决率: resolved ÷ (resolved + answered not resolvable + open overdue), never ÷ closed only."""
        return self._rate(self.resolved, self.resolved + self.answered + self.open_overdue)

    @property
    def satisfaction_rate(self):
        """满意率: satisfied or fairly satisfied ÷ the residents who rated."""
        return self._rate(self.satisfied, self.rated)


def place_filter(*, community=None, street=None, district=None) -> Q:
    """The requests of one place; none given: the whole city."""
    if community is not None:
        return Q(community=community)
    if street is not None:
        return Q(community__street=street)
    if district is not None:
        return Q(community__district=district)
    return Q()


def _figure_counts(*, start, end, now) -> dict:
    """The counts behind the figures, as aggregate expressions (one definition for every grouping)."""
    horizon = min(end, now)
    # Due for a first response in the period: its due time is in the period, and has come (or it was responded).
    due_first = Q(first_response_due_at__gte=start, first_response_due_at__lt=end) & (
        Q(first_response_due_at__lte=now) | Q(first_responded_at__isnull=False)
    )
    closed_in_period = Q(resolved_at__gte=start, resolved_at__lt=end)
    # Open, clock running, whose resolution limit fell in the period and has passed.
    open_overdue = Q(state__in=CLOCK_RUNS, resolution_due_at__gte=start, resolution_due_at__lt=horizon)
    rated = Q(rated_at__gte=start, rated_at__lt=end)
    return {
        "received": Count("pk", filter=Q(received_at__gte=start, received_at__lt=end)),
        "due_first_response": Count("pk", filter=due_first),
        "responded_in_time": Count("pk", filter=due_first & Q(first_responded_at__lte=F("first_response_due_at"))),
        "resolved": Count("pk", filter=closed_in_period & Q(state=State.RESOLVED)),
        "answered": Count("pk", filter=closed_in_period & Q(state=State.ANSWERED)),
        "open_overdue": Count("pk", filter=open_overdue),
        "rated": Count("pk", filter=rated),
        "satisfied": Count("pk", filter=rated & Q(satisfaction__in=SATISFIED)),
        "overdue_now": Count("pk", filter=Q(state__in=CLOCK_RUNS, resolution_due_at__lt=now)),
    }


def _of_place(*, community=None, street=None, district=None, category: str = ""):
    requests = ResidentRequest.objects.filter(place_filter(community=community, street=street, district=district))
    return requests.filter(category=category) if category else requests


def figures(*, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime, community=None,
            street=None, district=None, category: str = "") -> Figures:
    """The figures of a community, street or district (or the city) for the period [start, end), as they stand at
    `now`; one aggregate query."""
    requests = _of_place(community=community, street=street, district=district, category=category)
    return Figures(**requests.aggregate(**_figure_counts(start=start, end=end, now=now)))


def figures_by_handler(*, start, end, now, **place) -> list[tuple[str, Figures]]:
    """The same figures per handler, a person or a body (a team, the property company: one handler each, whoever
    acts for it; requests with no handler yet under "—"), one grouped query (and one per kind of body for the
    names); busiest first."""
    rows = list(
        _of_place(**place)
        .order_by()
        .values("handler_id", "handler__full_name", "handler__username", "handler_kind", "handler_body_id")
        .annotate(**_figure_counts(start=start, end=end, now=now))
    )
    body_names = handler_kinds.names((row["handler_kind"], row["handler_body_id"]) for row in rows)
    found = []
    for row in rows:
        full_name, username = row.pop("handler__full_name"), row.pop("handler__username")
        row.pop("handler_id")
        body = (row.pop("handler_kind"), row.pop("handler_body_id"))
        name = body_names.get(body) or full_name or username or "—"
        figures_row = Figures(**row)
        if any(value for value in row.values()):
            found.append((name, figures_row))
    return sorted(found, key=lambda pair: (-pair[1].received, pair[0]))


def figures_by_community(*, start, end, now, **place) -> dict[int, Figures]:
    """The same figures per community of a place ({community id: Figures}; communities with no request are absent),
    one grouped query: the rows of a street's or district's table."""
    rows = _of_place(**place).order_by().values("community_id").annotate(
        **_figure_counts(start=start, end=end, now=now)
    )
    return {row.pop("community_id"): Figures(**row) for row in rows}


def figures_by_category(*, start, end, now, **place) -> list[tuple[str, Figures]]:
    """The same figures per category, every category listed (zeros where none), one grouped query: a district's
    year is read once, not once per category (bench/resident_requests.py)."""
    rows = _of_place(**place).order_by().values("category").annotate(**_figure_counts(start=start, end=end, now=now))
    found = {row.pop("category"): Figures(**row) for row in rows}
    none = Figures(**dict.fromkeys(Figures.__dataclass_fields__, 0))
    return [(label, found.get(value, none)) for value, label in Category.choices]


def figure_places(*, user):
    """The places whose figures a staff user reads, widest first: (kind, place) pairs."""
    from communities.models import District, StaffAssignment, Street

    scope = StaffAssignment.objects.scope_for(user)
    if scope.sees_everything:
        return [("city", None)]
    places = [("district", district) for district in District.objects.filter(pk__in=scope.district_ids)]
    places += [("street", street) for street in Street.objects.filter(pk__in=scope.street_ids)]
    # A grid worker reads the figures of the community of their area (figures carry no personal data).
    communities = Community.objects.filter(Q(pk__in=scope.community_ids) | Q(grids__pk__in=grid_ids_of(user)))
    places += [("community", community) for community in communities.distinct().order_by("code")]
    return places
