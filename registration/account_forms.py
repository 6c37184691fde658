"""Forms of the account flows that prove a phone with an SMS code (communities.phone_codes): logging in with a code,
a forgotten password, a change of phone. The phone comes first, then the button that sends the code, then the code.

Each form is posted twice: with `send` (only the phone is checked, and a code is sent) and without it (everything is
checked). The views say which (`sending=`)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Layout, Submit
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from communities.text import PlainTextField

from .identity import MOBILE_SHAPE
from .models import User

PHONE_SHAPE_ERROR = _("Enter an 11-digit mainland mobile number starting with 13 to 19.")


def send_code_button() -> HTML:
    """The button that sends a code to the phone typed above it, without checking the rest of the form. Built when
    the form is (the label in the request's language)."""
    return HTML(
        '<button type="submit" name="send" value="1" formnovalidate '
        f'class="btn btn-outline-secondary w-100 mb-3">{_("Send me a code")}</button>'
    )


class PhoneField(PlainTextField):
    """A mainland mobile number, normalised (full-width digits become ASCII) and checked for its shape."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault("max_length", 11)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not MOBILE_SHAPE.match(value):
            raise ValidationError(PHONE_SHAPE_ERROR, code="invalid")


class CodeField(PlainTextField):
    """The six digits of an SMS code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("SMS code"))
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
        )
        kwargs.setdefault("help_text", _("The six digits we sent to this phone by SMS."))
        super().__init__(**kwargs)


class CodeForm(forms.Form):
    """A phone and its code; subclasses add fields. With `sending`, only the phone is required."""

    phone = PhoneField()
    code = CodeField()
    submit_label = _("Continue")

    def __init__(self, *args, sending: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.sending = sending
        if sending:
            for name, field in self.fields.items():
                field.required = name == "phone"
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "phone",
            send_code_button(),
            *[name for name in self.fields if name != "phone"],
            Submit("submit", self.submit_label, css_class="btn-party w-100"),
        )

    def full_clean(self):
        super().full_clean()
        if self.sending:  # only the phone counts: the rest is checked at the second post
            self._errors = ErrorDict({key: value for key, value in self._errors.items() if key == "phone"})


class CodeLoginForm(CodeForm):
    submit_label = _("Log in")


class PasswordResetForm(CodeForm):
    """Forgotten password: the registered phone, its code, the new password twice (AUTH_PASSWORD_VALIDATORS)."""

    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits."),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    submit_label = _("Set the new password")

    def clean(self):
        cleaned = super().clean()
        if self.sending:
            return cleaned
        password1, password2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if password1 and password2 and password1 != password2:
            self.add_error("new_password2", _("The two passwords differ."))
        elif password1:
            # Judged against the phone typed, never against an account: the answer is the same for every phone.
            try:
                password_validation.validate_password(password1, User(username=cleaned.get("phone", "")))
            except ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned


class PhoneChangeForm(CodeForm):
    """A member's new phone, its code, and the current password (a session left open on a shared phone must not be
    enough to take the account)."""

    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    submit_label = _("Change my phone")

    def __init__(self, *args, current_phone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.current_phone = current_phone
        self.fields["phone"].label = _("New mobile phone")

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if phone == self.current_phone:
            raise ValidationError(_("This is already your phone number."), code="same")
        return phone
