"""Reminders of the registration side (DESIGN §4 flow 5): rules 1 and 2, on the machinery of
communities.reminders.

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
from django.db.models import Count, Exists, Max, Min, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.models import Notification, StaffAssignment
from communities.notifications import Message, Reminder, not_yet_reminded, remind_many
from communities.reminders import (
    already_reminded,
    day_start,
    iso_week,
    keyed,
    name_list,
    pk_ranges,
    resolve_now,
    send_unit_digests,
    user_key,
)

from .models import Member, Report, RosterEntry

UNREGISTERED_SMS = "roster-unregistered"
UNREGISTERED_DIGEST = "roster-unregistered-digest"
PENDING_REPORTS = "reports-pending"
ONCE = "once"

# Roster entries per chunk task: one set-based select, then at most this many SMS stored with a few
# multi-row INSERTs (the chunk's rows and messages are held in memory: a few MB).
ROSTER_CHUNK_SIZE = 5000


def roster_key(entry_id: int) -> str:
    return f"roster:{entry_id}"


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
