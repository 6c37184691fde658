"""Pages for community staff: create, publish and cancel activities, the organiser's changing code, the attendance
list with check-in by hand, and closing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from communities.models import Community
from communities.platform import policies
from communities.platform.web import apply_service_errors, paginate
from communities.qr import qr_svg

from . import codes, feedback, selectors, services
from .feedback_views import resident_feedback_link
from .forms import ActivityForm, ManualCheckInForm
from .models import Activity, CheckIn, SignUp

# The organiser's page lists this much feedback, newest first (the summary counts all of it).
FEEDBACK_SHOWN = 100


def _managed_community(user) -> Community:
    """The community a staff member creates activities for: their own (the first, if they have several)."""
    policies.require("activities.post_activity", user)
    community = Community.objects.filter(pk__in=policies.scope_of(user).community_ids).order_by("code").first()
    if community is None:
        raise PermissionDenied
    return community


def _managed_activity(user, activity_id: int) -> Activity:
    activity = selectors.staff_activity_get(user=user, activity_id=activity_id)
    policies.require("activities.manage_activity", user, activity)
    return activity


@login_required
def activity_list(request):
    policies.require("communities.open_staff_pages", request.user)
    status = request.GET.get("status", "")
    status = status if status in Activity.Status.values else ""
    page = paginate(request, selectors.staff_activity_list(user=request.user, status=status))
    page.object_list = selectors.with_shown(page.object_list)
    context = {
        "page": page,
        "status": status,
        "statuses": Activity.Status.choices,
        "can_post": policies.allowed("activities.post_activity", request.user),
    }
    return render(request, "activities/staff_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request):
    community = _managed_community(request.user)
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {name: data[name] for name in services.ACTIVITY_FIELDS}
        try:
            created = services.activity_create(
                user=request.user, community=community, frequency=data["frequency"],
                occurrences=data["occurrences"], **values,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved %(count)s draft(s). Publish each when it is ready.")
                             % {"count": len(created)})
            return redirect("activities:staff-detail", activity_id=created[0].pk)
    return render(request, "activities/staff_form.html", {"form": form, "community": community})


@login_required
def activity_detail(request, activity_id: int):
    """The activity with its attendance: places, waiting list, scans, and check-in by hand; its feedback once
    closed. Staff of its place, or its organiser (selectors.staff_activity_get)."""
    activity = selectors.staff_activity_get(user=request.user, activity_id=activity_id)
    selectors.with_shown([activity])
    signups = selectors.attendance_list(activity=activity)
    can_manage = policies.allowed("activities.manage_activity", request.user, activity)
    holders = [signup.member for signup in signups if signup.status == SignUp.Status.SIGNED_UP]
    context = {
        "activity": activity,
        "signups": signups,
        "can_manage": can_manage,
        "manual_form": ManualCheckInForm(members=holders) if can_manage and holders else None,
        "can_close": can_manage and activity.status in (Activity.Status.PUBLISHED, Activity.Status.RUNNING)
        and timezone.now() >= activity.starts_at,
    }
    if activity.status == Activity.Status.ENDED:
        context["feedback_summary"] = feedback.summary(activity=activity)
        context["feedback_list"] = list(feedback.feedback_list(activity=activity)[:FEEDBACK_SHOWN])
        context["resident_feedback"] = resident_feedback_link(request, activity)
    return render(request, "activities/staff_detail.html", context)


ACTIONS = {
    "publish": (lambda user, pk: services.activity_publish(user=user, activity_id=pk), _("Published.")),
    "cancel": (lambda user, pk: services.activity_cancel(user=user, activity_id=pk), _("Cancelled.")),
    "close": (lambda user, pk: services.activity_close(user=user, activity_id=pk), _("Closed.")),
}


@login_required
@require_POST
def activity_action(request, activity_id: int, action: str):
    """Publish, cancel or close: each one service call, refused outside the community."""
    if action not in ACTIONS:
        raise Http404
    activity = _managed_activity(request.user, activity_id)
    operation, done = ACTIONS[action]
    try:
        result = operation(request.user, activity.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if action == "close":
            done = _("Closed: %(attended)s attended, %(no_show)s no-shows, %(hours)s hours credited to "
                     "%(credited)s members.") % result
        messages.success(request, done)
    return redirect("activities:staff-detail", activity_id=activity.pk)


@login_required
@require_POST
def manual_check_in(request, activity_id: int):
    activity = _managed_activity(request.user, activity_id)
    holders = SignUp.objects.filter(activity=activity, status=SignUp.Status.SIGNED_UP).select_related("member")
    form = ManualCheckInForm(request.POST, members=[signup.member for signup in holders])
    if form.is_valid():
        try:
            _scan, created = services.checkin_manual(
                user=request.user, activity_id=activity.pk, member_id=form.cleaned_data["member"],
                kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Recorded.") if created else _("Already recorded within the last minute."))
    else:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return redirect("activities:staff-detail", activity_id=activity.pk)


def _code_payload(request, activity: Activity, kind: str) -> dict:
    now = timezone.now()
    code = codes.current_code(activity_id=activity.pk, kind=kind, now=now)
    link = request.build_absolute_uri(reverse("activities:check-in", args=[activity.pk]))
    return {
        "code": code,
        "qr": str(qr_svg(f"{link}?kind={kind}&code={code}")),
        "seconds_left": codes.seconds_left(now),
        "open": services.checkin_open(activity, kind=kind, now=now),
    }


def _code_kind(request) -> str:
    kind = request.GET.get("kind", CheckIn.Kind.ENTRY)
    if kind not in CheckIn.Kind.values:
        raise Http404
    return kind


@login_required
@never_cache
def code_page(request, activity_id: int):
    """The organiser's phone: the code of this 30-second window as a QR code and six digits, refreshed by
    static/js/activity-code.js."""
    activity = _managed_activity(request.user, activity_id)
    kind = _code_kind(request)
    context = {"activity": activity, "kind": kind, "kinds": CheckIn.Kind.choices,
               **_code_payload(request, activity, kind)}
    return render(request, "activities/staff_code.html", context)


@login_required
@never_cache
def code_json(request, activity_id: int):
    activity = _managed_activity(request.user, activity_id)
    return JsonResponse(_code_payload(request, activity, _code_kind(request)))


@login_required
@require_http_methods(["GET", "POST"])
def scan(request, activity_id: int):
    """The organiser's phone camera opened a member's own code: who it is, and a check-in or check-out button."""
    activity = _managed_activity(request.user, activity_id)
    token = request.POST.get("token") or request.GET.get("token", "")
    if request.method == "POST":
        try:
            _scan, created = services.checkin_by_organiser_scan(
                user=request.user, activity_id=activity.pk, token=token, kind=request.POST.get("kind", "")
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Recorded.") if created else _("Already recorded within the last minute."))
            return redirect("activities:staff-detail", activity_id=activity.pk)
    verdict, member_id = codes.member_from_token(activity_id=activity.pk, token=token)
    signup = (
        SignUp.objects.filter(activity=activity, member_id=member_id, status=SignUp.Status.SIGNED_UP)
        .select_related("member__unit")
        .first()
        if member_id else None
    )
    context = {"activity": activity, "token": token, "signup": signup, "expired": verdict is codes.Verdict.EXPIRED,
               "kinds": CheckIn.Kind.choices}
    return render(request, "activities/staff_scan.html", context)
