"""Reminders of the registration side (DESIGN §4 flow 5): rules 1 and 2, and the helpers the services
app's reminders share.

1. Roster members not registered REMINDER_UNREGISTERED_AFTER_DAYS days after their entry was added: one SMS
   per roster entry (period "once"), and a weekly digest (period ISO week, "2026-W47") to each unit liaison.
2. Reports pending confirmation for more than REMINDER_PENDING_REPORT_DAYS days: a daily digest (period the
   local date, "2026-11-20") to each staff member of the communities concerned.

Every function takes `now` (an aware datetime, an ISO string or None for the clock) so that tests and
`manage.py run_job ... --now 2026-12-05` can move the clock, and returns how many reminders it sent.
Candidates are chosen with set-based queries (EXISTS, GROUP BY, window functions); reminders already sent
are left out before anything is written (by NOT EXISTS in the digests' queries, by one probe of the keys'
unique index per chunk elsewhere: not_yet_reminded), so a second run writes nothing. The reminders of a chunk
are stored together through communities.notifications.remind_many: their unique keys in one
INSERT ... ON CONFLICT DO NOTHING, which makes a repeated or overlapping run send nothing twice, and the
notifications of exactly the keys it wrote in one more, so the statements of a chunk do not grow with
its people (docs/REMINDERS.md).
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import CharField, Count, Exists, F, Max, Min, OuterRef, Value, Window
from django.db.models.functions import Cast, Concat, RowNumber
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.models import Notification, ReminderSent, StaffAssignment
from communities.notifications import Message, Reminder, not_yet_reminded, remind_many

from .models import Member, Report, RosterEntry

UNREGISTERED_SMS = "roster-unregistered"
UNREGISTERED_DIGEST = "roster-unregistered-digest"
PENDING_REPORTS = "reports-pending"
ONCE = "once"

# Roster entries per chunk task: one set-based select, then at most this many SMS stored with a few
# multi-row INSERTs (the chunk's rows and messages are held in memory: a few MB).
ROSTER_CHUNK_SIZE = 5000
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


def roster_key(entry_id: int) -> str:
    return f"roster:{entry_id}"


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


# --- Rule 1: roster members not registered ------------------------------------------------------------------


def _unregistered_cutoff(now) -> datetime.datetime:
    # Added on day D, reminded from day D + N: added before the start of (today − N + 1).
    days = settings.REMINDER_UNREGISTERED_AFTER_DAYS
    return day_start(timezone.localdate(now) - datetime.timedelta(days=days - 1))


def unregistered_roster_due(*, now):
    """Roster entries added on or before today − REMINDER_UNREGISTERED_AFTER_DAYS whose person has not
    registered (no member linked to the entry)."""
    return RosterEntry.objects.filter(created_at__lt=_unregistered_cutoff(now)).filter(
        ~Exists(Member.objects.filter(roster_entry=OuterRef("pk")))
    )


def unregistered_roster_ranges(*, now=None, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """The primary-key ranges [start, end) that cover every roster entry old enough to be reminded:
    one aggregate query; each range is then one chunk task."""
    entries = RosterEntry.objects.filter(created_at__lt=_unregistered_cutoff(resolve_now(now)))
    bounds = entries.aggregate(low=Min("pk"), high=Max("pk"))
    return pk_ranges(bounds["low"], bounds["high"], chunk_size or ROSTER_CHUNK_SIZE)


def remind_unregistered_roster_range(*, start_pk: int, end_pk: int, now=None) -> int:
    """SMS to the roster phone of each unregistered, due entry with start_pk <= pk < end_pk, once per
    entry ever (kind "roster-unregistered", period "once", recipient "roster:<pk>"). Entries without a
    phone are skipped. One transaction per range: delivery is queued when it commits, as delivery tasks
    of DELIVERY_BATCH_SIZE notification ids.

    Queries: the due entries, the keys already written among them (not_yet_reminded), then remind_many's
    multi-row INSERTs (keys, notifications: two per thousand)."""
    now = resolve_now(now)
    entries = list(
        unregistered_roster_due(now=now)
        .filter(pk__gte=start_pk, pk__lt=end_pk)
        .exclude(phone="")
        .order_by("pk")
        .values_list("pk", "name", "phone", "unit__name")
    )
    entries = not_yet_reminded(kind=UNREGISTERED_SMS, items=entries, key=lambda entry: (ONCE, roster_key(entry[0])))
    link = reverse("registration:register")
    sms = []
    with translation.override(settings.LANGUAGE_CODE):
        for pk, name, phone, unit_name in entries:
            title = _(
                "%(name)s, you are on the reporting roster of %(unit)s: please register and report to a community."
            ) % {"name": name, "unit": unit_name}
            message = Message(title=title, link=link, phone=phone, channels=(Notification.Channel.SMS,))
            sms.append(Reminder(period=ONCE, recipient=roster_key(pk), message=message))
    return remind_many(kind=UNREGISTERED_SMS, reminders=sms)


def remind_unregistered_roster(*, now=None) -> int:
    """Rule 1's SMS over the whole roster in this process, range by range (the task fans the ranges out
    to chunk tasks instead)."""
    now = resolve_now(now)
    return sum(
        remind_unregistered_roster_range(start_pk=start, end_pk=end, now=now)
        for start, end in unregistered_roster_ranges(now=now)
    )


def remind_unregistered_to_liaisons(*, now=None) -> int:
    """A weekly digest (period the ISO week) to each unit liaison listing the unit's roster members not
    registered after REMINDER_UNREGISTERED_AFTER_DAYS days: names only. Goes out on the first run of
    each week. Returns how many liaisons were reminded."""
    now = resolve_now(now)
    days = settings.REMINDER_UNREGISTERED_AFTER_DAYS

    def section(unit, count, rows):
        return (
            _("%(unit)s: %(count)d people on the roster have not registered %(days)d days after being added:")
            % {"unit": unit.name, "count": count, "days": days}
            + "\n"
            + name_list([row[0] for row in rows], count)
        )

    def link_for(unit_ids):
        if len(unit_ids) == 1:
            return reverse("registration:unit-roster", args=[unit_ids[0]]) + "?status=not_registered"
        return reverse("registration:unit-home")

    with translation.override(settings.LANGUAGE_CODE):
        title = _("Weekly: people on your roster who have not registered")
    return send_unit_digests(
        kind=UNREGISTERED_DIGEST,
        period=iso_week(timezone.localdate(now)),
        people=unregistered_roster_due(now=now),
        title=title,
        section=section,
        link_for=link_for,
    )


# --- Rule 2: reports pending confirmation -----------------------------------------------------------------


def remind_pending_reports(*, now=None) -> int:
    """A daily digest (period the local date) to each active staff member (role "community") of every
    community with reports pending for more than REMINDER_PENDING_REPORT_DAYS days: per community, how
    many and since when. One message per person per day, whatever the number of communities.

    Queries: staff not yet reminded today, figures per community (two), then remind_many's multi-row
    INSERTs (two per thousand people)."""
    now = resolve_now(now)
    days = settings.REMINDER_PENDING_REPORT_DAYS
    period = timezone.localdate(now).isoformat()
    overdue = Report.objects.filter(status=Report.Status.PENDING, submitted_at__lt=now - datetime.timedelta(days=days))
    assignments = list(
        StaffAssignment.objects.filter(
            role=StaffAssignment.Role.COMMUNITY_STAFF,
            user__is_active=True,
            community_id__in=overdue.values("community_id"),
        )
        .filter(~already_reminded(kind=PENDING_REPORTS, period=period, recipient=keyed("user:", "user_id")))
        .select_related("community")
        .order_by("user_id", "community__name")
    )
    if not assignments:
        return 0
    figures = {
        row["community_id"]: row
        for row in overdue.filter(community_id__in={assignment.community_id for assignment in assignments})
        .order_by()
        .values("community_id")
        .annotate(count=Count("pk"), oldest=Min("submitted_at"))
    }
    by_user = defaultdict(list)
    for assignment in assignments:
        by_user[assignment.user_id].append(assignment)
    link = reverse("registration:report-queue")
    digests = []
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Reports waiting for your confirmation")
        for user_id, user_assignments in by_user.items():
            lines = []
            for assignment in user_assignments:
                row = figures.get(assignment.community_id)
                if row is None:  # confirmed between the two queries
                    continue
                lines.append(
                    _("%(community)s: %(count)d reports pending over %(days)d days, the oldest since %(date)s.")
                    % {
                        "community": assignment.community.name,
                        "count": row["count"],
                        "days": days,
                        "date": timezone.localdate(row["oldest"]).isoformat(),
                    }
                )
            if not lines:
                continue
            message = Message(title=title, body="\n".join(lines), link=link, user_id=user_id)
            digests.append(Reminder(period=period, recipient=user_key(user_id), message=message))
    return remind_many(kind=PENDING_REPORTS, reminders=digests)
