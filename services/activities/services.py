"""Writes for activities: create (with recurrence), publish, cancel, sign up, cancel a sign-up, check in and out,
close. One transaction per operation.

Lock order, wherever two rows are locked: the activity, then sign-ups (by position, then primary key), then
members (by primary key). Only the row itself is locked (`of=("self",)`). Places are counted in
Activity.signed_up_count under the activity's row lock, backed by a check constraint; a scan locks only the
member's sign-up, so five hundred members checking in at once never queue behind one row.
"""

import datetime
from decimal import ROUND_DOWN, Decimal

from dateutil import rrule
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Max, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit, audit_attempt, ref
from communities.models import Community
from communities.notifications import notify
from communities.platform import policies
from registration.models import Member, Report
from services.models import HOURS_STEP, MAX_HOURS_PER_DAY, OutcomeCategory, ServiceRecord
from services.points import record_points
from services.selectors import summary_changed

from . import codes, states
from .audit_actions import Action
from .models import Activity, ActivitySeries, CheckIn, SignUp

Status = Activity.Status
SignUpStatus = SignUp.Status
Kind = CheckIn.Kind
Method = CheckIn.Method

ACTIVITY_FIELDS = (
    "title",
    "description",
    "post_type",
    "place",
    "starts_at",
    "ends_at",
    "places",
    "signup_deadline",
    "cancel_cutoff",
    "contact",
)
# Sign-ups holding a place: counted in Activity.signed_up_count.
PLACE_HOLDING = (SignUpStatus.SIGNED_UP, SignUpStatus.ATTENDED, SignUpStatus.NO_SHOW)
ACTIVE = (SignUpStatus.SIGNED_UP, SignUpStatus.WAITING)
MAX_PLACES = 1000
MAX_OCCURRENCES = 52
# Check-in opens this long before the start; check-out closes this long after the end (or at closing).
CHECKIN_OPENS_BEFORE = datetime.timedelta(minutes=30)
CHECKOUT_CLOSES_AFTER = datetime.timedelta(hours=1)
# A second scan of the same kind by the same member within this many seconds is the same scan.
DUPLICATE_SECONDS = 60
# Wrong codes a member may type for one activity within WRONG_CODE_WINDOW before being stopped for it.
WRONG_CODE_LIMIT = 10
WRONG_CODE_WINDOW = 600
REASON_MAX_LENGTH = CheckIn._meta.get_field("reason").max_length


def min_presence() -> Decimal:
    """The share of the scheduled time a member must be present for hours to be credited (0.6 by default)."""
    return Decimal(str(settings.ACTIVITY_MIN_PRESENCE))


def _require_organiser(user, activity: Activity):
    """The activity's community staff, or whom another app declares an organiser of it (a team's leader)."""
    if not policies.allowed("activities.manage_activity", user, activity):
        raise PermissionDenied


# --- Creating, publishing, cancelling -----------------------------------------------------------------------------


def _check_values(values: dict, *, now):
    unknown = set(values) - set(ACTIVITY_FIELDS)
    if unknown:
        raise TypeError(f"not fields of an activity: {sorted(unknown)}")
    values.setdefault("signup_deadline", None)
    values.setdefault("cancel_cutoff", None)
    values["signup_deadline"] = values["signup_deadline"] or values["starts_at"]
    values["cancel_cutoff"] = values["cancel_cutoff"] or values["starts_at"]
    errors = {}
    if values["starts_at"] <= now:
        errors["starts_at"] = _("The start must be in the future.")
    if values["ends_at"] <= values["starts_at"]:
        errors["ends_at"] = _("The end must be after the start.")
    elif values["ends_at"] - values["starts_at"] > datetime.timedelta(hours=int(MAX_HOURS_PER_DAY)):
        errors["ends_at"] = _("An activity lasts at most 12 hours; make a series for longer work.")
    if not 1 <= values["places"] <= MAX_PLACES:
        errors["places"] = _("From 1 to %(max)s places.") % {"max": MAX_PLACES}
    if values["signup_deadline"] > values["starts_at"]:
        errors["signup_deadline"] = _("The sign-up deadline cannot be after the start.")
    if values["cancel_cutoff"] > values["starts_at"]:
        errors["cancel_cutoff"] = _("The cancellation cut-off cannot be after the start.")
    if errors:
        raise ValidationError(errors)


