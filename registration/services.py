"""Writes for members and reporting. Each function is one business operation in one transaction."""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.audit import audit, audit_attempt, ref
from communities.models import AuditEvent, Community, Notification
from communities.notifications import notify
from communities.platform import policies

from .audit_actions import Action
from .identity import hash_id_number, protect_id_number
from .models import Member, Report, RosterEntry, User
from .rates.tallies import tallies_follow

# One answer for an ID number or a phone that is taken (issue 19, finding 5): it tells the person what to do and
# never which of the two matched someone.
REGISTRATION_CONFLICT = gettext_lazy(
    "These details cannot be registered again. If you have registered before, log in with your mobile number; "
    "if you cannot log in, or have never registered, ask your community's staff for help."
)


def letter_number(*, report_id: int, submitted_at) -> str:
    """介绍信编号: the local year of submission and the report's id, unique because the id is."""
    return f"{timezone.localtime(submitted_at):%Y}{report_id:08d}"


def _report_create(*, member: Member, community: Community, kind: str) -> Report:
    # The letter number derives from the id, so the row is written once with a random placeholder
    # (never all digits, so never a real number) and then numbered, inside the caller's transaction.
    report = Report.objects.create(
        member=member, community=community, kind=kind, letter_number=f"t{uuid.uuid4().hex[:18]}"
    )
    report.letter_number = letter_number(report_id=report.pk, submitted_at=report.submitted_at)
    report.save(update_fields=["letter_number"])
    return report


@dataclass(frozen=True)
class Registration:
    member: Member
    report: Report
    created: bool  # False when this was a repeat of a registration that had already succeeded


def member_register(
    *,
    name: str,
    id_number: str,
    gender: str,
    birth_on,
    unit,
    position: str,
    skills,
    specialty: str,
    service_wishes: str,
    home_address: str,
    phone: str,
    community: Community,
    kind: str,
    password: str,
) -> Registration:
    """Create the user, the member and a pending report together, matched to the roster by ID number.

    The ID number and phone must not be registered yet; the message never says whose they are, nor which of
    the two is taken. A repeat of a registration that already went through (a double-clicked submit: same ID
    number, phone and password) returns the existing registration instead of failing.
    Raises ValidationError(REGISTRATION_CONFLICT) for the whole form.
    """
    id_hash = hash_id_number(id_number)
    roster_entry = RosterEntry.objects.filter(id_number_hash=id_hash).select_related("unit").first()
    if roster_entry is not None:
        unit = roster_entry.unit  # The unit's own roster decides which unit the member belongs to.
    # The unique constraints on the ID number's hash, the phone and the username decide; the reads that tell a
    # repeat from a conflict run only when one of them refused the row (the usual registration needs none).
    try:
        with transaction.atomic(), tallies_follow(entry_ids=[roster_entry.pk] if roster_entry else []):
            user = User(username=phone, full_name=name)
            user.set_password(password)
            user.save()
            member = Member.objects.create(
                user=user,
                roster_entry=roster_entry,
                name=name,
                gender=gender,
                birth_on=birth_on,
                unit=unit,
                position=position,
                specialty=specialty,
                service_wishes=service_wishes,
                home_address=home_address,
                phone=phone,
                privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
                consented_at=timezone.now(),
                **protect_id_number(id_number),
            )
            if skills:
                member.skills.add(*skills)  # a new member has none to remove: no need for set()'s read
            report = _report_create(member=member, community=community, kind=kind)
    except IntegrityError:
        return _repeat_or_conflict(id_hash=id_hash, phone=phone, password=password)
    return Registration(member=member, report=report, created=True)


def _repeat_or_conflict(*, id_hash: str, phone: str, password: str) -> Registration:
    """After a unique constraint refused a registration: the earlier registration when this is a repeat of it
    (a double-clicked submit, or a concurrent identical one that won the race: same ID number, phone and
    password), else one ValidationError for the whole form that says neither whose nor which of the ID number and
    the phone is taken, so that the form cannot be used to learn whether an ID number belongs to a member."""
    existing = _repeat_of_registration(id_hash=id_hash, phone=phone, password=password)
    if existing:
        return existing
    raise ValidationError(REGISTRATION_CONFLICT, code="conflict")


def _repeat_of_registration(*, id_hash: str, phone: str, password: str) -> Registration | None:
    member = Member.objects.select_related("user").filter(id_number_hash=id_hash, phone=phone).first()
    if member is None or not check_password(password, member.user.password):
        return None
    report = member.reports.filter(status__in=[Report.Status.PENDING, Report.Status.CONFIRMED]).order_by("-pk").first()
    return Registration(member=member, report=report, created=False)


