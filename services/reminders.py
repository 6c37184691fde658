"""Reminders of the services side (DESIGN §4 flow 5): rules 3, 4 and 5.

3. Claims in progress with no service record REMINDER_CLAIM_NO_RECORD_DAYS days after their need ended:
   to the member's inbox, once per claim (period "claim:<id>").
4. Published needs with free places REMINDER_UNCLAIMED_NEED_DAYS days before their start: to each staff
   member of the need's community, once per need (period "need:<id>").
5. Shortfall: members with a confirmed report and fewer verified hours this year than
   SERVICE_MINIMUM_YEARLY_HOURS, once REMINDER_SHORTFALL_DAYS_LEFT or fewer days of the year are left
   (31 December − today, so from 1 December with the default 30): to the member, and a list to each unit
   liaison, each once per year (period "2026").

Same contract as registration.reminders, on the machinery of communities.reminders: functions take `now`,
return how many reminders went out, choose candidates with set-based queries that leave out reminders already
sent, and store the reminders of a batch or chunk together through remind_many.
"""

import datetime
from dataclasses import replace
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db.models import DecimalField, Exists, F, Max, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.models import StaffAssignment
from communities.notifications import Message, Reminder, not_yet_reminded, remind_many
from communities.reminders import (
    day_start,
    name_list,
    pk_batches,
    pk_ranges,
    resolve_now,
    send_unit_digests,
    staff_by_place,
    user_key,
)
from registration.models import Member, Report

from .models import Claim, ServiceNeed, ServiceRecord

CLAIM_NO_RECORD = "claim-no-record"
NEED_UNCLAIMED = "need-unclaimed"
SHORTFALL = "shortfall"
SHORTFALL_LIST = "shortfall-list"

# Members per chunk task of the shortfall reminder: one select, then at most this many inbox messages
# stored with a few multi-row INSERTs.
MEMBER_CHUNK_SIZE = 5000
# Needs per batch of rule 4 (the IN lists of a batch stay short).
NEED_BATCH_SIZE = 500


# --- Rule 3: claims with no service record ------------------------------------------------------------------


def claims_without_record_due(*, now):
    """Claims in progress whose need ended on or before today − REMINDER_CLAIM_NO_RECORD_DAYS and that have
    no service record other than rejected ones."""
    today = timezone.localdate(now)
    cutoff = day_start(today - datetime.timedelta(days=settings.REMINDER_CLAIM_NO_RECORD_DAYS - 1))
    return Claim.objects.filter(
        status=Claim.Status.ACTIVE, need__ends_at__lt=cutoff, member__user__is_active=True
    ).filter(~Exists(ServiceRecord.objects.filter(claim=OuterRef("pk")).exclude(status=ServiceRecord.Status.REJECTED)))


def remind_claims_without_record(*, now=None) -> int:
    """Remind each member, in their inbox, of each claim still in progress with no record, once per
    claim (kind "claim-no-record", period "claim:<id>", recipient "user:<id>").

    Queries per thousand claims: the claims, the keys already written among them (not_yet_reminded), then
    remind_many's two multi-row INSERTs (one transaction)."""
    now = resolve_now(now)
    claims = (
        claims_without_record_due(now=now)
        .select_related("need__community", "member")
        .only("pk", "member__user_id", "need__title", "need__ends_at", "need__community__name")
    )
    record_link = reverse("services:record-create")
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for batch in pk_batches(claims):
            waiting = not_yet_reminded(
                kind=CLAIM_NO_RECORD,
                items=batch,
                key=lambda claim: (f"claim:{claim.pk}", user_key(claim.member.user_id)),
            )
            batch_reminders = []
            for claim in waiting:
                need = claim.need
                message = Message(
                    title=_("Log your service for %(need)s") % {"need": need.title},
                    body=_(
                        "%(need)s of %(community)s ended on %(date)s and your claim has no service "
                        "record yet. Log what you did; if you could not serve, tell the community's staff."
                    )
                    % {
                        "need": need.title,
                        "community": need.community.name,
                        "date": timezone.localdate(need.ends_at).isoformat(),
                    },
                    link=f"{record_link}?claim={claim.pk}",
                    user_id=claim.member.user_id,
                )
                batch_reminders.append(
                    Reminder(period=f"claim:{claim.pk}", recipient=user_key(claim.member.user_id), message=message)
                )
            sent += remind_many(kind=CLAIM_NO_RECORD, reminders=batch_reminders)
    return sent


