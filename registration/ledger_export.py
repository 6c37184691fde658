"""The ledger as an .xlsx download, masked or in full: one builder for the masked one-click export
(registration.staff_views) and the full one served after a second person's approval (registration.export_approvals)."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from communities.exports import as_of_period, scope_place, xlsx_export

from . import selectors
from .identity import mask_address, mask_search_term
from .models import Report

KIND = "member-ledger"


def ledger_xlsx(*, user, search: str = "", full: bool = False, community=None, request_id: int | None = None):
    """The ledger of the user's scope (narrowed to `community` when given) as a recorded .xlsx response. `full`
    writes ID numbers, phones and addresses unmasked: only for an approved export request (`request_id`, kept in
    the export's record and audit event)."""
    members = selectors.ledger_list(user=user, search=search)
    if community is not None:
        confirmed_here = Report.objects.filter(
            member=OuterRef("pk"), community=community, status=Report.Status.CONFIRMED
        )
        members = members.filter(Exists(confirmed_here))
    reports = selectors.member_communities(members=members)
    header = [
        _("Name"),
        _("Gender"),
        _("Birth date"),
        _("ID card number"),
        _("Work unit"),
        _("Current position"),
        _("Special skills"),
        _("Service wishes"),
        _("Home address"),
        _("Mobile phone"),
        _("Community"),
        _("Confirmed on"),
    ]

    def rows():
        for member in members.iterator(chunk_size=2000):
            report = reports.get(member.pk)
            skills = "、".join(skill.name for skill in member.skills.all())
            yield [
                member.name,
                member.get_gender_display(),
                f"{member.birth_on:%Y-%m}",
                member.id_number if full else member.id_number_mask,
                member.unit.name,
                member.position,
                "、".join(filter(None, [skills, member.specialty])),
                member.service_wishes,
                member.home_address if full else mask_address(member.home_address),
                member.phone if full else member.phone_masked,
                report.community.name if report else "",
                f"{report.decided_at:%Y-%m-%d}" if report and report.decided_at else "",
            ]

    filters = {"q": mask_search_term(search)}
    if request_id is not None:
        filters["request"] = request_id
    return xlsx_export(
        user=user,
        kind=KIND,
        title=_("Ledger of in-service Party members"),
        header=header,
        rows=rows(),
        filters=filters,
        full_values=full,
        place=community.name if community is not None else scope_place(user),
        period=as_of_period(),
    )
