"""Pages for members: register, the introduction letter, their home, changing community."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.utils import ErrorDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities.phone_codes.codes import CodeRefused, Purpose, code_check, code_send
from communities.platform.web import apply_service_errors
from communities.qr import qr_svg
from communities.sessions import end_other_sessions

from . import selectors, services
from .account_views import WRONG_CODE
from .forms import ChangeCommunityForm, OwnPasswordChangeForm, RegistrationForm
from .identity import mask_phone
from .models import Report
from .public_listing import PublicListingForm, public_listing_set
from .ratelimit import registration_allowed
from .selfservice.services import correctable

# The choices below the one changed, which narrowing drops (the rest is kept); passwords are never sent back.
NARROWING_DROPS = {"district": ("street", "community"), "street": ("community",), "unit_district": ("unit",)}


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password with the current one. This session stays logged in (under a new key); the
    account's other sessions are deleted. The change is in the audit trail (recorded by communities.audit_signals
    on any save that changes a password)."""

    form_class = OwnPasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)  # saves, then moves this session to a new key
        end_other_sessions(form.user, keep=self.request.session.session_key)
        messages.success(self.request, _("Your password has been changed."))
        return response


def narrowed_initial(data, *, narrow: str, multi=("skills",)) -> dict:
    """The typed values of a form posted only to narrow a list, minus the choices below the changed one."""
    initial = {
        key: data.getlist(key) if key in multi else data.get(key) for key in data if key != "csrfmiddlewaretoken"
    }
    for dropped in NARROWING_DROPS.get(narrow, ()):
        initial.pop(dropped, None)
    initial.pop("password1", None)
    initial.pop("password2", None)
    return initial


