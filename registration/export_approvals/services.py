"""Writes of the export approvals; each one transaction, each audited (refusals too, after the rollback)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.audit import audit, audit_attempt
from communities.models import StaffAssignment
from communities.notifications import notify
from communities.platform import policies

from .audit_actions import Action
from .models import ExportRequest


def export_request_file(*, requester, community, kind: str, reason: str) -> ExportRequest:
    """File a request for a full export of `community`. A request already pending for the same place and kind is
    returned as it is (a double submit makes one row: the partial unique constraint holds it under a race)."""
    detail = {"community": community.pk, "kind": kind}
    with audit_attempt(action=Action.EXPORT_REQUEST, user=requester, obj=community, detail=detail):
        if not policies.allowed("registration.export_ledger_in_full", requester) or not (
            requester.is_superuser or community.pk in policies.scope_of(requester).community_ids
        ):
            raise PermissionDenied
        if kind not in ExportRequest.Kind.values:
            raise ValidationError({"kind": _("Choose a kind of export.")})
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the full data is needed.")})
        pending = {"requester": requester, "community": community, "kind": kind, "status": ExportRequest.Status.PENDING}
        with transaction.atomic():
            existing = ExportRequest.objects.filter(**pending).first()
            if existing is not None:
                return existing
            try:
                with transaction.atomic():  # a savepoint: the other submit's row wins, this one reads it
                    created = ExportRequest.objects.create(**pending, reason=reason.strip())
            except IntegrityError:
                return ExportRequest.objects.get(**pending)
            audit(
                action=Action.EXPORT_REQUEST, user=requester, obj=created, detail={**detail, "reason": created.reason}
            )
            _tell_approvers(created)
            return created


def approvers_to_tell(export_request):
    """Who is told of a new request: the other staff of its community and the staff of its street (the people
    nearest the place; the organisation department may decide too, but is not sent every community's request)."""
    community = export_request.community
    assignments = StaffAssignment.objects.filter(
        Q(role=StaffAssignment.Role.COMMUNITY_STAFF, community=community)
        | Q(role=StaffAssignment.Role.STREET_STAFF, street_id=community.street_id)
    ).exclude(user_id=export_request.requester_id).filter(user__is_active=True).select_related("user")
    return list({assignment.user_id: assignment.user for assignment in assignments}.values())


def _tell_approvers(export_request) -> None:
    link = reverse("registration:export-requests")
    title = _("A full export of %(community)s waits for your approval") % {"community": export_request.community.name}
    for approver in approvers_to_tell(export_request):
        notify(kind="export_request", title=title, body=export_request.reason, link=link, user=approver)


def _tell_requester(export_request) -> None:
    if export_request.status == ExportRequest.Status.APPROVED:
        title = _("Your full export of %(community)s was approved")
    else:
        title = _("Your full export of %(community)s was refused")
    notify(
        kind="export_request_decided",
        title=title % {"community": export_request.community.name},
        body=export_request.note,
        link=reverse("registration:export-requests"),
        user=export_request.requester,
    )


def export_request_decide(*, approver, request_id: int, approve: bool, note: str) -> ExportRequest:
    """Approve or refuse a pending request, by a second person whose scope covers its place. A request out of the
    approver's scope is refused as unknown."""
    action = Action.EXPORT_APPROVE if approve else Action.EXPORT_REFUSE
    with audit_attempt(action=action, user=approver, detail={"request": request_id}):
        with transaction.atomic():
            export_request = (
                ExportRequest.objects.select_for_update().select_related("community").filter(pk=request_id).first()
            )
            if export_request is None or not policies.allowed(
                "export_approvals.decide_request", approver, export_request
            ):
                raise PermissionDenied
            if export_request.status != ExportRequest.Status.PENDING:
                raise ValidationError(_("This request has already been decided."))
            export_request.status = ExportRequest.Status.APPROVED if approve else ExportRequest.Status.REFUSED
            export_request.decided_by = approver
            export_request.decided_at = timezone.now()
            export_request.note = note.strip()
            export_request.save(update_fields=["status", "decided_by", "decided_at", "note"])
            audit(
                action=action,
                user=approver,
                obj=export_request,
                detail={
                    "request": export_request.pk,
                    "community": export_request.community_id,
                    "note": export_request.note,
                },
            )
            _tell_requester(export_request)
            return export_request


def export_request_use(*, requester, request_id: int) -> ExportRequest:
    """Count one download of an approved request, by its requester, before the approval lapses and while downloads
    are left. Counted before the file is built, so that two downloads at once cannot pass the limit."""
    with audit_attempt(action=Action.EXPORT_REQUEST_USE, user=requester, detail={"request": request_id}):
        with transaction.atomic():
            export_request = (
                ExportRequest.objects.select_for_update().select_related("community").filter(pk=request_id).first()
            )
            if export_request is None or export_request.requester_id != requester.pk:
                raise PermissionDenied
            if not export_request.usable():
                raise ValidationError(_("This request is not approved, has lapsed or has no downloads left."))
            # The requester may have lost the role since: the approval does not outlive it.
            if not policies.allowed("registration.export_ledger_in_full", requester):
                raise PermissionDenied
            export_request.downloads += 1
            export_request.save(update_fields=["downloads"])
            audit(
                action=Action.EXPORT_REQUEST_USE,
                user=requester,
                obj=export_request,
                detail={"request": export_request.pk, "downloads": export_request.downloads},
            )
            return export_request
