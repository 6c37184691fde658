from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from . import public_pages, second_factor, selectors
from .forms import SecondFactorForm
from .models import Notification
from .notifications import unread_changed
from .platform import navigation, web
from .qr import qr_svg


def home(request):
    """/: a visitor finds a community here (the front door); a logged-in user is sent to the place of their
    widest role, and a user with no role is told so rather than shown an empty page."""
    if not request.user.is_authenticated:
        return front_door(request)
    target = navigation.home_url_for(request.user)
    if target is None:
        return render(request, "communities/no_role.html", status=403)
    return redirect(target)


@public_pages.whole_page
def front_door(request):
    """Find a community (district → street → community, or a part of its name) and open its public pages; no
    login. Names and public pages only: nothing a community's own public page does not show. The list is drawn
    from the shared cache (communities.public_pages): the rows are read only when it has to be drawn again."""
    choice = selectors.FrontDoorChoice.from_query(request.GET)
    context = {
        "choice": choice,
        "find": lambda: selectors.front_door(choice=choice),
        "public_entries": [] if request.user.is_authenticated else navigation.public_tabs.for_user(request.user),
        "min_search": selectors.MIN_SEARCH,
        "max_search": selectors.MAX_SEARCH,
    }
    return render(request, "communities/front_door.html", context)


# The large-text mode (长辈版): a cookie the base template reads; a year, so it stays on for whoever switched it on.
LARGE_TEXT_COOKIE = public_pages.LARGE_TEXT_COOKIE
LARGE_TEXT_MAX_AGE = 365 * 24 * 3600


@require_http_methods(["GET"])
def large_text(request):
    """Switch the large-text mode on (?on=1) or off (?on=0) from any page, and go back to that page (if it is
    ours). A GET link, so it works without JavaScript and before login; it changes nothing but how pages look.
    The link carries the page's path only (a page never echoes its address's query back); the referring address,
    sent within the site (Referrer-Policy same-origin), keeps the page's filters when there is one."""
    back = web.safe_target(request, request.GET.get("next", ""), reverse("home"))
    response = redirect(web.safe_target(request, request.headers.get("referer", ""), back))
    if request.GET.get("on") == "1":
        response.set_cookie(LARGE_TEXT_COOKIE, "1", max_age=LARGE_TEXT_MAX_AGE, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE, samesite="Lax")
    return response


@login_required
def inbox(request):
    """The user's in-app messages, newest first."""
    messages = Notification.objects.filter(user=request.user, channel=Notification.Channel.INBOX).order_by("-pk")
    page = Paginator(messages, 30).get_page(request.GET.get("page"))
    # A member reaches the inbox from the bottom bar's 消息 and keeps the bar there; other roles have their header.
    context = {"page": page, "member_bar": navigation.member_tabs.shown_to(request.user)}
    return render(request, "communities/inbox.html", context)


@login_required
@require_POST
def inbox_mark_read(request):
    Notification.objects.filter(user=request.user, channel=Notification.Channel.INBOX, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    unread_changed([request.user.pk])
    return redirect("communities:inbox")


# --- The second factor (communities.second_factor) --------------------------------------------------------------


def _next(request) -> str:
    """Where to continue once the second factor is passed: the page asked for, if it is ours; else home."""
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


def _apply_errors(form, error: ValidationError):
    for field, field_errors in error.error_dict.items():
        form.add_error(field, field_errors)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_check(request):
    """Type the current code of the account's authenticator app; an account with none enrols first."""
    user, target = request.user, _next(request)
    if not second_factor.requires_second_factor(user) or user.is_verified():
        return redirect(target)
    device = second_factor.confirmed_device(user)
    if device is None:
        return redirect(second_factor.with_next(reverse("communities:second-factor-enrol"), request.GET.get("next")))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor.second_factor_verify(user=user, device_id=device.pk, code=form.cleaned_data["code"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            otp_login(request, device)
            return redirect(target)
    return render(request, "communities/second_factor.html", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_enrol(request):
    """First login of an account that needs a second factor: add the account to an authenticator app (QR code
    or the secret typed in), then confirm with the code it shows. The secret is shown only here, only until the
    device is confirmed, and this page is never cached."""
    user, target = request.user, _next(request)
    if not second_factor.requires_second_factor(user) or user.is_verified():
        return redirect(target)
    if second_factor.confirmed_device(user) is not None:
        # Enrolled already: a password alone never replaces a device (the security administrator resets it).
        return redirect(second_factor.with_next(reverse("communities:second-factor"), request.GET.get("next")))
    device = second_factor.enrolment_device(user)
    form = SecondFactorForm(request.POST or None, submit_label=_("Confirm and continue"))
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor.second_factor_verify(
                user=user, device_id=device.pk, code=form.cleaned_data["code"], enrol=True
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            otp_login(request, device)
            messages.success(request, _("The second factor is set up. From now on each login asks for its code."))
            return redirect(target)
    context = {
        "form": form,
        "qr_code": qr_svg(device.config_url),
        "secret": second_factor.device_secret(device),
        "account": user.get_username(),
    }
    return render(request, "communities/second_factor_enrol.html", context)
