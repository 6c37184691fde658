"""The reminder machinery every app's rules share (DESIGN §4 flow 5): the clock, the keys, batches and ranges
of primary keys, staff by place, and the weekly or yearly digest to unit liaisons.

Every rule takes `now` (an aware datetime, an ISO string or None for the clock) so that tests and
`manage.py run_job ... --now 2026-12-05` can move the clock, and returns how many reminders it sent.
Candidates are chosen with set-based queries (EXISTS, GROUP BY, window functions); reminders already sent
are left out before anything is written (by NOT EXISTS in the digests' queries, by one probe of the keys'
unique index per chunk elsewhere: communities.notifications.not_yet_reminded), so a second run writes nothing.
The reminders of a chunk are stored together through communities.notifications.remind_many. The rules
themselves live in their apps and are registered with communities.platform.jobs.reminder_rule.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import CharField, Count, Exists, F, OuterRef, Value, Window
from django.db.models.functions import Cast, Concat, RowNumber
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import ReminderSent, StaffAssignment
from .notifications import Message, Reminder, remind_many

# Rows read per query when walking candidates in primary-key order.
BATCH_SIZE = 1000
# Names listed per unit in a liaison's digest; the rest are counted and one link away.
DIGEST_NAMES_LIMIT = 50


# --- Time ---------------------------------------------------------------------------------------------


def resolve_now(value=None) -> datetime.datetime:
    """An aware datetime from None (the clock), a date, a datetime or an ISO string ("2026-12-05" is
    local midnight). Tasks take the ISO string, so that a job and its chunks share one clock."""
    if value is None:
        return timezone.now()
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    elif not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time.min)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def day_start(day: datetime.date) -> datetime.datetime:
    """Local midnight at the start of `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def iso_week(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- Keys and batches -----------------------------------------------------------------------------------


def keyed(prefix: str, field: str):
    """SQL for f"{prefix}{outer row's field}", to compare with ReminderSent's period or recipient."""
    return Concat(Value(prefix), Cast(OuterRef(field), output_field=CharField()), output_field=CharField())


def already_reminded(*, kind: str, period, recipient) -> Exists:
    """EXISTS a ReminderSent key for the outer row (period and recipient: strings or `keyed` expressions).
    Filtering on its negation keeps a repeated run from even trying again; remind_many still decides. For
    the digests, whose keys are a few thousand a period; chunks over the whole city use not_yet_reminded."""
    return Exists(ReminderSent.objects.filter(kind=kind, period=period, recipient=recipient))


def pk_batches(queryset, size: int = BATCH_SIZE):
    """Yield lists of up to `size` rows in primary-key order, one query each (keyset pagination: no
    OFFSET, no cursor held open while the caller writes)."""
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        batch = list(page[:size])
        if batch:
            yield batch
        if len(batch) < size:
            return
        last = batch[-1].pk


def pk_ranges(low, high, size: int) -> list[tuple[int, int]]:
    """Half-open [start, end) ranges covering low..high."""
    if low is None:
        return []
    return [(start, min(start + size, high + 1)) for start in range(low, high + 1, size)]


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


def staff_by_place(*, role: str, place_field: str, place_ids):
    """{place id: [user, ...]} of active users holding `role` for those places, in one query."""
    assignments = StaffAssignment.objects.filter(
        role=role, user__is_active=True, **{f"{place_field}__in": place_ids}
    ).select_related("user")
    found = defaultdict(list)
    for assignment in assignments.order_by("user_id"):
        found[getattr(assignment, f"{place_field}_id")].append(assignment.user)
    return found


def first_names_by_unit(people, *, unit_ids, limit: int | None = None, extra=()) -> dict:
    """{unit id: [(name, *extra), ...]}: the first `limit` (DIGEST_NAMES_LIMIT) people of each unit by name,
    in one query."""
    limit = limit or DIGEST_NAMES_LIMIT
    ranked = (
        people.filter(unit_id__in=unit_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("unit_id")], order_by=[F("name").asc(), F("pk").asc()]))
        .filter(rank__lte=limit)
        .values_list("unit_id", "name", *extra)
        .order_by("unit_id", "rank")
    )
    found = defaultdict(list)
    for unit_id, *row in ranked:
        found[unit_id].append(tuple(row))
    return found


def send_unit_digests(*, kind: str, period: str, people, title: str, section, link_for, extra=()) -> int:
    """One digest per unit liaison per period about `people` (a Member or RosterEntry queryset with
    unit_id and name) of the liaison's units: a count and the first names per unit, never ID numbers
    or phones. `section(unit, count, rows)` writes one unit's part from rows of (name, *extra);
    `link_for(unit_ids)` gives the link.

    Reads: the liaisons not yet reminded (first, so that a run after everyone heard costs one small
    query), the counts per unit, the names: three queries whatever the number of people; writes: one
    remind_many for all the liaisons."""
    waiting = StaffAssignment.objects.filter(role=StaffAssignment.Role.UNIT_LIAISON, user__is_active=True).filter(
        ~already_reminded(kind=kind, period=period, recipient=keyed("user:", "user_id"))
    )
    assignments = list(waiting.select_related("unit").order_by("user_id", "unit__name"))
    if not assignments:
        return 0
    waiting_units = waiting.values("unit_id")  # a subquery: no list of thousands of ids
    counts = dict(
        people.filter(unit_id__in=waiting_units)
        .order_by()
        .values("unit_id")
        .annotate(count=Count("pk"))
        .values_list("unit_id", "count")
    )
    if not counts:
        return 0
    rows = first_names_by_unit(people, unit_ids=waiting_units, extra=extra)
    assignments = [assignment for assignment in assignments if assignment.unit_id in counts]
    by_user = defaultdict(list)
    for assignment in assignments:
        by_user[assignment.user_id].append(assignment)
    digests = []
    with translation.override(settings.LANGUAGE_CODE):
        for user_id, user_assignments in by_user.items():
            units = [assignment.unit for assignment in user_assignments]
            body = "\n\n".join(section(unit, counts[unit.pk], rows.get(unit.pk, [])) for unit in units)
            message = Message(title=title, body=body, link=link_for([unit.pk for unit in units]), user_id=user_id)
            digests.append(Reminder(period=period, recipient=user_key(user_id), message=message))
    return remind_many(kind=kind, reminders=digests)


def name_list(names, count: int) -> str:
    """The names listed, and how many more there are beyond them."""
    listed = "、".join(names)
    more = count - len(names)
    if more > 0:
        return _("%(names)s and %(count)d more") % {"names": listed, "count": more}
    return listed
