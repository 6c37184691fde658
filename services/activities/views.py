"""Pages for members: the community's activities, an activity with sign-up and cancellation, my activities, the
check-in page and the calendar file."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from icalendar import Calendar, Event

from communities import public_pages
from communities.pagination import get_page
from communities.platform import policies
from communities.platform.web import apply_service_errors
from communities.qr import qr_svg
from services.selectors import community_get_public, member_and_home_for_user

from . import codes, feedback, selectors, services
from .forms import CheckInForm, FeedbackForm
from .models import Activity, CheckIn, Feedback, SignUp

PAGE_SIZE = 20


def _member_and_home(user):
    policies.require("activities.take_part", user)
    member, home = member_and_home_for_user(user=user)
    if member is None:
        raise PermissionDenied
    return member, home


@login_required
def activity_list(request):
    """The activities of the member's community: upcoming first, what is full or over said so."""
    member, home = _member_and_home(request.user)
    page = get_page(selectors.member_activity_list(member=member, community=home), request.GET.get("page"),
                    PAGE_SIZE)
    page.object_list = selectors.with_shown(page.object_list)
    return render(request, "activities/activity_list.html", {"page": page, "home_community": home})


def _feedback_form(signup, activity, now):
    """The feedback form for a member who came, while feedback is taken and they have left none."""
    if signup is None or signup.status != SignUp.Status.ATTENDED or not feedback.window_open(activity, now=now):
        return None
    if Feedback.objects.filter(activity=activity, member_id=signup.member_id).exists():
        return None
    return FeedbackForm()


def _detail_context(member, activity) -> dict:
    now = timezone.now()
    selectors.with_shown([activity], now)
    signup = selectors.member_signup(member=member, activity=activity)
    open_for_signup = activity.shown == Activity.Status.PUBLISHED and now <= activity.signup_deadline
    return {
        "activity": activity,
        "signup": signup,
        "waiting_ahead": selectors.waiting_ahead(signup=signup)
        if signup and signup.status == SignUp.Status.WAITING else None,
        "can_sign_up": open_for_signup and signup is None,
        "signup_closed": not open_for_signup,
        "can_cancel": signup is not None and signup.status in services.ACTIVE and now < activity.starts_at,
        "late_cancel": signup is not None and signup.status == SignUp.Status.SIGNED_UP and now > activity.cancel_cutoff,
        "feedback_form": _feedback_form(signup, activity, now),
        "can_check_in": signup is not None and signup.status == SignUp.Status.SIGNED_UP
        and (services.checkin_open(activity, kind=CheckIn.Kind.ENTRY, now=now)
             or services.checkin_open(activity, kind=CheckIn.Kind.EXIT, now=now)),
    }


@login_required
def activity_detail(request, activity_id: int):
    member, home = _member_and_home(request.user)
    activity = selectors.activity_get_for_member(community=home, activity_id=activity_id)
    return render(request, "activities/activity_detail.html", _detail_context(member, activity))


