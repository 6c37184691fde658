"""Pages of the self-service sub-domain: a member's own data and the correction of a returned report; the unit
liaison's contacts of unregistered people, 一键提醒, adding a registered member and taking a person off the roster."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities.platform import policies
from communities.platform.web import PAGE_SIZE, apply_service_errors, next_url, paginate
from registration import selectors as registration_selectors

from . import selectors, services
from .fields import field_labels
from .forms import CorrectionForm, ProfileForm, RosterRemoveForm, narrowed_initial, profile_initial


def _member_or_403(user):
    member = registration_selectors.member_for_user(user=user)
    if member is None or member.withdrawn_at is not None:
        raise PermissionDenied
    return member


def _profile_values(data) -> dict:
    return {
        "unit": data["unit"],
        "position": data["position"],
        "skills": data["skills"],
        "specialty": data["specialty"],
        "service_wishes": data["service_wishes"],
        "home_address": data["home_address"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """我的资料: change unit, position, skills, wishes and address; the history of changes below."""
    member = _member_or_403(request.user)
    if request.method == "POST" and request.POST.get("narrow"):
        form = ProfileForm(initial=narrowed_initial(request.POST, narrow=request.POST["narrow"]))
    elif request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                update = services.profile_update(member=member, user=request.user, **_profile_values(form.cleaned_data))
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if update.change is None:
                    messages.info(request, _("Nothing was changed."))
                elif update.report is not None:
                    messages.success(
                        request,
                        _("Saved. Your report to %(community)s depends on your unit, so it goes to its staff again.")
                        % {"community": update.report.community.name},
                    )
                else:
                    messages.success(request, _("Your data is saved."))
                return redirect("registration:profile")
    else:
        form = ProfileForm(initial=profile_initial(member))
    history = list(selectors.profile_history(member=member)[:20])
    for change in history:
        change.labels = field_labels(change.fields)
    context = {"member": member, "form": form, "history": history}
    return render(request, "selfservice/profile.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def report_correct(request, report_id: int):
    """Correct a returned report and send it again to the same community, the staff's reason beside the details
    it names."""
    member = _member_or_403(request.user)
    reports = list(registration_selectors.report_history(member=member))
    report = next((report for report in reports if report.pk == report_id), None)
    if report is None:
        raise Http404
    if not services.correctable(report, reports):
        messages.info(request, _("This report cannot be corrected and sent again."))
        return redirect("registration:member-home")
    returned = selectors.returned_fields(report=report)
    if request.method == "POST" and request.POST.get("narrow"):
        initial = narrowed_initial(request.POST, narrow=request.POST["narrow"])
        form = CorrectionForm(initial=initial, returned_fields=returned)
    elif request.method == "POST":
        form = CorrectionForm(request.POST, returned_fields=returned)
        if form.is_valid():
            try:
                new_report = services.report_resubmit(
                    member=member,
                    report_id=report.pk,
                    user=request.user,
                    kind=form.cleaned_data["kind"],
                    **_profile_values(form.cleaned_data),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Your corrected report has been sent to the community again."))
                return redirect("registration:letter", report_id=new_report.pk)
    else:
        form = CorrectionForm(initial={**profile_initial(member), "kind": report.kind}, returned_fields=returned)
    context = {
        "member": member,
        "report": report,
        "form": form,
        "returned_reason": report.reject_reason,
        "returned_labels": field_labels(returned),
    }
    return render(request, "selfservice/report_correct.html", context, status=400 if form.errors else 200)


# --- Unit liaisons ---------------------------------------------------------------------------------------------------


def _liaison_unit(request, unit_id: int):
    policies.require("selfservice.use_liaison_tools", request.user)
    return registration_selectors.unit_get_for_user(user=request.user, unit_id=unit_id)


def _contacts_page(request, unit, *, revealed=None, status=200):
    page = paginate(request, selectors.unregistered_contacts(unit=unit))
    for entry in page:
        entry.full_phone = (revealed or {}).get(entry.pk)
    context = {
        "unit": unit,
        "page": page,
        "off_roster": registration_selectors.off_roster_members(unit=unit)[:PAGE_SIZE],
    }
    return render(request, "selfservice/liaison_contacts.html", context, status=status)


@login_required
def liaison_contacts(request, unit_id: int):
    """The unit's unregistered roster members with their phone masked (full on an audited click), the 一键提醒
    button, and registered members who named the unit but are on no roster, each added in one step."""
    return _contacts_page(request, _liaison_unit(request, unit_id))


@login_required
@require_POST
def liaison_phone(request, unit_id: int, entry_id: int):
    """Show one unregistered person's full number, recorded in the audit trail; the page is drawn again with it."""
    unit = _liaison_unit(request, unit_id)
    entry = selectors.roster_entry_for_unit(unit=unit, entry_id=entry_id)
    phone = services.roster_phone_reveal(user=request.user, entry_id=entry.pk)
    return _contacts_page(request, unit, revealed={entry.pk: phone})


@login_required
@require_POST
def liaison_remind(request, unit_id: int):
    """一键提醒: an SMS to every unregistered person of the unit, at most once a week each."""
    unit = _liaison_unit(request, unit_id)
    result = services.roster_remind_unregistered(user=request.user, unit_id=unit.pk)
    messages.success(
        request,
        _(
            "Reminders sent: %(sent)d. Already reminded this week: %(already)d. Without a phone number: %(no_phone)d."
        )
        % {"sent": result.sent, "already": result.already, "no_phone": result.no_phone},
    )
    return redirect("registration:liaison-contacts", unit_id=unit.pk)


@login_required
@require_POST
def roster_add_member(request, unit_id: int, member_id: int):
    """Put a registered member who named the unit on its roster, in one step."""
    unit = _liaison_unit(request, unit_id)
    try:
        entry = services.roster_add_member(user=request.user, unit_id=unit.pk, member_id=member_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is on the roster now.") % {"name": entry.name})
    return redirect(next_url(request, reverse("registration:liaison-contacts", args=[unit.pk])))


@login_required
@require_http_methods(["GET", "POST"])
def roster_remove(request, unit_id: int, entry_id: int):
    """Take a person off the unit's roster: a page that says what follows, a reason, and a confirmation."""
    policies.require("selfservice.remove_roster_entry", request.user)
    unit = registration_selectors.unit_get_for_user(user=request.user, unit_id=unit_id)
    entry = selectors.roster_entry_for_unit(unit=unit, entry_id=entry_id)
    form = RosterRemoveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.roster_entry_remove(user=request.user, entry_id=entry.pk, reason=form.cleaned_data["reason"])
        messages.success(request, _("%(name)s is off the roster.") % {"name": entry.name})
        return redirect("registration:unit-roster", unit_id=unit.pk)
    context = {"unit": unit, "entry": entry, "form": form}
    return render(request, "selfservice/roster_remove.html", context, status=400 if form.errors else 200)
