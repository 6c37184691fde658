"""Writes for needs, claims and service records. One transaction per business operation.

Lock order, wherever two rows are locked: the need, then the member. Only the row itself is locked
(`of=("self",)`), never the community joined in with it: locking that too would queue every claim of a
community behind every other and deadlock against inserts that reference it. Places are counted in
ServiceNeed.claimed_count under the need's row lock, and a check constraint backs the count.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit, audit_attempt, ref
from communities.models import Community
from communities.notifications import notify
from communities.platform import policies
from registration.models import Member, Report

from .audit_actions import Action
from .models import (
    HOURS_STEP,
    MAX_HOURS_PER_DAY,
    RECORD_DAYS_AFTER_NEED_END,
    RECORD_OWN_INITIATIVE_MAX_AGE_DAYS,
    Claim,
    NeedState,
    ServiceNeed,
    ServiceRecord,
)
from .points import record_points

REASON_MAX_LENGTH = ServiceRecord._meta.get_field("reject_reason").max_length
# Claims that hold a place on a need; cancelled and abandoned ones give it back.
PLACE_HOLDING = (Claim.Status.ACTIVE, Claim.Status.FULFILLED)
NEED_FIELDS = (
    "title",
    "description",
    "post_type",
    "fulfilment",
    "places",
    "location",
    "starts_at",
    "ends_at",
    "reply",
)


def _require_manager(user, community: Community):
    if not policies.allowed("communities.manage_community", user, community):
        raise PermissionDenied


def _check_need_values(values: dict, *, claimed: int = 0):
    unknown = set(values) - set(NEED_FIELDS)
    if unknown:
        raise TypeError(f"not fields of a need: {sorted(unknown)}")
    values.setdefault("fulfilment", ServiceNeed.Fulfilment.DIRECT)
    errors = {}
    if values.get("ends_at") and values["ends_at"] < values["starts_at"]:
        errors["ends_at"] = _("The end cannot be before the start.")
    if values["places"] < max(claimed, 1):
        errors["places"] = _("At least %(count)s place(s): members have already claimed them.") % {
            "count": max(claimed, 1)
        }
    if values["fulfilment"] == ServiceNeed.Fulfilment.DIRECT and values.get("reply"):
        errors["reply"] = _("A reply is given only for needs met by coordination or by appeal.")
    if errors:
        raise ValidationError(errors)


def need_create(*, user, community: Community, skills=(), **values) -> ServiceNeed:
    """Post a need as a draft for the user's community. Raises PermissionDenied, ValidationError."""
    _require_manager(user, community)
    _check_need_values(values)
    with transaction.atomic():
        need = ServiceNeed.objects.create(community=community, created_by=user, **values)
        need.skills.set(skills)
    return need


def _need_locked(need_id: int, user) -> ServiceNeed:
    need = ServiceNeed.objects.select_for_update(of=("self",)).select_related("community").get(pk=need_id)
    _require_manager(user, need.community)
    return need


def need_update(*, user, need_id: int, skills=None, **values) -> ServiceNeed:
    """Edit a draft or published need; places never drop below the places already claimed.
    Skills are replaced only when given."""
    with transaction.atomic():
        need = _need_locked(need_id, user)
        if need.status not in (ServiceNeed.Status.DRAFT, ServiceNeed.Status.PUBLISHED):
            raise ValidationError(_("A closed need can no longer be edited; copy it instead."))
        _check_need_values(values, claimed=need.claimed_count)
        for name, value in values.items():
            setattr(need, name, value)
        need.save()
        if skills is not None:
            need.skills.set(skills)
    return need


def need_publish(*, user, need_id: int) -> ServiceNeed:
    """Draft → published: it appears on the public board and the members' board."""
    with transaction.atomic():
        need = _need_locked(need_id, user)
        if need.status != ServiceNeed.Status.DRAFT:
            raise ValidationError(_("Only a draft can be published."))
        if need.has_ended:
            raise ValidationError(_("This need has already ended; change its end before publishing it."))
        need.status = ServiceNeed.Status.PUBLISHED
        need.published_at = timezone.now()
        need.save(update_fields=["status", "published_at"])
    return need


def need_publish_undo(*, user, need_id: int) -> ServiceNeed:
    """Published → draft again, while nobody has claimed it (a claim, even one withdrawn since, is a member's act
    that the need must keep). The need row is locked, as a claim locks it, so no claim slips in between. Raises
    ValidationError otherwise; audited (refused attempts too)."""
    action = Action.NEED_PUBLISH_UNDO
    with audit_attempt(action=action, user=user, obj=ref(ServiceNeed, need_id)), transaction.atomic():
        need = _need_locked(need_id, user)
        if need.status != ServiceNeed.Status.PUBLISHED:
            raise ValidationError(_("Only a published need can be taken back to a draft."))
        if need.claims.exists():
            raise ValidationError(_("Someone has claimed this need already; close it instead."))
        need.status = ServiceNeed.Status.DRAFT
        need.published_at = None
        need.save(update_fields=["status", "published_at"])
        audit(action=action, user=user, obj=need, detail={"community_id": need.community_id})
    return need


