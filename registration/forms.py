"""Forms check shape (ID checksum, mobile number, lengths); services check what needs the database."""

from captcha.fields import CaptchaField, CaptchaTextInput
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from communities.forms import AdminLoginForm as BaseAdminLoginForm
from communities.models import Community, District, Street, Unit
from communities.text import LoginNameField, MultilineTextField, PlainTextField

from .account_forms import CodeField, send_code_button
from .identity import MOBILE_SHAPE, InvalidIdNumber, parse_id_number
from .models import Report, Skill, User
from .ratelimit import captcha_required
from .selfservice.fields import CORRECTABLE_FIELDS

CITY_LEVEL = "city"  # The unit-district choice for units directly under the city (市直单位).


class CaptchaInput(CaptchaTextInput):
    """The CAPTCHA's widget with one visible input named by a <label for> (Django would wrap a two-part widget in a
    fieldset whose legend names no input, which screen readers then read unlabelled)."""

    use_fieldset = False


class CaptchaAfterFailuresMixin:
    """A login form (Django's AuthenticationForm or one of its kind) with a CAPTCHA drawn locally once the account
    or the address has had LOGIN_CAPTCHA_AFTER / LOGIN_CAPTCHA_IP_AFTER failures (registration.ratelimit.
    captcha_required). A wrong or missing CAPTCHA answer stops the form before the password is checked, so it is not
    counted as a failed login: locking an account takes solved CAPTCHAs (issue 19, finding 4). The failure that makes
    it due adds it to the form shown in answer, so that the next attempt can solve it."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Judged on a submitted form only (the user name is known then): the page shown before needs no query.
        if request is not None and self.is_bound and captcha_required(request, self.typed_username()):
            self.add_captcha()

    def typed_username(self) -> str | None:
        if not self.is_bound:
            return None
        try:
            return self.fields["username"].clean(self.data.get("username", ""))
        except ValidationError:
            return None

    def add_captcha(self):
        if "captcha" not in self.fields:
            self.fields["captcha"] = CaptchaField(
                label=_("Picture check"),
                help_text=_("Type the result of the sum in the picture."),
                widget=CaptchaInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                error_messages={"invalid": _("The answer to the picture is not right. Try the new picture.")},
            )

    def clean(self):
        if "captcha" in self.fields and "captcha" not in self.cleaned_data:
            return self.cleaned_data  # no password check, no failure counted, without a solved CAPTCHA
        try:
            return super().clean()
        except ValidationError:
            # The failure is on record now (axes writes it while authenticating): is the picture due next time?
            if self.request is not None and captcha_required(self.request, self.typed_username()):
                self.add_captcha()
            raise


class LoginForm(CaptchaAfterFailuresMixin, AuthenticationForm):
    """Django's login form with the project's user-name field, and the CAPTCHA after failures."""

    username = LoginNameField()

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Mobile phone or username")
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Log in"), css_class="w-100"))


class AdminLoginForm(CaptchaAfterFailuresMixin, BaseAdminLoginForm):
    """The admin site's login (/admin/login/) with the same CAPTCHA after failures as the site's login: the admin's
    accounts are the ones most worth guessing. Set as admin.site.login_form by registration/admin.py (the CAPTCHA's
    rule lives on this side, with the lockout)."""


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's form (the current password, then the new one twice, checked by AUTH_PASSWORD_VALIDATORS)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Change password"), css_class="w-100"))


def narrow_button(target: str, label) -> HTML:
    """A submit button that only narrows the next list. Scripts click it when the select changes;
    without JavaScript the member presses it."""
    return HTML(
        f'<button type="submit" name="narrow" value="{target}" formnovalidate '
        f'class="btn btn-outline-secondary btn-sm mb-3 js-narrow" data-narrows="{target}">{label}</button>'
    )


MAX_ID = 2**63 - 1  # the largest primary key a database can hold; anything beyond is not a choice


def _selected_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


class PlaceChoiceMixin:
    """District → street → community selects, each narrowed by the choice above it."""

    def _narrow_places(self, values):
        district_id = _selected_id(values.get("district"))
        street_id = _selected_id(values.get("street"))
        self.fields["district"].queryset = District.objects.order_by("code")
        self.fields["street"].queryset = Street.objects.filter(district_id=district_id).order_by("code")
        self.fields["community"].queryset = Community.objects.filter(street_id=street_id, district_id=district_id)


class RegistrationForm(PlaceChoiceMixin, forms.Form):
    phone = PlainTextField(
        label=_("Mobile phone"),
        max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("You log in with this number. We send a code to it first, to be sure it is yours."),
    )
    phone_code = CodeField()
    name = PlainTextField(label=_("Name"), max_length=50)
    id_number = PlainTextField(
        label=_("ID card number"),
        max_length=18,
        min_length=18,
        help_text=_("18 characters; birth date and gender are taken from it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    unit_district = forms.ChoiceField(label=_("Where your unit belongs"))
    unit = forms.ModelChoiceField(label=_("Work unit"), queryset=Unit.objects.none())
    position = PlainTextField(label=_("Current position"), max_length=100)
    skills = forms.ModelMultipleChoiceField(
        label=_("Special skills"), queryset=Skill.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    specialty = PlainTextField(label=_("Other skills"), max_length=200, required=False)
    service_wishes = PlainTextField(
        label=_("Service wishes"),
        max_length=200,
        required=False,
        help_text=_("What you would like to do for the community."),
    )
    home_address = PlainTextField(label=_("Home address"), max_length=200)
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none())
    street = forms.ModelChoiceField(label=_("Street or town"), queryset=Street.objects.none())
    community = forms.ModelChoiceField(label=_("Community to report to"), queryset=Community.objects.none())
    kind = forms.ChoiceField(
        label=_("Kind of report"), choices=Report.Kind.choices, initial=Report.Kind.RESIDENCE, widget=forms.RadioSelect
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    consent = forms.BooleanField(label=_("I have read the privacy notice and agree to it."))
    sensitive_consent = forms.BooleanField(
        label=_(
            "I separately agree that my ID card number and Party membership, which are sensitive personal "
            "information, are processed for reporting to the community."
        )
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        values = self.data if self.is_bound else self.initial
        self._narrow_places(values)
        self.fields["unit_district"].choices = [("", "---------"), (CITY_LEVEL, _("Units under the city"))] + [
            (str(pk), name) for pk, name in District.objects.order_by("code").values_list("pk", "name")
        ]
        unit_district = values.get("unit_district")
        if unit_district == CITY_LEVEL:
            self.fields["unit"].queryset = Unit.objects.filter(district__isnull=True)
        else:
            self.fields["unit"].queryset = Unit.objects.filter(district_id=_selected_id(unit_district))
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("Basic information"), "phone", send_code_button(), "phone_code", "name", "id_number"),
            Fieldset(
                _("Unit and position"),
                "unit_district",
                narrow_button("unit_district", _("Show the units")),
                "unit",
                "position",
            ),
            Fieldset(_("Skills and wishes"), "skills", "specialty", "service_wishes", "home_address"),
            Fieldset(
                _("Community to report to"),
                "district",
                narrow_button("district", _("Show the streets")),
                "street",
                narrow_button("street", _("Show the communities")),
                "community",
                "kind",
            ),
            Fieldset(_("Password"), "password1", "password2"),
            Fieldset(
                _("Consent"),
                HTML('{% include "registration/privacy_notice.html" %}'),
                "consent",
                "sensitive_consent",
            ),
            Div(Submit("submit", _("Register and report"), css_class="btn-party w-100"), css_class="mt-3"),
        )

    def clean_id_number(self):
        try:
            number, birth_on, gender = parse_id_number(self.cleaned_data["id_number"])
        except InvalidIdNumber as error:
            raise ValidationError(str(error), code="invalid") from None
        self.cleaned_data["birth_on"] = birth_on
        self.cleaned_data["gender"] = gender
        return number

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not MOBILE_SHAPE.match(phone):
            raise ValidationError(_("Enter an 11-digit mainland mobile number starting with 13 to 19."), code="invalid")
        return phone

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            user = User(username=cleaned.get("phone", ""), full_name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password1, user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ChangeCommunityForm(PlaceChoiceMixin, forms.Form):
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none())
    street = forms.ModelChoiceField(label=_("Street or town"), queryset=Street.objects.none())
    community = forms.ModelChoiceField(label=_("Community to report to"), queryset=Community.objects.none())
    kind = forms.ChoiceField(
        label=_("Kind of report"), choices=Report.Kind.choices, initial=Report.Kind.RESIDENCE, widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._narrow_places(self.data if self.is_bound else self.initial)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "district",
            narrow_button("district", _("Show the streets")),
            "street",
            narrow_button("street", _("Show the communities")),
            "community",
            "kind",
            Submit("submit", _("Ask to report there"), css_class="btn-party w-100"),
        )


class RejectForm(forms.Form):
    reason = MultilineTextField(
        label=_("Reason for rejection"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The member sees this reason."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ReportRejectForm(RejectForm):
    """A report's rejection: the reason, and which of the member's details it concerns, so that the member's
    correction shows the reason beside them (registration.selfservice)."""

    fields = forms.MultipleChoiceField(
        label=_("The reason concerns"),
        choices=CORRECTABLE_FIELDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick the details the member must correct; none: the report as a whole."),
    )


class LedgerSearchForm(forms.Form):
    q = PlainTextField(
        label=_("Search"),
        max_length=50,
        required=False,
        help_text=_("Name, full mobile number or full ID card number."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        # POSTed, so that a full phone or ID number never enters a URL (registration.staff_views.ledger).
        self.helper.form_method = "post"
        self.helper.add_input(Submit("", _("Search"), css_class="btn-secondary"))


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=_("Roster file (xlsx or csv)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Upload"), css_class="btn-party"))