def report_change_community(*, member: Member, community: Community, kind: str) -> Report:
    """Ask to report to another community: a new pending report; the confirmed one stays until this is confirmed.

    Raises ValidationError when a report is already pending or the member already serves there.
    """
    # Following the member locks their row: two changes by the same member run one after the other.
    with transaction.atomic(), tallies_follow(member_ids=[member.pk]):
        if member.reports.filter(status=Report.Status.PENDING).exists():
            raise ValidationError({"community": _("A report is already waiting for confirmation.")})
        if member.reports.filter(status=Report.Status.CONFIRMED, community=community).exists():
            raise ValidationError({"community": _("You already serve in this community.")})
        return _report_create(member=member, community=community, kind=kind)


def _pending_report_for_decision(*, report_id: int, user) -> Report:
    report = (
        Report.objects.select_for_update(of=("self",)).select_related("community", "member__user").get(pk=report_id)
    )
    if not policies.allowed("communities.manage_community", user, report.community):
        raise PermissionDenied
    if report.status != Report.Status.PENDING:
        raise ValidationError(_("This report has already been dealt with."))
    return report


def report_confirm(*, report_id: int, user) -> Report:
    """Confirm a pending report. The member's previous confirmed report ends in the same transaction,
    a roster entry with no expected community is attributed to this one, and the tallies follow.

    Raises PermissionDenied outside the user's community, ValidationError if no longer pending. Audited (refused
    and failed attempts too).
    """
    action = Action.REPORT_CONFIRM
    with audit_attempt(action=action, user=user, obj=ref(Report, report_id)), transaction.atomic():
        report = _pending_report_for_decision(report_id=report_id, user=user)
        with tallies_follow(member_ids=[report.member_id]):
            now = timezone.now()
            Report.objects.filter(member_id=report.member_id, status=Report.Status.CONFIRMED).update(
                status=Report.Status.ENDED, ended_at=now
            )
            report.status = Report.Status.CONFIRMED
            report.decided_at = now
            report.decided_by = user
            report.save(update_fields=["status", "decided_at", "decided_by"])
            attributed = list(
                RosterEntry.objects.filter(member__pk=report.member_id, community__isnull=True).values_list(
                    "pk", flat=True
                )
            )
            RosterEntry.objects.filter(pk__in=attributed).update(community=report.community)
        _tell_member(report, _("Your report to %(community)s is confirmed.") % {"community": report.community.name})
        # The roster entries attributed here are kept in the trail: an undo gives them back their empty community.
        detail = {"community_id": report.community_id, "attributed_entries": attributed}
        audit(action=action, user=user, obj=report, detail=detail)
    return report


def report_confirmation_undoable(*, report: Report, user, now=None) -> bool:
    """Whether `user` may still undo the confirmation of `report`: they made it, less than
    REPORT_CONFIRM_UNDO_MINUTES ago, and nothing has happened to the report since (no query)."""
    now = now or timezone.now()
    return (
        report.status == Report.Status.CONFIRMED
        and report.decided_by_id is not None
        and report.decided_by_id == getattr(user, "pk", None)
        and report.decided_at is not None
        and now - report.decided_at <= datetime.timedelta(minutes=settings.REPORT_CONFIRM_UNDO_MINUTES)
    )


def report_confirm_undo(*, report_id: int, user) -> Report:
    """Undo a confirmation made by `user` within REPORT_CONFIRM_UNDO_MINUTES: the report is pending again, the
    report it ended is confirmed again, the roster entries it attributed lose that community, the member is told
    and the tallies follow. Raises PermissionDenied outside the user's community, ValidationError when the
    confirmation is another's, too old, or no longer the report's state. Audited (refused attempts too).
    """
    action = Action.REPORT_CONFIRM_UNDO
    with audit_attempt(action=action, user=user, obj=ref(Report, report_id)), transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",)).select_related("community", "member__user").get(pk=report_id)
        )
        if not policies.allowed("communities.manage_community", user, report.community):
            raise PermissionDenied
        if Report.objects.filter(member_id=report.member_id, status=Report.Status.PENDING).exists():
            # One pending report a member: theirs, sent since, stands; this one stays confirmed.
            raise ValidationError(_("The member has sent another report since; this confirmation stays."))
        if not report_confirmation_undoable(report=report, user=user):
            raise ValidationError(
                _(
                    "This confirmation can no longer be undone: only the person who confirmed can undo it, within "
                    "%(minutes)s minutes."
                )
                % {"minutes": settings.REPORT_CONFIRM_UNDO_MINUTES}
            )
        confirmed = AuditEvent.objects.filter(
            action=Action.REPORT_CONFIRM,
            object_type=Report._meta.label_lower,
            object_id=str(report.pk),
            outcome=AuditEvent.Outcome.SUCCESS,
        ).first()  # newest first (the model's ordering)
        attributed = (confirmed.detail.get("attributed_entries") or []) if confirmed else []
        with tallies_follow(member_ids=[report.member_id]):
            decided_at = report.decided_at
            # This one first: a member has one confirmed report at a time.
            report.status = Report.Status.PENDING
            report.decided_at = None
            report.decided_by = None
            report.save(update_fields=["status", "decided_at", "decided_by"])
            # The report this confirmation ended was ended at the very same instant (report_confirm's `now`).
            Report.objects.filter(member_id=report.member_id, status=Report.Status.ENDED, ended_at=decided_at).update(
                status=Report.Status.CONFIRMED, ended_at=None
            )
            RosterEntry.objects.filter(pk__in=attributed, community_id=report.community_id).update(community=None)
        _tell_member(
            report,
            _("The confirmation of your report to %(community)s was undone; it is waiting again.")
            % {"community": report.community.name},
        )
        audit(action=action, user=user, obj=report, detail={"community_id": report.community_id})
    return report