def need_close(*, user, need_id: int, fulfilled: bool) -> ServiceNeed:
    """Published → fulfilled (met) or closed (withdrawn). Claims stay as they are for the record."""
    with transaction.atomic():
        need = _need_locked(need_id, user)
        if need.status != ServiceNeed.Status.PUBLISHED:
            raise ValidationError(_("Only a published need can be closed."))
        need.status = ServiceNeed.Status.FULFILLED if fulfilled else ServiceNeed.Status.CLOSED
        need.save(update_fields=["status"])
    return need


def needs_close_ended(*, now: datetime.datetime | None = None) -> int:
    """Close (published → closed) every published need whose end has passed at `now`, in one UPDATE, so
    that lists stay short. Pages do not wait for it: they judge "ended" by time (ServiceNeed.state). Claims
    stay as they are, so members can still log what they did. Idempotent. Returns how many were closed."""
    now = now or timezone.now()
    return (
        ServiceNeed.objects.filter(status=ServiceNeed.Status.PUBLISHED)
        .ended(now)
        .update(status=ServiceNeed.Status.CLOSED)
    )


def claims_abandon_lapsed(*, now: datetime.datetime | None = None) -> int:
    """Mark abandoned every claim in progress whose need's record window has closed without a record that
    stands (submitted or verified): nothing can be logged against it any more (record_create's date rule), so
    it counts as abandoned in the year-end assessment. A claim on an ongoing need (no end) never lapses; a
    claim whose record waits for staff stays in progress (verifying it fulfils the claim). One UPDATE;
    idempotent. Returns how many were marked."""
    today = timezone.localdate(now or timezone.now())
    last_open_day = today - datetime.timedelta(days=RECORD_DAYS_AFTER_NEED_END)
    # The window of a need ending on day D closes after D + RECORD_DAYS_AFTER_NEED_END: lapsed when D < this.
    window_closed_before = timezone.make_aware(datetime.datetime.combine(last_open_day, datetime.time.min))
    standing_record = ServiceRecord.objects.filter(claim=OuterRef("pk")).exclude(
        status=ServiceRecord.Status.REJECTED
    )
    return (
        Claim.objects.filter(status=Claim.Status.ACTIVE, need__ends_at__lt=window_closed_before)
        .exclude(Exists(standing_record))
        .update(status=Claim.Status.ABANDONED)
    )


def need_copy(*, user, need_id: int) -> ServiceNeed:
    """A new draft with the same content and skills, for a need that comes back."""
    source = ServiceNeed.objects.select_related("community").get(pk=need_id)
    _require_manager(user, source.community)
    values = {name: getattr(source, name) for name in NEED_FIELDS}
    values["title"] = (_("Copy of %(title)s") % {"title": source.title})[:100]
    with transaction.atomic():
        copy = ServiceNeed.objects.create(community=source.community, created_by=user, **values)
        copy.skills.set(source.skills.all())
    return copy


def need_delete(*, user, need_id: int):
    """Only a draft can be deleted; a published need can only be closed, so claims keep their need."""
    with transaction.atomic():
        need = _need_locked(need_id, user)
        if need.status != ServiceNeed.Status.DRAFT or need.claims.exists():
            raise ValidationError(_("Only a draft can be deleted; close a published need instead."))
        need.skills.clear()
        need.delete()


def member_service_community(member: Member) -> Community | None:
    """The community the member serves in: that of their confirmed report."""
    report = (
        Report.objects.filter(member=member, status=Report.Status.CONFIRMED).select_related("community__street").first()
    )
    return report.community if report else None


def may_serve_in(member: Member, community: Community) -> bool:
    """A member serves in their confirmed community and, by choice, the other communities of its street."""
    home = member_service_community(member)
    return home is not None and home.street_id == community.street_id


def claim_refusal(need: ServiceNeed, *, now: datetime.datetime | None = None) -> str | None:
    """Why the need cannot be claimed at `now` (ended, full, not published), or None when it is open for
    claims (NeedState.OPEN). Pages ask it before they look at the commitment."""
    state = need.state_at(now or timezone.now())
    if state == NeedState.OPEN:
        return None
    if state == NeedState.ENDED:
        return _("This need has ended; it can no longer be claimed.")
    if state == NeedState.FULL:
        return _("All places of this need are taken.")
    return _("This need is no longer open for claims.")