@login_required
@require_POST
def signup_create(request, activity_id: int):
    member, home = _member_and_home(request.user)
    activity = selectors.activity_get_for_member(community=home, activity_id=activity_id)
    try:
        signup = services.signup_create(member=member, activity_id=activity.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if signup.status == SignUp.Status.WAITING:
            messages.info(request, _("The activity is full: you are on the waiting list. You will be told if a "
                                     "place becomes free."))
        else:
            messages.success(request, _("You have a place on %(title)s.") % {"title": activity.title})
    return redirect("activities:detail", activity_id=activity.pk)


@login_required
@require_POST
def signup_cancel(request, activity_id: int):
    member, home = _member_and_home(request.user)
    activity = selectors.activity_get_for_member(community=home, activity_id=activity_id)
    try:
        signup = services.signup_cancel(member=member, activity_id=activity.pk)
    except SignUp.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if signup.status == SignUp.Status.LATE_CANCELLED:
            messages.warning(request, _("Cancelled after the cut-off: it is recorded as a late cancellation."))
        else:
            messages.success(request, _("Your sign-up is cancelled."))
    return redirect("activities:detail", activity_id=activity.pk)


@login_required
def my_activities(request):
    member, _home = _member_and_home(request.user)
    signups = list(selectors.member_signup_list(member=member)[:100])
    selectors.with_shown([signup.activity for signup in signups])
    return render(request, "activities/my_activities.html", {"signups": signups})


@login_required
@require_http_methods(["GET", "POST"])
def check_in(request, activity_id: int):
    """The member's phone: the code on the organiser's phone (scanned as a QR code, which fills it in, or typed),
    for check-in or check-out."""
    member, home = _member_and_home(request.user)
    activity = selectors.activity_get_for_member(community=home, activity_id=activity_id)
    initial = {"kind": request.GET.get("kind", CheckIn.Kind.ENTRY), "code": request.GET.get("code", "")}
    form = CheckInForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            scan, created = services.checkin_by_code(
                member=member, activity_id=activity.pk, kind=kind, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            label = CheckIn.Kind(kind).label
            time = timezone.localtime(scan.at).strftime("%H:%M")
            if created:
                messages.success(request, _("%(kind)s recorded at %(time)s.") % {"kind": label, "time": time})
            else:
                messages.info(request, _("Already recorded at %(time)s.") % {"time": time})
            return redirect("activities:detail", activity_id=activity.pk)
    return render(request, "activities/check_in.html", {"activity": activity, "form": form})


@login_required
def calendar_file(request, activity_id: int):
    """The activity as an .ics file, for the phone's calendar."""
    _member, home = _member_and_home(request.user)
    activity = selectors.activity_get_for_member(community=home, activity_id=activity_id)
    calendar = Calendar()
    calendar.add("prodid", "-//party-service//activities//ZH")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"activity-{activity.pk}@{request.get_host()}")
    event.add("dtstamp", datetime.datetime.now(tz=datetime.UTC))
    event.add("dtstart", activity.starts_at)
    event.add("dtend", activity.ends_at)
    event.add("summary", activity.title)
    event.add("location", activity.place)
    event.add("description", f"{activity.description}\n{_('Contact')}: {activity.contact}")
    event.add("url", request.build_absolute_uri(reverse("activities:detail", args=[activity.pk])))
    if activity.status == Activity.Status.CANCELLED:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="activity-{activity.pk}.ics"'
    return response


def _my_code_payload(request, activity, member) -> dict:
    token = codes.member_token(activity_id=activity.pk, member_id=member.pk)
    link = request.build_absolute_uri(reverse("activities:staff-scan", args=[activity.pk]))
    return {"code": "", "qr": str(qr_svg(f"{link}?token={token}")), "seconds_left": codes.seconds_left()}


def _my_place(request, activity_id: int):
    member, home = _member_and_home(request.user)
    activity = selectors.activity_get_for_member(community=home, activity_id=activity_id)
    signup = selectors.member_signup(member=member, activity=activity)
    if signup is None or signup.status != SignUp.Status.SIGNED_UP:
        raise Http404
    return member, activity


@login_required
@never_cache
def my_code(request, activity_id: int):
    """The member's own code, for the organiser to scan when the member cannot scan theirs: a signed token that is
    good for a minute, refreshed every 30 seconds by static/js/activity-code.js."""
    member, activity = _my_place(request, activity_id)
    context = {"activity": activity, **_my_code_payload(request, activity, member)}
    return render(request, "activities/my_code.html", context)


@login_required
@never_cache
def my_code_json(request, activity_id: int):
    member, activity = _my_place(request, activity_id)
    return JsonResponse(_my_code_payload(request, activity, member))


def public_list(request, code: str):
    """A community's activities for anyone (no login): what is coming with places left, and what was done with
    its figures. No member is named."""
    community = public_pages.cached(f"community:{code}", get=lambda: community_get_public(code=code))
    context = {"community": community, **selectors.public_activities(community=community)}
    return render(request, "activities/public_list.html", context)
