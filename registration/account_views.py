"""The account pages that prove a phone with an SMS code: logging in (with a password, or with a code), a forgotten
password, a change of phone. The codes' rules live in communities.phone_codes; these views only wire the forms.

A page that asks a code for a phone says the same thing, after the same work, whether or not the phone belongs to an
account (communities.phone_codes.codes.code_send with `deliver`), and a wrong code reads the same as a code sent to a
phone without an account: neither page tells whether a phone is registered."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from communities.audit import client_ip
from communities.phone_codes.codes import CodeRefused, Purpose, code_check, code_send
from communities.platform.web import apply_service_errors, next_url
from communities.sessions import end_other_sessions

from . import account_services, selectors
from .account_forms import CodeLoginForm, PasswordResetForm, PhoneChangeForm
from .forms import LoginForm
from .identity import mask_phone
from .ratelimit import address_blocked, captcha_required, lift_account_lock

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
SENT_IF_REGISTERED = gettext_lazy(
    "If this number is registered, a code is on its way by SMS. It is valid for a few minutes."
)
WRONG_CODE = gettext_lazy("The code is not right, or no longer valid. Ask for a new one.")
NETWORK_PAUSED = gettext_lazy("Too many attempts came from your network. Please try again later.")


class LoginView(auth_views.LoginView):
    """Django's login view with the project's form; the CAPTCHA appears on the page that follows the failure that
    makes it due, so the next attempt can answer it."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        if captcha_required(self.request, form.typed_username()):
            form.add_captcha()
        return super().form_invalid(form)


def _sending(request) -> bool:
    return request.method == "POST" and bool(request.POST.get("send"))


def _send(request, form, *, purpose, deliver: bool, sent_message) -> bool:
    """Send a code to the form's phone; the refusal, if any, goes on the form. True when a code was made."""
    try:
        code_send(phone=form.cleaned_data["phone"], purpose=purpose, request=request, deliver=deliver)
    except CodeRefused as refused:
        form.add_error(None, refused.message)
        return False
    messages.info(request, sent_message)
    return True


@require_http_methods(["GET", "POST"])
def login_code(request):
    """Log in with the phone and an SMS code instead of the password (members). Proving the phone also lifts a lock
    of the account (registration.ratelimit)."""
    if request.user.is_authenticated:
        return redirect("home")
    sending = _sending(request)
    form = CodeLoginForm(request.POST if request.method == "POST" else None, sending=sending)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        user = account_services.member_user_for_phone(phone=phone)
        if address_blocked(client_ip(request)):
            form.add_error(None, NETWORK_PAUSED)
        elif sending:
            if _send(request, form, purpose=Purpose.LOGIN, deliver=user is not None, sent_message=SENT_IF_REGISTERED):
                form = CodeLoginForm(initial={"phone": phone})
        elif code_check(phone=phone, purpose=Purpose.LOGIN, code=form.cleaned_data["code"], request=request) and user:
            lift_account_lock(user.username)
            login(request, user, backend=MODEL_BACKEND)
            return redirect(next_url(request, default="home"))
        else:
            form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "title": _("Log in with an SMS code"),
        "intro": _("We send a code to the mobile number you registered with."),
    }
    return render(request, "registration/account/code_form.html", context)


@require_http_methods(["GET", "POST"])
def password_forgot(request):
    """忘记密码: a code to the registered phone, then a new password. The account's other sessions end, a lock is
    lifted, and this browser is logged in (staff still pass their second factor)."""
    if request.user.is_authenticated:
        return redirect("password-change")
    sending = _sending(request)
    form = PasswordResetForm(request.POST if request.method == "POST" else None, sending=sending)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        user = account_services.member_user_for_phone(phone=phone)
        if address_blocked(client_ip(request)):
            form.add_error(None, NETWORK_PAUSED)
        elif sending:
            if _send(
                request, form, purpose=Purpose.PASSWORD_RESET, deliver=user is not None, sent_message=SENT_IF_REGISTERED
            ):
                form = PasswordResetForm(initial={"phone": phone})
        elif (
            code_check(phone=phone, purpose=Purpose.PASSWORD_RESET, code=form.cleaned_data["code"], request=request)
            and user
        ):
            account_services.password_reset(user=user, password=form.cleaned_data["new_password1"])
            lift_account_lock(user.username)
            login(request, user, backend=MODEL_BACKEND)
            end_other_sessions(user, keep=request.session.session_key)
            messages.success(request, _("Your new password is set. Your other logins have ended."))
            return redirect("home")
        else:
            form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "title": _("Forgot password"),
        "intro": _("We send a code to the mobile number you registered with; then you choose a new password."),
    }
    return render(request, "registration/account/code_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def phone_change(request):
    """A member changes their phone (which is also their login name): a code to the new phone, and the password."""
    member = selectors.member_for_user(user=request.user)
    if member is None:
        raise PermissionDenied
    sending = _sending(request)
    data = request.POST if request.method == "POST" else None
    form = PhoneChangeForm(data, sending=sending, current_phone=member.phone)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        if sending:
            sent = _("A code is on its way to %(phone)s by SMS.") % {"phone": mask_phone(phone)}
            if _send(request, form, purpose=Purpose.PHONE_CHANGE, deliver=True, sent_message=sent):
                form = PhoneChangeForm(initial={"phone": phone}, current_phone=member.phone)
        elif not request.user.check_password(form.cleaned_data["password"]):
            form.add_error("password", _("The password is not right."))
        elif not code_check(phone=phone, purpose=Purpose.PHONE_CHANGE, code=form.cleaned_data["code"], request=request):
            form.add_error("code", WRONG_CODE)
        else:
            try:
                account_services.member_phone_change(member=member, phone=phone)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Your phone number is changed. Log in with the new number from now on."))
                return redirect("registration:member-home")
    context = {
        "form": form,
        "title": _("Change my phone"),
        "intro": _("Your current number is %(phone)s. We send a code to the new one.")
        % {"phone": mask_phone(member.phone)},
        "back": "registration:member-home",
    }
    return render(request, "registration/account/code_form.html", context)