def claim_create(*, member: Member, need_id: int, commitment: str) -> Claim:
    """Take one place on a published need with a written commitment.

    Two members racing for the last place get one claim and one refusal: the need row is locked
    before places are counted, and the check constraint on claimed_count backs it. The need is judged
    (ended, full, not published: claim_refusal) before the commitment, so nobody is asked to rewrite a
    commitment for a need they cannot take. Raises ValidationError (not open, ended, full, not reported
    there, already claimed, no commitment).
    """
    commitment = commitment.strip()
    with transaction.atomic():
        need = ServiceNeed.objects.select_for_update(of=("self",)).select_related("community").get(pk=need_id)
        now = timezone.now()
        # Not published or ended comes first; a full need is said to be full only to whom could have claimed it.
        if need.state_at(now) not in (NeedState.OPEN, NeedState.FULL):
            raise ValidationError(claim_refusal(need, now=now))
        if not may_serve_in(member, need.community):
            raise ValidationError(_("You can claim needs of the community you have reported to and of its street."))
        if need.claims.filter(member=member).exclude(status=Claim.Status.CANCELLED).exists():
            raise ValidationError(_("You have already claimed this need."))
        if need.state_at(now) == NeedState.FULL:
            raise ValidationError(claim_refusal(need, now=now))
        if not commitment:
            raise ValidationError({"commitment": _("Write what you commit to do.")})
        claim = Claim.objects.create(need=need, member=member, commitment=commitment)
        ServiceNeed.objects.filter(pk=need.pk).update(claimed_count=F("claimed_count") + 1)
    return claim


def claim_cancel(*, member: Member, claim_id: int) -> Claim:
    """Give a place back, before the need starts. Raises ValidationError after the start; once the need has
    ended, the claim can only be recorded (record_create)."""
    with transaction.atomic():
        need_id = Claim.objects.filter(pk=claim_id, member=member).values_list("need_id", flat=True).get()
        need = ServiceNeed.objects.select_for_update().get(pk=need_id)
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status != Claim.Status.ACTIVE:
            raise ValidationError(_("This claim is not in progress."))
        if need.has_ended:
            raise ValidationError(_("The need has ended: the claim can no longer be cancelled, only recorded."))
        if need.has_started:
            raise ValidationError(_("The need has started; a claim can be cancelled only before the start."))
        claim.status = Claim.Status.CANCELLED
        claim.cancelled_at = timezone.now()
        claim.save(update_fields=["status", "cancelled_at"])
        ServiceNeed.objects.filter(pk=need.pk).update(claimed_count=F("claimed_count") - 1)
    return claim


def _check_record_values(*, served_on: datetime.date, hours: Decimal):
    errors = {}
    if served_on > timezone.localdate():
        errors["served_on"] = _("The date cannot be in the future.")
    if hours <= 0 or hours > MAX_HOURS_PER_DAY or hours % HOURS_STEP:
        errors["hours"] = _("Hours go in steps of 0.5, from 0.5 to 12.")
    if errors:
        raise ValidationError(errors)


def _check_record_date(*, served_on: datetime.date, need: ServiceNeed | None):
    """Against a claim: from the need's start day to RECORD_DAYS_AFTER_NEED_END days after its end
    (ServiceNeed.record_window). On one's own initiative: within the last RECORD_OWN_INITIATIVE_MAX_AGE_DAYS."""
    if need is None:
        oldest = timezone.localdate() - datetime.timedelta(days=RECORD_OWN_INITIATIVE_MAX_AGE_DAYS)
        if served_on < oldest:
            raise ValidationError(
                {
                    "served_on": _(
                        "Service on your own initiative can be logged within %(days)s days: on or after %(date)s."
                    )
                    % {"days": RECORD_OWN_INITIATIVE_MAX_AGE_DAYS, "date": oldest.isoformat()}
                }
            )
        return
    first, last = need.record_window()
    if served_on < first:
        raise ValidationError(
            {
                "served_on": _("The need starts on %(date)s; the service cannot be before it.")
                % {"date": first.isoformat()}
            }
        )
    if last is not None and served_on > last:
        raise ValidationError(
            {
                "served_on": _(
                    "The need ended on %(end)s; its service can be dated at most %(days)s days later (%(date)s)."
                )
                % {
                    "end": timezone.localdate(need.ends_at).isoformat(),
                    "days": RECORD_DAYS_AFTER_NEED_END,
                    "date": last.isoformat(),
                }
            }
        )