def occurrence_starts(*, starts_at: datetime.datetime, frequency: str, occurrences: int) -> list[datetime.datetime]:
    """The starts of a series, in local time (a weekly 09:00 stays at 09:00). A monthly series on the 29th to
    31st skips the months without that day, as dateutil's rrule does."""
    if frequency == "":
        return [starts_at]
    local = timezone.localtime(starts_at)
    freq = {ActivitySeries.Frequency.WEEKLY: rrule.WEEKLY, ActivitySeries.Frequency.MONTHLY: rrule.MONTHLY}[frequency]
    naive = local.replace(tzinfo=None)
    # rrule drops the microseconds; they are put back so that the first occurrence is the start given.
    return [
        timezone.make_aware(start.replace(microsecond=naive.microsecond))
        for start in rrule.rrule(freq, dtstart=naive, count=occurrences)
    ]


def activity_create(
    *, user, community: Community, frequency: str = "", occurrences: int = 1, **values
) -> list[Activity]:
    """Create an activity as a draft, or with `frequency` (weekly, monthly) `occurrences` drafts, each its own
    activity with its own sign-ups (the end, deadline and cut-off keep their distance to the start). Returns the
    activities by start. Allowed to the community's staff and to whom another app lets create there (a team's
    leader: services.teams links what is created to the team in the same transaction).
    Raises PermissionDenied, ValidationError."""
    if not policies.allowed("activities.create_activity_in", user, community):
        raise PermissionDenied
    now = timezone.now()
    _check_values(values, now=now)
    if frequency and frequency not in ActivitySeries.Frequency.values:
        raise ValidationError({"frequency": _("Choose weekly or monthly.")})
    if not 1 <= occurrences <= MAX_OCCURRENCES or (not frequency and occurrences != 1):
        raise ValidationError({"occurrences": _("From 1 to %(max)s occurrences.") % {"max": MAX_OCCURRENCES}})
    starts = occurrence_starts(starts_at=values["starts_at"], frequency=frequency, occurrences=occurrences)
    offsets = {name: values[name] - values["starts_at"] for name in ("ends_at", "signup_deadline", "cancel_cutoff")}
    with transaction.atomic():
        series = None
        if frequency:
            series = ActivitySeries.objects.create(community=community, frequency=frequency, occurrences=len(starts))
        rows = [
            Activity(
                community=community,
                created_by=user,
                series=series,
                **{**values, "starts_at": start, **{name: start + delta for name, delta in offsets.items()}},
            )
            for start in starts
        ]
        return Activity.objects.bulk_create(rows)


def _activity_locked(activity_id: int) -> Activity:
    return Activity.objects.select_for_update(of=("self",)).select_related("community").get(pk=activity_id)


def activity_publish(*, user, activity_id: int) -> Activity:
    """Draft → published: members of the community see it and may sign up. Audited."""
    with audit_attempt(action=Action.ACTIVITY_PUBLISH, user=user, obj=ref(Activity, activity_id)):
        with transaction.atomic():
            activity = _activity_locked(activity_id)
            _require_organiser(user, activity)
            if activity.starts_at <= timezone.now():
                raise ValidationError(_("The start has passed; this activity can no longer be published."))
            states.change(activity, Status.PUBLISHED)
            activity.published_at = timezone.now()
            activity.save(update_fields=["status", "published_at"])
            audit(action=Action.ACTIVITY_PUBLISH, user=user, obj=activity,
                  detail={"community_id": activity.community_id})
    return activity


