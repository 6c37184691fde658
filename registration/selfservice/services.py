"""Writes of the self-service pages. Each function is one business operation in one transaction.

The rules they rely on live elsewhere and are called, not restated: the roster decides a member's unit (matched by
the keyed hash of the ID number, as at registration), reports are created, confirmed and rejected by
registration.services, the tallies follow every change (registration.rates.tallies.tallies_follow), reminders go
out once per key through communities.notifications.remind_many.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.audit import audit, audit_attempt, ref
from communities.models import Notification, ReminderSent, Unit
from communities.notifications import Message, Reminder, not_yet_reminded, remind_many
from communities.platform import policies
from communities.reminders import day_start, iso_week, resolve_now
from registration import services as registration_services
from registration.models import Member, Report, RosterEntry
from registration.rates.tallies import tallies_follow
from registration.reminders import UNREGISTERED_SMS, roster_key
from registration.selectors import RosterStatus, roster_list

from .audit_actions import Action
from .fields import CORRECTABLE_FIELDS
from .models import ProfileChange, ReturnedFields

# The liaison's 一键提醒: its own reminder kind, keyed per roster entry and ISO week, so a person gets at most one a
# week whoever presses the button and however often.
LIAISON_NUDGE = "roster-liaison-nudge"


# --- Own data -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileUpdate:
    change: ProfileChange | None  # None when nothing changed
    report: Report | None  # a report sent to staff again because of the change


def _roster_unit_conflict(member: Member, unit: Unit) -> RosterEntry | None:
    """The roster match of registration (the member's keyed ID hash): the entry that lists the member, if any. A
    member listed by a unit's roster belongs to that unit; moving between units is the organisation department's
    action (docs/ROSTER_IMPORT.md rule 3), not the member's."""
    entry = RosterEntry.objects.filter(id_number_hash=member.id_number_hash).select_related("unit").first()
    if entry is not None and entry.unit_id != unit.pk:
        raise ValidationError(
            {
                "unit": _(
                    "The roster of %(unit)s lists you. Ask its unit liaison or the organisation department to move "
                    "you to another unit's roster."
                )
                % {"unit": entry.unit.name}
            }
        )
    return entry


def _apply_changes(*, member: Member, unit, position, skills, specialty, service_wishes, home_address) -> list[str]:
    """Write the changed fields on the locked member row; the names of those changed, in the form's order."""
    changed = []
    values = {
        "position": position,
        "specialty": specialty,
        "service_wishes": service_wishes,
        "home_address": home_address,
    }
    if unit.pk != member.unit_id:
        changed.append("unit")
        member.unit = unit
    for name, value in values.items():
        if getattr(member, name) != value:
            changed.append(name)
            setattr(member, name, value)
    wanted = {skill.pk for skill in skills}
    if wanted != set(member.skills.values_list("pk", flat=True)):
        changed.append("skills")
        member.skills.set(wanted)
    fields = [name for name in changed if name not in ("skills",)]
    if fields:
        member.save(update_fields=fields)
    return changed


def profile_update(
    *,
    member: Member,
    user,
    unit: Unit,
    position: str,
    skills,
    specialty: str,
    service_wishes: str,
    home_address: str,
    source: str = ProfileChange.Source.PROFILE,
) -> ProfileUpdate:
    """The member changes their own position, skills, service wishes, address or unit; the change is kept in the
    history (ProfileChange: field names and the units only) and the audit trail (field names).

    A change of unit goes back through the roster match: refused (ValidationError on "unit") when a roster of
    another unit lists the member; linked to the new unit's entry when that one lists them. When the member's
    confirmed report is unit-linked (单位挂钩: it depends on the unit), it is sent back to the community's staff as a
    new pending report there, beside the confirmed one, which stays until staff decide (report_confirm ends it).
    With a report already pending, staff read the new unit on it and nothing else is sent. Returns what changed
    and the report sent, if any.
    """
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        entry = _roster_unit_conflict(member, unit) if unit.pk != member.unit_id else None
        entry_ids = [entry.pk] if entry is not None else []
        with tallies_follow(member_ids=[member.pk], entry_ids=entry_ids):
            unit_before = member.unit_id
            changed = _apply_changes(
                member=member,
                unit=unit,
                position=position,
                skills=skills,
                specialty=specialty,
                service_wishes=service_wishes,
                home_address=home_address,
            )
            if not changed:
                return ProfileUpdate(change=None, report=None)
            if entry is not None and member.roster_entry_id != entry.pk:
                member.roster_entry = entry
                member.save(update_fields=["roster_entry"])
            report = _reconfirm_unit_linked(member) if "unit" in changed else None
        change = ProfileChange.objects.create(
            member=member,
            changed_by=user,
            source=source,
            fields=changed,
            unit_before_id=unit_before if "unit" in changed else None,
            unit_after_id=member.unit_id if "unit" in changed else None,
            report=report,
        )
        audit(
            action=Action.PROFILE_CHANGE,
            user=user,
            obj=member,
            detail={"fields": changed, **({"report_id": report.pk} if report else {})},
        )
    return ProfileUpdate(change=change, report=report)


def _reconfirm_unit_linked(member: Member) -> Report | None:
    """A new pending report at the community of the member's confirmed unit-linked report, unless one is pending."""
    reports = list(member.reports.filter(status__in=[Report.Status.PENDING, Report.Status.CONFIRMED]))
    if any(report.status == Report.Status.PENDING for report in reports):
        return None
    confirmed = next((report for report in reports if report.kind == Report.Kind.UNIT_LINKED), None)
    if confirmed is None:
        return None
    # registration's own creation of a report (its letter number): the rules of a report stay in one place.
    return registration_services._report_create(
        member=member, community=confirmed.community, kind=Report.Kind.UNIT_LINKED
    )


# --- Returned, then corrected ---------------------------------------------------------------------------------------


def report_return(*, report_id: int, user, reason: str, fields) -> Report:
    """Reject a pending report (registration.services.report_reject: its checks, audit and message to the member)
    and keep which details the reason concerns (CORRECTABLE_FIELDS keys), in the same transaction."""
    known = {key for key, _label in CORRECTABLE_FIELDS}
    fields = [key for key, _label in CORRECTABLE_FIELDS if key in set(fields) & known]
    refused = None
    with transaction.atomic():
        try:
            report = registration_services.report_reject(report_id=report_id, user=user, reason=reason)
        except (PermissionDenied, ValidationError) as error:
            # Raised after this block, so that the refusal report_reject recorded is committed, not rolled back.
            refused = error
        else:
            if fields:
                ReturnedFields.objects.create(report=report, fields=fields)
    if refused is not None:
        raise refused
    return report


def correctable(report: Report, reports) -> bool:
    """Whether the member may correct this report and send it again: it was rejected, nothing is pending, and it is
    the member's latest report to that community (an older rejection was already answered by a newer report).
    `reports` is the member's report history, already read."""
    if report.status != Report.Status.REJECTED:
        return False
    if any(other.status == Report.Status.PENDING for other in reports):
        return False
    return not any(
        other.community_id == report.community_id and other.submitted_at > report.submitted_at for other in reports
    )


def report_resubmit(
    *,
    member: Member,
    report_id: int,
    user,
    unit: Unit,
    position: str,
    skills,
    specialty: str,
    service_wishes: str,
    home_address: str,
    kind: str,
) -> Report:
    """Correct a returned (rejected) report and send it again to the same community: the member's data is updated
    (profile_update, with its roster match) and a new pending report is created there; the rejected one stays as
    history. Raises ValidationError when the report cannot be corrected (correctable()). Audited, the failures too."""
    action = Action.REPORT_RESUBMIT
    with audit_attempt(action=action, user=user, obj=ref(Report, report_id)), transaction.atomic():
        # The member first, as every report service locks it (tallies_follow), then their reports.
        Member.objects.select_for_update().filter(pk=member.pk).first()
        reports = list(member.reports.select_related("community"))
        report = next((report for report in reports if report.pk == report_id), None)
        if report is None or not correctable(report, reports):
            raise ValidationError(_("This report cannot be corrected and sent again."))
        with tallies_follow(member_ids=[member.pk]):
            new_report = registration_services._report_create(member=member, community=report.community, kind=kind)
        update = profile_update(
            member=member,
            user=user,
            unit=unit,
            position=position,
            skills=skills,
            specialty=specialty,
            service_wishes=service_wishes,
            home_address=home_address,
            source=ProfileChange.Source.CORRECTION,
        )
        if update.change is not None:
            update.change.report = new_report
            update.change.save(update_fields=["report"])
        audit(
            action=action,
            user=user,
            obj=new_report,
            detail={"rejected_report_id": report.pk, "community_id": report.community_id},
        )
    return new_report


# --- The unit liaison's tools ---------------------------------------------------------------------------------------


def _unit_in_scope(*, user, unit_id: int, policy: str) -> Unit:
    if not policies.allowed(policy, user):
        raise PermissionDenied
    unit = Unit.objects.visible_to(user).filter(pk=unit_id).first()
    if unit is None:
        raise PermissionDenied
    return unit


def roster_phone_reveal(*, user, entry_id: int) -> str:
    """The full phone number of an unregistered person on a roster of the liaison's unit, recorded in the audit
    trail (who, which entry; never the number). Raises PermissionDenied outside the user's units, refusals audited.
    """
    action = Action.ROSTER_PHONE_VIEW
    with audit_attempt(action=action, user=user, obj=ref(RosterEntry, entry_id)), transaction.atomic():
        entry = RosterEntry.objects.filter(pk=entry_id).first()
        if entry is None:
            raise PermissionDenied
        _unit_in_scope(user=user, unit_id=entry.unit_id, policy="selfservice.use_liaison_tools")
        audit(action=action, user=user, obj=entry, detail={"unit_id": entry.unit_id, "field": "phone"})
    return entry.phone


@dataclass(frozen=True)
class NudgeResult:
    sent: int  # SMS stored now (delivered after commit)
    already: int  # reminded this week already (by the button, or by the automatic reminder)
    no_phone: int  # no phone on the roster


def roster_remind_unregistered(*, user, unit_id: int, now=None) -> NudgeResult:
    """一键提醒: an SMS to every person on the unit's roster who has not registered (the roster page's "not
    registered"), at most once a week per person: the key (LIAISON_NUDGE, ISO week, roster entry) is taken with the
    message, and a person whose automatic reminder (registration.reminders rule 1) went out this week is left out
    too. Through the reminder machinery: not_yet_reminded, then remind_many; delivery is queued after commit.
    Raises PermissionDenied outside the user's units. Audited with the counts."""
    now = resolve_now(now)
    action = Action.ROSTER_REMIND
    with audit_attempt(action=action, user=user, obj=ref(Unit, unit_id)), transaction.atomic():
        unit = _unit_in_scope(user=user, unit_id=unit_id, policy="selfservice.use_liaison_tools")
        today = timezone.localdate(now)
        week = iso_week(today)
        people = list(
            roster_list(unit=unit, status=RosterStatus.NOT_REGISTERED).order_by("pk").values_list("pk", "name", "phone")
        )
        with_phone = [person for person in people if person[2]]
        waiting = not_yet_reminded(
            kind=LIAISON_NUDGE, items=with_phone, key=lambda person: (week, roster_key(person[0]))
        )
        week_start = day_start(today - datetime.timedelta(days=today.weekday()))
        automatic = set(
            ReminderSent.objects.filter(
                kind=UNREGISTERED_SMS,
                recipient__in=[roster_key(person[0]) for person in waiting],
                created_at__gte=week_start,
            ).values_list("recipient", flat=True)
        )
        waiting = [person for person in waiting if roster_key(person[0]) not in automatic]
        link = reverse("registration:register")
        reminders = []
        with translation.override(settings.LANGUAGE_CODE):
            for pk, name, phone in waiting:
                title = _(
                    "%(name)s, %(unit)s asks you to register and report to a community as an in-service Party member."
                ) % {"name": name, "unit": unit.name}
                message = Message(title=title, link=link, phone=phone, channels=(Notification.Channel.SMS,))
                reminders.append(Reminder(period=week, recipient=roster_key(pk), message=message))
        sent = remind_many(kind=LIAISON_NUDGE, reminders=reminders)
        result = NudgeResult(sent=sent, already=len(with_phone) - sent, no_phone=len(people) - len(with_phone))
        audit(
            action=action,
            user=user,
            obj=unit,
            detail={"week": week, "sent": result.sent, "already": result.already, "no_phone": result.no_phone},
        )
    return result


def roster_add_member(*, user, unit_id: int, member_id: int) -> RosterEntry:
    """Put a registered member who named this unit, and is on no roster, on the unit's roster in one step: the
    entry copies the member's name, position, phone and protected ID number (the same keyed hash), its expected
    community is the member's confirmed (else pending) report's, and the member is linked to it; the tallies follow.
    Raises PermissionDenied outside the user's units, ValidationError when the member is on a roster already (this
    or another unit's: moving is the organisation department's). Audited."""
    action = Action.ROSTER_ADD_MEMBER
    with audit_attempt(action=action, user=user, obj=ref(Member, member_id)), transaction.atomic():
        unit = _unit_in_scope(user=user, unit_id=unit_id, policy="selfservice.use_liaison_tools")
        created = []
        try:
            with transaction.atomic(), tallies_follow(member_ids=[member_id], new_entries=created):
                member = Member.objects.filter(pk=member_id, unit=unit, withdrawn_at__isnull=True).first()
                if member is None:
                    raise PermissionDenied
                if member.roster_entry_id is not None:
                    raise ValidationError(_("%(name)s is on the roster already.") % {"name": member.name})
                report = (
                    member.reports.filter(status__in=[Report.Status.CONFIRMED, Report.Status.PENDING])
                    .order_by("status", "-submitted_at")  # confirmed sorts before pending
                    .first()
                )
                entry = RosterEntry.objects.create(
                    unit=unit,
                    name=member.name,
                    position=member.position,
                    phone=member.phone,
                    community=report.community if report else None,
                    id_number_encrypted=member.id_number_encrypted,
                    id_number_hash=member.id_number_hash,
                    id_number_mask=member.id_number_mask,
                )
                created.append(entry.pk)
                member.roster_entry = entry
                member.save(update_fields=["roster_entry"])
        except IntegrityError:
            # The keyed hash is unique: another unit's roster lists this person already.
            raise ValidationError(
                _("This person is on another unit's roster. The organisation department can move them.")
            ) from None
        audit(action=action, user=user, obj=entry, detail={"unit_id": unit.pk, "member_id": member.pk})
    return entry


class RemovalReason:
    MOVED = "moved"
    RETIRED = "retired"
    LEFT_PARTY_WORK = "transferred"
    MISTAKE = "mistake"


def roster_entry_remove(*, user, entry_id: int, reason: str) -> None:
    """Take a person off their unit's roster (moved away, retired, transferred, listed by mistake). The member record,
    if any, stays, no longer counted in the unit's rate; the tallies follow. Only the unit's liaison, the
    organisation department of the unit's district or city, or a superuser. Raises PermissionDenied. Audited
    (refusals too), with the reason's code."""
    action = Action.ROSTER_REMOVE
    with audit_attempt(action=action, user=user, obj=ref(RosterEntry, entry_id)), transaction.atomic():
        entry = RosterEntry.objects.filter(pk=entry_id).first()
        if entry is None:
            raise PermissionDenied
        _unit_in_scope(user=user, unit_id=entry.unit_id, policy="selfservice.remove_roster_entry")
        member_ids = list(Member.objects.filter(roster_entry=entry).values_list("pk", flat=True))
        with tallies_follow(entry_ids=[entry.pk], member_ids=member_ids):
            Member.objects.filter(roster_entry=entry).update(roster_entry=None)
            audit(
                action=action,
                user=user,
                obj=ref(RosterEntry, entry.pk),
                detail={"unit_id": entry.unit_id, "reason": reason, "registered": bool(member_ids)},
            )
            entry.delete()