# --- Rule 4: needs with free places near their start ----------------------------------------------------


def unclaimed_needs_due(*, now):
    """Published needs with free places that start after `now` and on or before today +
    REMINDER_UNCLAIMED_NEED_DAYS."""
    today = timezone.localdate(now)
    window_end = day_start(today + datetime.timedelta(days=settings.REMINDER_UNCLAIMED_NEED_DAYS + 1))
    return ServiceNeed.objects.filter(
        status=ServiceNeed.Status.PUBLISHED,
        claimed_count__lt=F("places"),
        starts_at__gt=now,
        starts_at__lt=window_end,
    )


def remind_unclaimed_needs(*, now=None) -> int:
    """Tell each active staff member (role "community") of the need's community that it still has free
    places, once per need and person (kind "need-unclaimed", period "need:<id>", recipient "user:<id>").

    Queries per batch of 500 needs: the needs, their staff, the keys already written (three), then
    remind_many's two multi-row INSERTs."""
    now = resolve_now(now)
    needs = unclaimed_needs_due(now=now).select_related("community")
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for batch in pk_batches(needs, size=NEED_BATCH_SIZE):
            staff = staff_by_place(
                role=StaffAssignment.Role.COMMUNITY_STAFF,
                place_field="community",
                place_ids={need.community_id for need in batch},
            )
            waiting = not_yet_reminded(
                kind=NEED_UNCLAIMED,
                items=[(need, user) for need in batch for user in staff.get(need.community_id, [])],
                key=lambda pair: (f"need:{pair[0].pk}", user_key(pair[1].pk)),
            )
            batch_reminders = []
            for need, pairs in groupby(waiting, key=itemgetter(0)):
                message = Message(
                    title=_("%(need)s still has %(left)d free places") % {"need": need.title, "left": need.places_left},
                    body=_("%(need)s of %(community)s starts at %(start)s with %(taken)d of %(places)d places taken.")
                    % {
                        "need": need.title,
                        "community": need.community.name,
                        "start": timezone.localtime(need.starts_at).strftime("%Y-%m-%d %H:%M"),
                        "taken": need.claimed_count,
                        "places": need.places,
                    },
                    link=reverse("services:staff-need-detail", args=[need.pk]),
                )
                for _need, user in pairs:
                    personal = replace(message, user_id=user.pk)
                    batch_reminders.append(
                        Reminder(period=f"need:{need.pk}", recipient=user_key(user.pk), message=personal)
                    )
            sent += remind_many(kind=NEED_UNCLAIMED, reminders=batch_reminders)
    return sent


# --- Rule 5: shortfall of verified hours ------------------------------------------------------------------


def shortfall_window_open(today: datetime.date) -> bool:
    """Whether REMINDER_SHORTFALL_DAYS_LEFT or fewer days of the year are left after today."""
    return (datetime.date(today.year, 12, 31) - today).days <= settings.REMINDER_SHORTFALL_DAYS_LEFT


def minimum_hours() -> Decimal:
    return Decimal(str(settings.SERVICE_MINIMUM_YEARLY_HOURS))


