"""Forms of the organisation side: the second factor's code, the admin site's login."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .text import LoginNameField, PlainTextField

CODE_SHAPE = re.compile(r"\d{6}")


class SecondFactorForm(forms.Form):
    """The 6-digit code an authenticator app shows; spaces typed between the digits are dropped."""

    code = PlainTextField(
        label=_("6-digit code"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
        help_text=_("The code your authenticator app shows for this account now; it changes every 30 seconds."),
    )

    def __init__(self, *args, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", submit_label or _("Confirm"), css_class="w-100"))

    def clean_code(self):
        code = re.sub(r"\s+", "", self.cleaned_data["code"])
        if not CODE_SHAPE.fullmatch(code):
            raise ValidationError(_("Enter the 6 digits your app shows."), code="shape")
        return code


class AdminLoginForm(AdminAuthenticationForm):
    """The admin site's login: Django's, with the login name checked as at the site's own login."""

    username = LoginNameField()