def record_create(
    *,
    member: Member,
    served_on: datetime.date,
    hours: Decimal,
    description: str,
    outcome: str,
    claim_id: int | None = None,
    community: Community | None = None,
) -> ServiceRecord:
    """Log service done, against one of the member's claims or ad hoc in a community they serve.

    The date is never in the future; against a claim it lies in the need's window (from the start's day to
    RECORD_DAYS_AFTER_NEED_END days after the end's), on one's own initiative within the last
    RECORD_OWN_INITIATIVE_MAX_AGE_DAYS. A member's records of one day never add up to more than 12 hours (the
    member row is locked while the day is summed). Raises ValidationError, on the field it concerns.
    """
    _check_record_values(served_on=served_on, hours=hours)
    with transaction.atomic():
        claim = None
        if claim_id is not None:
            claim = Claim.objects.select_related("need__community").filter(member=member, pk=claim_id).first()
            if claim is None or claim.status not in PLACE_HOLDING:
                raise ValidationError({"claim": _("Choose one of your claims in progress.")})
            community = claim.need.community
        if community is None or not may_serve_in(member, community):
            raise ValidationError(_("You can log service in the community you have reported to and its street."))
        _check_record_date(served_on=served_on, need=claim.need if claim else None)
        Member.objects.select_for_update().filter(pk=member.pk).get()
        logged = ServiceRecord.objects.filter(member=member, served_on=served_on).exclude(
            status=ServiceRecord.Status.REJECTED
        ).aggregate(total=Sum("hours"))["total"] or Decimal("0")
        if logged + hours > MAX_HOURS_PER_DAY:
            raise ValidationError(
                {"hours": _("At most 12 hours a day; %(logged)s already logged that day.") % {"logged": logged}}
            )
        return ServiceRecord.objects.create(
            member=member,
            claim=claim,
            community=community,
            served_on=served_on,
            hours=hours,
            description=description,
            outcome=outcome,
        )


def _record_locked(record_id: int, user) -> ServiceRecord:
    record = (
        ServiceRecord.objects.select_for_update(of=("self",))
        .select_related("community", "member__user")
        .get(pk=record_id)
    )
    _require_manager(user, record.community)
    if record.status != ServiceRecord.Status.SUBMITTED:
        raise ValidationError(_("This record has already been dealt with."))
    return record


def record_verify(*, user, record_id: int) -> ServiceRecord:
    """Verify a record: its points are fixed now by the points rule, its claim counts as fulfilled,
    and the hours join the member's time bank. Raises PermissionDenied, ValidationError. Audited (refused and
    failed attempts too)."""
    action = Action.RECORD_VERIFY
    with audit_attempt(action=action, user=user, obj=ref(ServiceRecord, record_id)), transaction.atomic():
        record = _record_locked(record_id, user)
        record.status = ServiceRecord.Status.VERIFIED
        record.points = record_points(hours=record.hours, outcome=record.outcome)
        record.verified_by = user
        record.verified_at = timezone.now()
        record.save(update_fields=["status", "points", "verified_by", "verified_at"])
        if record.claim_id:
            Claim.objects.filter(pk=record.claim_id, status=Claim.Status.ACTIVE).update(status=Claim.Status.FULFILLED)
        _tell_member(
            record,
            _("Your service of %(date)s is verified: %(hours)s hours, %(points)s points.")
            % {
                "date": record.served_on,
                "hours": record.hours,
                "points": record.points,
            },
        )
        detail = {"community_id": record.community_id, "hours": str(record.hours), "points": str(record.points)}
        audit(action=action, user=user, obj=record, detail=detail)
    return record


def _tell_member(record: ServiceRecord, title: str, body: str = ""):
    notify(kind="record-decision", title=title, body=body, link=reverse("services:my-service"), user=record.member.user)


def record_reject(*, user, record_id: int, reason: str) -> ServiceRecord:
    """Reject a record with a reason the member sees. Raises PermissionDenied, ValidationError. Audited like
    record_verify (the reason is not copied to the trail)."""
    reason = reason.strip()
    action = Action.RECORD_REJECT
    with audit_attempt(action=action, user=user, obj=ref(ServiceRecord, record_id)), transaction.atomic():
        record = _record_locked(record_id, user)
        if not reason:
            raise ValidationError({"reason": _("Give the reason, so that the member knows what to do.")})
        if len(reason) > REASON_MAX_LENGTH:
            raise ValidationError({"reason": _("At most %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}})
        record.status = ServiceRecord.Status.REJECTED
        record.reject_reason = reason
        record.verified_by = user
        record.verified_at = timezone.now()
        record.save(update_fields=["status", "reject_reason", "verified_by", "verified_at"])
        _tell_member(
            record,
            _("Your service of %(date)s was returned.") % {"date": record.served_on},
            _("Reason: %(reason)s") % {"reason": reason},
        )
        audit(action=action, user=user, obj=record, detail={"community_id": record.community_id})
    return record