@require_http_methods(["GET", "POST"])
def register(request):
    """Self-registration: the seven clear items, the community, consent; one transaction behind it."""
    if request.user.is_authenticated and selectors.member_for_user(user=request.user):
        return redirect("registration:member-home")
    if request.method == "POST" and request.POST.get("narrow"):
        form = RegistrationForm(initial=narrowed_initial(request.POST, narrow=request.POST["narrow"]))
    elif request.method == "POST" and request.POST.get("send"):
        form = _registration_code_send(request)
    elif request.method == "POST" and not registration_allowed(request):
        # Over REGISTRATION_RATE_LIMIT for this IP: nothing is checked or saved; the typed values stay.
        messages.error(request, _("Too many registrations were submitted from your network. Please try again later."))
        form = RegistrationForm(initial=narrowed_initial(request.POST, narrow=""))
        return render(request, "registration/register.html", {"form": form}, status=429)
    elif request.method == "POST":
        form = RegistrationForm(request.POST)
        if form.is_valid() and not code_check(
            phone=form.cleaned_data["phone"],
            purpose=Purpose.REGISTER,
            code=form.cleaned_data["phone_code"],
            request=request,
            consume=False,  # a repeated submit (double click) still lands on the letter; the code expires soon
        ):
            form.add_error("phone_code", WRONG_CODE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                registration = services.member_register(
                    name=data["name"],
                    id_number=data["id_number"],
                    gender=data["gender"],
                    birth_on=data["birth_on"],
                    unit=data["unit"],
                    position=data["position"],
                    skills=data["skills"],
                    specialty=data["specialty"],
                    service_wishes=data["service_wishes"],
                    home_address=data["home_address"],
                    phone=data["phone"],
                    community=data["community"],
                    kind=data["kind"],
                    password=data["password1"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                login(request, registration.member.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Registered. Print the introduction letter or show it on your phone."))
                return redirect("registration:letter", report_id=registration.report.pk)
    else:
        form = RegistrationForm()
    return render(request, "registration/register.html", {"form": form})


def _registration_code_send(request):
    """The registration form's "send me a code" button: only the phone is checked, and a code sent to it; the
    form comes back with what was typed (passwords excepted) and only the phone's errors."""
    form = RegistrationForm(request.POST)
    form.is_valid()
    phone_errors = form.errors.get("phone")
    form._errors = ErrorDict({"phone": phone_errors} if phone_errors else {})
    if not phone_errors:
        phone = form.cleaned_data["phone"]
        try:
            code_send(phone=phone, purpose=Purpose.REGISTER, request=request)
        except CodeRefused as refused:
            form.add_error("phone", refused.message)
        else:
            messages.info(request, _("A code is on its way to %(phone)s by SMS.") % {"phone": mask_phone(phone)})
    return form


def _member_or_403(user):
    member = selectors.member_for_user(user=user)
    if member is None:
        raise PermissionDenied
    return member


@login_required
def member_home(request):
    member = _member_or_403(request.user)
    reports = list(selectors.report_history(member=member))
    for report in reports:
        report.correctable = correctable(report, reports)
    context = {
        "member": member,
        "reports": reports,
        "can_change": not any(report.status == Report.Status.PENDING for report in reports),
    }
    return render(request, "registration/member_home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def change_community(request):
    """Ask to report to another community; the confirmed report stays until the new one is confirmed."""
    member = _member_or_403(request.user)
    if request.method == "POST" and request.POST.get("narrow"):
        form = ChangeCommunityForm(initial=narrowed_initial(request.POST, narrow=request.POST["narrow"]))
    elif request.method == "POST":
        form = ChangeCommunityForm(request.POST)
        if form.is_valid():
            try:
                report = services.report_change_community(
                    member=member, community=form.cleaned_data["community"], kind=form.cleaned_data["kind"]
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Your request has been sent to the community."))
                return redirect("registration:letter", report_id=report.pk)
    else:
        form = ChangeCommunityForm()
    return render(request, "registration/change_community.html", {"form": form, "member": member})


@login_required
@require_POST
def report_withdraw(request, report_id: int):
    """The member withdraws a pending request, or leaves the community they serve in."""
    member = _member_or_403(request.user)
    get_object_or_404(Report, pk=report_id, member=member)  # someone else's report: not found
    try:
        services.report_withdraw(member=member, report_id=report_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The report is withdrawn; it stays in your history."))
    return redirect("registration:member-home")


@login_required
@require_http_methods(["GET", "POST"])
def member_withdraw(request):
    """Withdraw consent and erase my personal data, after confirming with my password."""
    member = _member_or_403(request.user)
    error = None
    if request.method == "POST":
        if request.user.check_password(request.POST.get("password", "")):
            services.member_withdraw(member=member)
            logout(request)
            return render(request, "registration/withdrawn.html")
        error = _("The password is not right.")
    return render(request, "registration/member_withdraw.html", {"member": member, "error": error})


@login_required
@require_http_methods(["GET", "POST"])
def member_public_listing(request):
    """Give or withdraw my consent to be named on the community's public board (registration.public_listing)."""
    member = _member_or_403(request.user)
    listed = member.public_listing_consented_at is not None
    form = PublicListingForm(request.POST or None, initial={"consent": "1" if listed else "0"})
    if request.method == "POST" and form.is_valid():
        public_listing_set(member=member, consent=form.cleaned_data["consent"])
        messages.success(request, _("Your choice is saved."))
        return redirect("registration:member-home")
    context = {"member": member, "form": form, "listed": listed}
    return render(request, "registration/member_public_listing.html", context, status=400 if form.errors else 200)


@login_required
def letter(request, report_id: int):
    """在职党员到社区报到介绍信, print-ready, with a QR code that opens the staff confirmation page."""
    report = selectors.report_get_for_letter(user=request.user, report_id=report_id)
    review_url = request.build_absolute_uri(reverse("registration:report-review", args=[report.pk]))
    context = {"report": report, "member": report.member, "qr_code": qr_svg(review_url)}
    return render(request, "registration/letter.html", context)