def activity_cancel(*, user, activity_id: int) -> Activity:
    """Draft or published → cancelled; every member signed up or waiting is told. Audited."""
    with audit_attempt(action=Action.ACTIVITY_CANCEL, user=user, obj=ref(Activity, activity_id)):
        with transaction.atomic():
            activity = _activity_locked(activity_id)
            _require_organiser(user, activity)
            if states.shown_status(activity) != activity.status:
                raise ValidationError(_("The activity has started; it can no longer be cancelled."))
            states.change(activity, Status.CANCELLED)
            activity.save(update_fields=["status"])
            told = SignUp.objects.filter(activity=activity, status__in=ACTIVE).select_related("member__user")
            for signup in told:
                _tell(signup, _("%(title)s is cancelled.") % {"title": activity.title},
                      _("The community has cancelled the activity of %(date)s.")
                      % {"date": timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M")})
            audit(action=Action.ACTIVITY_CANCEL, user=user, obj=activity,
                  detail={"community_id": activity.community_id})
    return activity


def _tell(signup: SignUp, title: str, body: str = ""):
    notify(
        kind="activity", title=title, body=body, user=signup.member.user,
        link=reverse("activities:detail", args=[signup.activity_id]),
    )


# --- Sign-ups -----------------------------------------------------------------------------------------------------


def may_take_part(member: Member, community: Community) -> bool:
    """Members take part in the activities of the community their confirmed report is with."""
    return Report.objects.filter(member=member, community=community, status=Report.Status.CONFIRMED).exists()


def signup_create(*, member: Member, activity_id: int) -> SignUp:
    """Sign up for a published activity before its deadline: a place while there is one, else the next turn on
    the waiting list. Two members racing for the last place get one place and one turn on the list: the activity
    row is locked before places are counted, and a check constraint backs the count.
    Raises ValidationError (not open, deadline passed, not reported here, already signed up)."""
    with transaction.atomic():
        activity = _activity_locked(activity_id)
        now = timezone.now()
        if activity.status != Status.PUBLISHED or states.shown_status(activity, now) != Status.PUBLISHED:
            raise ValidationError(_("This activity is not open for sign-up."))
        if now > activity.signup_deadline:
            raise ValidationError(_("The sign-up deadline has passed."))
        if not may_take_part(member, activity.community):
            raise ValidationError(_("You can sign up for the activities of the community you have reported to."))
        if SignUp.objects.filter(activity=activity, member=member).exclude(
            status__in=(SignUpStatus.CANCELLED, SignUpStatus.LATE_CANCELLED)
        ).exists():
            raise ValidationError(_("You have already signed up for this activity."))
        if activity.signed_up_count < activity.places:
            signup = SignUp.objects.create(activity=activity, member=member, status=SignUpStatus.SIGNED_UP)
            Activity.objects.filter(pk=activity.pk).update(signed_up_count=F("signed_up_count") + 1)
        else:
            position = activity.last_position + 1
            signup = SignUp.objects.create(
                activity=activity, member=member, status=SignUpStatus.WAITING, position=position
            )
            Activity.objects.filter(pk=activity.pk).update(last_position=position)
    return signup


def signup_cancel(*, member: Member, activity_id: int) -> SignUp:
    """Cancel the member's sign-up (or their turn on the waiting list) before the start. After the cancellation
    cut-off it is recorded as late. A place given back goes to the first member waiting, who is told.
    Raises SignUp.DoesNotExist (no active sign-up), ValidationError (started)."""
    with transaction.atomic():
        activity = _activity_locked(activity_id)
        signup = (
            SignUp.objects.select_for_update(of=("self",))
            .filter(activity=activity, member=member, status__in=ACTIVE)
            .get()
        )
        now = timezone.now()
        if now >= activity.starts_at or activity.status not in (Status.PUBLISHED, Status.DRAFT):
            raise ValidationError(_("The activity has started; the sign-up can no longer be cancelled."))
        held_place = signup.status == SignUpStatus.SIGNED_UP
        late = held_place and now > activity.cancel_cutoff
        signup.status = SignUpStatus.LATE_CANCELLED if late else SignUpStatus.CANCELLED
        signup.cancelled_at = now
        signup.save(update_fields=["status", "cancelled_at"])
        if held_place:
            Activity.objects.filter(pk=activity.pk).update(signed_up_count=F("signed_up_count") - 1)
            _move_up_first_waiting(activity, now=now)
    return signup


def _move_up_first_waiting(activity: Activity, *, now) -> SignUp | None:
    """The first member waiting takes the free place and is told (the activity row is locked by the caller)."""
    first = (
        SignUp.objects.select_for_update(of=("self",))
        .filter(activity=activity, status=SignUpStatus.WAITING)
        .select_related("member__user")
        .order_by("position", "pk")
        .first()
    )
    if first is None:
        return None
    first.status = SignUpStatus.SIGNED_UP
    first.moved_up_at = now
    first.save(update_fields=["status", "moved_up_at"])
    Activity.objects.filter(pk=activity.pk).update(signed_up_count=F("signed_up_count") + 1)
    _tell(
        first,
        _("A place on %(title)s is yours.") % {"title": activity.title},
        _("A place became free and you were first on the waiting list. If you cannot come, cancel so that the "
          "next member can."),
    )
    return first


# --- Check-in and check-out ---------------------------------------------------------------------------------------


def checkin_open(activity: Activity, *, kind: str, now) -> bool:
    """Scans are taken from CHECKIN_OPENS_BEFORE the start until CHECKOUT_CLOSES_AFTER the end (check-in until the
    end), on a published or running activity."""
    if activity.status not in (Status.PUBLISHED, Status.RUNNING):
        return False
    closes = activity.ends_at if kind == Kind.ENTRY else activity.ends_at + CHECKOUT_CLOSES_AFTER
    return activity.starts_at - CHECKIN_OPENS_BEFORE <= now <= closes


def _record_scan(*, activity: Activity, member_id: int, kind: str, method: str, now, reason: str = "",
                 recorded_by=None) -> tuple[CheckIn, bool]:
    """Write one scan for the member's sign-up, unless the same scan (same kind, within DUPLICATE_SECONDS) is
    already there: then that one and False. Locks the sign-up row only."""
    if not checkin_open(activity, kind=kind, now=now):
        raise ValidationError(_("Check-in for this activity is not open now."))
    signup = (
        SignUp.objects.select_for_update(of=("self",))
        .filter(activity=activity, member_id=member_id, status=SignUpStatus.SIGNED_UP)
        .first()
    )
    if signup is None:
        raise ValidationError(_("Only members with a place on this activity can check in."))
    scans = CheckIn.objects.filter(signup=signup).order_by("-at", "-pk")
    if kind == Kind.EXIT and not scans.filter(kind=Kind.ENTRY).exists():
        raise ValidationError(_("Check in first; a check-out needs a check-in before it."))
    repeat = scans.filter(kind=kind, at__gt=now - datetime.timedelta(seconds=DUPLICATE_SECONDS)).first()
    if repeat is not None:
        return repeat, False
    scan = CheckIn.objects.create(
        activity=activity, signup=signup, member_id=member_id, kind=kind, method=method, at=now, reason=reason,
        recorded_by=recorded_by,
    )
    if activity.status == Status.PUBLISHED:
        # The first scan writes what the clock already shows. A conditional UPDATE: once running, it matches no
        # row and locks nothing, so the scans of a crowd do not queue on the activity.
        Activity.objects.filter(pk=activity.pk, status=Status.PUBLISHED).update(status=Status.RUNNING)
    return scan, True


def _wrong_code_key(activity_id: int, member_id: int) -> str:
    return f"activities:wrong-code:{activity_id}:{member_id}"


def checkin_by_code(*, member: Member, activity_id: int, kind: str, code: str) -> tuple[CheckIn, bool]:
    """Check the member in or out with the code shown on the organiser's phone (codes.py): accepted in its
    30-second window and the next; an older one is refused as expired. A repeat of the same scan returns the
    first one (created False). After WRONG_CODE_LIMIT wrong codes in WRONG_CODE_WINDOW the member is stopped
    for this activity, so six digits cannot be guessed. Raises Activity.DoesNotExist, ValidationError."""
    if kind not in Kind.values:
        raise ValidationError(_("Choose check-in or check-out."))
    activity = Activity.objects.get(pk=activity_id)
    key = _wrong_code_key(activity.pk, member.pk)
    if cache.get(key, 0) >= WRONG_CODE_LIMIT:
        raise ValidationError(_("Too many wrong codes. Ask the organiser to check you in."))
    now = timezone.now()
    verdict = codes.check(activity_id=activity.pk, kind=kind, code=code, now=now)
    if verdict is codes.Verdict.EXPIRED:
        raise ValidationError(
            {"code": _("This code has expired: it is more than a minute old. Scan the code on the organiser's "
                       "phone now; a forwarded picture of the code does not count.")}
        )
    if verdict is codes.Verdict.WRONG:
        cache.add(key, 0, WRONG_CODE_WINDOW)
        cache.incr(key)
        raise ValidationError({"code": _("This is not the code of this activity. Check the digits and try again.")})
    with transaction.atomic():
        return _record_scan(activity=activity, member_id=member.pk, kind=kind, method=Method.CODE, now=now)


def checkin_by_organiser_scan(*, user, activity_id: int, token: str, kind: str) -> tuple[CheckIn, bool]:
    """The organiser scans the member's own code (codes.member_token, at most a minute old) and records the
    member's check-in or check-out. Raises PermissionDenied, ValidationError."""
    with transaction.atomic():
        activity = Activity.objects.select_related("community").get(pk=activity_id)
        _require_organiser(user, activity)
        if kind not in Kind.values:
            raise ValidationError(_("Choose check-in or check-out."))
        verdict, member_id = codes.member_from_token(activity_id=activity.pk, token=token)
        if verdict is codes.Verdict.EXPIRED:
            raise ValidationError(_("The member's code has expired: it is more than a minute old. Ask the member to "
                                    "open their code again."))
        if verdict is codes.Verdict.WRONG:
            raise ValidationError(_("This is not a member's code of this activity."))
        return _record_scan(activity=activity, member_id=member_id, kind=kind, method=Method.ORGANISER_SCAN,
                            now=timezone.now(), recorded_by=user)


def checkin_manual(*, user, activity_id: int, member_id: int, kind: str, reason: str) -> tuple[CheckIn, bool]:
    """The organiser checks a member in or out by hand, with the reason (no phone, a flat battery). Audited.
    Raises PermissionDenied, ValidationError."""
    reason = reason.strip()
    action = Action.CHECKIN_MANUAL
    with audit_attempt(action=action, user=user, obj=ref(Activity, activity_id)):
        with transaction.atomic():
            activity = Activity.objects.select_related("community").get(pk=activity_id)
            _require_organiser(user, activity)
            if kind not in Kind.values:
                raise ValidationError({"kind": _("Choose check-in or check-out.")})
            if not reason:
                raise ValidationError({"reason": _("Give the reason for checking in by hand.")})
            if len(reason) > REASON_MAX_LENGTH:
                raise ValidationError({"reason": _("At most %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}})
            scan, created = _record_scan(
                activity=activity, member_id=member_id, kind=kind, method=Method.MANUAL, now=timezone.now(),
                reason=reason, recorded_by=user,
            )
            if created:
                audit(action=action, user=user, obj=scan,
                      detail={"activity_id": activity.pk, "member_id": member_id, "kind": kind})
    return scan, created


# --- Closing: no-shows and hours ----------------------------------------------------------------------------------


def credited_seconds(*, scheduled: datetime.timedelta, first_entry, last_exit) -> int:
    """Seconds present by the scans: last check-out − first check-in, at most the scheduled time; 0 without a
    check-out after the check-in."""
    if first_entry is None or last_exit is None or last_exit <= first_entry:
        return 0
    return int(min(scheduled, last_exit - first_entry).total_seconds())


def hours_for(*, present_seconds: int, scheduled: datetime.timedelta) -> Decimal:
    """Hours credited for `present_seconds`: none below the minimum share of the scheduled time
    (ACTIVITY_MIN_PRESENCE), else the time present rounded down to HOURS_STEP."""
    if present_seconds <= 0 or Decimal(present_seconds) < min_presence() * Decimal(int(scheduled.total_seconds())):
        return Decimal("0")
    hours = Decimal(present_seconds) / Decimal(3600)
    return min((hours / HOURS_STEP).quantize(Decimal("1"), rounding=ROUND_DOWN) * HOURS_STEP, MAX_HOURS_PER_DAY)


def activity_close(*, user, activity_id: int) -> dict:
    """Close a started activity (running → ended; no scans are taken after): members with a place and no
    check-in become no-shows, the others attended; each attended member present for at least
    ACTIVITY_MIN_PRESENCE of the scheduled time gets a verified service record of the hours by the rule
    (hours_for), within the 12 hours a day of all their records. Set-based: a few statements whatever the number
    of members. Returns the figures. Raises PermissionDenied, ValidationError. Audited."""
    action = Action.ACTIVITY_CLOSE
    with audit_attempt(action=action, user=user, obj=ref(Activity, activity_id)):
        with transaction.atomic():
            activity = _activity_locked(activity_id)
            _require_organiser(user, activity)
            now = timezone.now()
            if activity.status not in (Status.PUBLISHED, Status.RUNNING) or now < activity.starts_at:
                raise ValidationError(_("Only an activity that has started can be closed."))
            if activity.status == Status.PUBLISHED:
                states.change(activity, Status.RUNNING)
            states.change(activity, Status.ENDED)
            activity.closed_at = now
            activity.save(update_fields=["status", "closed_at"])
            figures = _settle(activity, user=user, now=now)
            audit(action=action, user=user, obj=activity, detail={"community_id": activity.community_id, **figures})
    return figures


def _settle(activity: Activity, *, user, now) -> dict:
    # Locked first (a scan waiting on a sign-up finds it settled and is refused), then the scans summed apart:
    # FOR UPDATE does not go with GROUP BY.
    signups = list(
        SignUp.objects.select_for_update(of=("self",))
        .filter(activity=activity, status=SignUpStatus.SIGNED_UP)
        .order_by("pk")
    )
    spans = {
        signup_id: (first_entry, last_exit)
        for signup_id, first_entry, last_exit in CheckIn.objects.filter(activity=activity)
        .order_by()
        .values("signup_id")
        .annotate(first_entry=Min("at", filter=Q(kind=Kind.ENTRY)), last_exit=Max("at", filter=Q(kind=Kind.EXIT)))
        .values_list("signup_id", "first_entry", "last_exit")
    }
    scheduled = activity.duration
    served_on = timezone.localdate(activity.starts_at)
    hours_by_signup = {}
    for signup in signups:
        first_entry, last_exit = spans.get(signup.pk, (None, None))
        signup.present_seconds = credited_seconds(scheduled=scheduled, first_entry=first_entry, last_exit=last_exit)
        signup.status = SignUpStatus.ATTENDED if first_entry else SignUpStatus.NO_SHOW
        hours = hours_for(present_seconds=signup.present_seconds, scheduled=scheduled)
        if hours:
            hours_by_signup[signup.pk] = hours
    credited = [signup for signup in signups if signup.pk in hours_by_signup]
    member_ids = sorted(signup.member_id for signup in credited)
    # The members' other records of that day: a member's records never pass 12 hours a day (as record_create).
    list(Member.objects.select_for_update().filter(pk__in=member_ids).order_by("pk").values_list("pk", flat=True))
    logged = dict(
        ServiceRecord.objects.filter(member_id__in=member_ids, served_on=served_on)
        .exclude(status=ServiceRecord.Status.REJECTED)
        .values("member_id")
        .annotate(total=Sum("hours"))
        .values_list("member_id", "total")
    )
    records, owners = [], []
    for signup in credited:
        hours = min(hours_by_signup[signup.pk], MAX_HOURS_PER_DAY - logged.get(signup.member_id, Decimal("0")))
        if hours < HOURS_STEP:
            continue
        records.append(ServiceRecord(
            member_id=signup.member_id, community_id=activity.community_id, served_on=served_on, hours=hours,
            description=_("Activity: %(title)s") % {"title": activity.title}, outcome=OutcomeCategory.GENERAL,
            status=ServiceRecord.Status.VERIFIED, points=record_points(hours=hours, outcome=OutcomeCategory.GENERAL),
            verified_by=user, verified_at=now,
        ))
        owners.append(signup)
    ServiceRecord.objects.bulk_create(records, batch_size=500)
    summary_changed(record.member_id for record in records)  # bulk_create sends no post_save
    for signup, record in zip(owners, records, strict=True):
        signup.record = record
    _write_settled(signups)
    return {
        "attended": sum(1 for signup in signups if signup.status == SignUpStatus.ATTENDED),
        "no_show": sum(1 for signup in signups if signup.status == SignUpStatus.NO_SHOW),
        "credited": len(records),
        "hours": str(sum((record.hours for record in records), Decimal("0"))),
    }


# Sign-ups per UPDATE when settling (four parameters each: within SQLite's 999).
SETTLE_BATCH = 200


def _write_settled(signups) -> None:
    """Write each sign-up's status, seconds present and record in one UPDATE ... FROM (VALUES ...) per
    SETTLE_BATCH rows (PostgreSQL, and SQLite from 3.33): Django's bulk_update builds a CASE per field and row,
    seconds for five hundred members."""
    meta, quote = SignUp._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    pk, status, present, record = (
        quote(meta.get_field(name).column) for name in ("id", "status", "present_seconds", "record")
    )
    with connection.cursor() as cursor:
        for start in range(0, len(signups), SETTLE_BATCH):
            batch = signups[start : start + SETTLE_BATCH]
            rows = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
            # Names come from model metadata, quoted; every value goes as a parameter. VALUES columns are
            # column1..column4 on both databases; the casts type a column that is all NULL.
            cursor.execute(
                f"UPDATE {table} SET {status} = v.column2, {present} = CAST(v.column3 AS integer), "  # noqa: S608  # nosec B608
                f"{record} = CAST(v.column4 AS bigint) FROM (VALUES {rows}) AS v WHERE {table}.{pk} = v.column1",
                [value for signup in batch
                 for value in (signup.pk, signup.status, signup.present_seconds, signup.record_id)],
            )