def _tell_member(report: Report, title: str, body: str = ""):
    """The member hears of a decision in their inbox (and by email if they gave one)."""
    notify(
        kind="report-decision",
        title=title,
        body=body,
        link=reverse("registration:member-home"),
        user=report.member.user,
        channels=(Notification.Channel.INBOX, Notification.Channel.EMAIL),
    )


def report_reject(*, report_id: int, user, reason: str) -> Report:
    """Reject a pending report with a reason the member sees. Raises as report_confirm; audited like it (the
    reason itself is not copied to the trail: it may name the person)."""
    reason = reason.strip()
    action = Action.REPORT_REJECT
    with audit_attempt(action=action, user=user, obj=ref(Report, report_id)), transaction.atomic():
        if not reason:
            raise ValidationError({"reason": _("Give the reason, so that the member knows what to do.")})
        report = _pending_report_for_decision(report_id=report_id, user=user)
        with tallies_follow(member_ids=[report.member_id]):
            report.status = Report.Status.REJECTED
            report.reject_reason = reason
            report.decided_at = timezone.now()
            report.decided_by = user
            report.save(update_fields=["status", "reject_reason", "decided_at", "decided_by"])
        _tell_member(
            report,
            _("Your report to %(community)s was returned.") % {"community": report.community.name},
            _("Reason: %(reason)s") % {"reason": reason},
        )
        audit(action=action, user=user, obj=report, detail={"community_id": report.community_id})
    return report


def report_withdraw(*, member: Member, report_id: int) -> Report:
    """The member withdraws a pending report, or leaves the community of their confirmed one.

    Either way the report ends now and is kept as history. Raises ValidationError for other reports.
    """
    with transaction.atomic():
        # The report before the member, as report_confirm does: one lock order everywhere.
        report = Report.objects.select_for_update(of=("self",)).filter(member=member, pk=report_id).first()
        if report is None or report.status not in (Report.Status.PENDING, Report.Status.CONFIRMED):
            raise ValidationError(_("Only a pending or confirmed report can be withdrawn."))
        with tallies_follow(member_ids=[member.pk]):
            report.status = Report.Status.ENDED
            report.ended_at = timezone.now()
            report.save(update_fields=["status", "ended_at"])
    return report


def member_withdraw(*, member: Member) -> Member:
    """The member withdraws consent: their personal fields are erased, their login ends, their reports end
    and they leave any roster; their service records stay, attached to a record that names nobody, so the
    figures of past service still add up (PIPL: deletion on withdrawal of consent).

    Kept: gender and birth year (statistics), unit, service history. Raises ValidationError if already done.
    Audited, with the member's account as the user (its username is erased by then).
    """
    entry_id = Member.objects.values_list("roster_entry_id", flat=True).get(pk=member.pk)
    # The roster entry is followed too: it stays on its unit's roster, now as "not registered".
    with transaction.atomic(), tallies_follow(member_ids=[member.pk], entry_ids=[entry_id] if entry_id else []):
        member = Member.objects.select_related("user").get(pk=member.pk)
        if member.withdrawn_at is not None:
            raise ValidationError(_("This registration has already been withdrawn."))
        now = timezone.now()
        Report.objects.filter(member=member, status__in=[Report.Status.PENDING, Report.Status.CONFIRMED]).update(
            status=Report.Status.ENDED, ended_at=now
        )
        erased_tag = f"{member.pk:010d}"
        member.name = _("Withdrawn member")
        member.id_number_encrypted = ""
        member.id_number_hash = f"withdrawn:{erased_tag}"  # unique, and no hash of any ID number
        member.id_number_mask = ""
        member.phone = f"w{erased_tag}"  # unique, and no telephone number
        member.birth_on = member.birth_on.replace(month=1, day=1)
        member.position = member.specialty = member.service_wishes = member.home_address = ""
        member.roster_entry = None
        member.withdrawn_at = now
        member.save()
        member.skills.clear()
        user = member.user
        user.username = f"withdrawn-{erased_tag}"
        user.full_name = user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        audit(action=Action.MEMBER_WITHDRAW, user=user, obj=member)
    return member
