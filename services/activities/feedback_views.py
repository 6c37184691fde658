"""Pages for feedback after an activity (members and the residents served) and for the served resident's
one-tap confirmation of a one-to-one service (no login)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from communities.audit import client_ip
from communities.platform import policies
from communities.platform.web import apply_service_errors
from communities.qr import qr_svg
from services.models import ServiceRecord

from . import confirmations, feedback, selectors
from .forms import ConfirmationCodeForm, FeedbackForm, ResidentFeedbackForm
from .models import Activity
from .views import _member_and_home


@login_required
@require_POST
def member_feedback(request, activity_id: int):
    member, home = _member_and_home(request.user)
    activity = selectors.activity_get_for_member(community=home, activity_id=activity_id)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            feedback.feedback_from_member(member=member, activity_id=activity.pk, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Thank you for your feedback."))
    else:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return redirect("activities:detail", activity_id=activity.pk)


@require_http_methods(["GET", "POST"])
def resident_feedback(request, token: str):
    """A resident served opens the link the organiser shows (a QR code) and leaves feedback, no login."""
    activity_id = feedback.activity_from_link_token(token)
    activity = Activity.objects.select_related("community").filter(pk=activity_id).first() if activity_id else None
    if activity is None:
        raise Http404
    form = ResidentFeedbackForm(request.POST or None)
    done = False
    if request.method == "POST" and form.is_valid():
        try:
            feedback.feedback_from_resident(activity_id=activity.pk, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            done = True
    context = {"activity": activity, "form": form, "done": done,
               "open": feedback.window_open(activity, now=timezone.now())}
    return render(request, "activities/resident_feedback.html", context)


def resident_feedback_link(request, activity: Activity) -> dict:
    """The organiser's QR code for the residents' feedback page."""
    link = request.build_absolute_uri(
        reverse("activities:resident-feedback", args=[feedback.resident_link_token(activity_id=activity.pk)])
    )
    return {"link": link, "qr": qr_svg(link)}


# --- The resident's confirmation ----------------------------------------------------------------------------------


@login_required
def confirmation_list(request):
    """The member's one-to-one records awaiting verification, each with a button to show the resident a code."""
    member, _home = _member_and_home(request.user)
    records = list(confirmations.confirmable_records(member=member)[:50])
    return render(request, "activities/confirmation_list.html", {"records": records})


@login_required
@never_cache
def confirmation_code(request, record_id: int):
    """The code and QR code the member shows the resident."""
    member, _home = _member_and_home(request.user)
    try:
        confirmation = confirmations.confirmation_issue(member=member, record_id=record_id)
    except ServiceRecord.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("activities:confirmations")
    link = request.build_absolute_uri(reverse("activities:confirm", args=[confirmation.code]))
    context = {"confirmation": confirmation, "record": confirmation.record, "qr": qr_svg(link)}
    return render(request, "activities/confirmation_code.html", context)


@require_http_methods(["GET", "POST"])
def confirm_enter(request):
    """A resident types the code the member shows (no login)."""
    form = ConfirmationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            found = confirmations.confirmation_find(code=form.cleaned_data["code"], address=client_ip(request) or "")
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("activities:confirm", code=found.code)
    return render(request, "activities/confirm_enter.html", {"form": form})


@require_http_methods(["GET", "POST"])
def confirm(request, code: str):
    """The service to confirm, and the one tap (no login). A building head signed in confirms for the resident."""
    address = client_ip(request) or ""
    try:
        confirmation = confirmations.confirmation_find(code=code, address=address)
    except ValidationError as error:
        return render(request, "activities/confirm.html", {"error": " ".join(error.messages)}, status=404)
    if request.method == "POST":
        try:
            confirmation = confirmations.confirmation_confirm(code=code, address=address, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    record = confirmation.record
    signed_in = request.user.is_authenticated
    context = {
        "confirmation": confirmation, "record": record, "member_name": _masked(record.member.name),
        "signed_in": signed_in,
        "as_building_head": signed_in
        and policies.allowed("activities.confirm_for_resident", request.user, record.community),
    }
    return render(request, "activities/confirm.html", context)


def _masked(name: str) -> str:
    """The member's family name and a star per other character: the page is open to anyone with the code."""
    return name[:1] + "*" * max(len(name) - 1, 1)