def shortfall_members(*, year: int):
    """Active members with a confirmed report whose verified hours served in `year` are below the minimum,
    annotated with `verified_hours` (one correlated SUM per member over servicerecord_member_idx)."""
    hours = ServiceRecord.objects.verified_in_year(year).hours_of_outer_member()
    decimal = DecimalField(max_digits=7, decimal_places=1)
    return (
        Member.objects.filter(user__is_active=True)
        .filter(Exists(Report.objects.filter(member=OuterRef("pk"), status=Report.Status.CONFIRMED)))
        .annotate(
            verified_hours=Coalesce(Subquery(hours, output_field=decimal), Value(Decimal("0")), output_field=decimal)
        )
        .filter(verified_hours__lt=minimum_hours())
    )


def shortfall_member_ranges(*, now=None, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """Member primary-key ranges [start, end) for the chunk tasks; none outside the window."""
    if not shortfall_window_open(timezone.localdate(resolve_now(now))):
        return []
    bounds = Member.objects.aggregate(low=Min("pk"), high=Max("pk"))
    return pk_ranges(bounds["low"], bounds["high"], chunk_size or MEMBER_CHUNK_SIZE)


def remind_shortfall_members_range(*, start_pk: int, end_pk: int, now=None) -> int:
    """Tell each member with start_pk <= pk < end_pk who is short of the yearly minimum, once per year
    (kind "shortfall", period the year, recipient "user:<id>"). Nothing outside the window.

    Queries: the members short of hours, the keys already written among them (not_yet_reminded), then
    remind_many's multi-row INSERTs (two per thousand), in one transaction."""
    now = resolve_now(now)
    today = timezone.localdate(now)
    if not shortfall_window_open(today):
        return 0
    period = str(today.year)
    members = list(
        shortfall_members(year=today.year)
        .filter(pk__gte=start_pk, pk__lt=end_pk)
        .order_by("pk")
        .values_list("user_id", "verified_hours")
    )
    members = not_yet_reminded(kind=SHORTFALL, items=members, key=lambda member: (period, user_key(member[0])))
    minimum = minimum_hours()
    days_left = (datetime.date(today.year, 12, 31) - today).days
    link = reverse("services:need-board")
    shortfall = []
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Your service hours this year are below the minimum")
        for user_id, verified_hours in members:
            body = _(
                "You have %(hours)s verified hours of service this year; the minimum is %(minimum)s hours and "
                "%(days)d days of the year are left. Claim a need on the board and log your service."
            ) % {"hours": f"{verified_hours:.1f}", "minimum": f"{minimum:.1f}", "days": days_left}
            message = Message(title=title, body=body, link=link, user_id=user_id)
            shortfall.append(Reminder(period=period, recipient=user_key(user_id), message=message))
    return remind_many(kind=SHORTFALL, reminders=shortfall)


def remind_shortfall_members(*, now=None) -> int:
    """Rule 5 for members over the whole ledger in this process, range by range (the task fans the ranges
    out to chunk tasks instead)."""
    now = resolve_now(now)
    return sum(
        remind_shortfall_members_range(start_pk=start, end_pk=end, now=now)
        for start, end in shortfall_member_ranges(now=now)
    )


def remind_shortfall_to_liaisons(*, now=None) -> int:
    """A list, once per year (period the year), to each unit liaison of the unit's members short of the
    minimum: names and verified hours. Nothing outside the window. Returns how many liaisons."""
    now = resolve_now(now)
    today = timezone.localdate(now)
    if not shortfall_window_open(today):
        return 0
    minimum = minimum_hours()

    def section(unit, count, rows):
        return (
            _("%(unit)s: %(count)d members have fewer than %(minimum)s verified hours this year:")
            % {"unit": unit.name, "count": count, "minimum": f"{minimum:.1f}"}
            + "\n"
            + name_list([f"{name} ({hours:.1f})" for name, hours in rows], count)
        )

    with translation.override(settings.LANGUAGE_CODE):
        title = _("Members of your unit short of the yearly service hours")
    return send_unit_digests(
        kind=SHORTFALL_LIST,
        period=str(today.year),
        people=shortfall_members(year=today.year),
        title=title,
        section=section,
        link_for=lambda unit_ids: reverse("registration:unit-home"),
        extra=("verified_hours",),
    )
