"""Free text at the form boundary: one rule for every form of every app (issue 19, finding 1).

Whatever a person types is normalised (Unicode NFKC: full-width digits and letters become ASCII, so that an ID
number, a phone or a name has one spelling) and refused, with the input kept, when it holds a control character
or an invisible one (bidirectional overrides, zero-width characters, other format characters): these break the
spreadsheet exports and make look-alike names. Multi-line fields keep their line breaks and tabs.

Forms declare `PlainTextField` / `MultilineTextField` instead of `forms.CharField`; ModelForms and the admin get
them for their CharField / TextField columns through `model_formfield` (Meta.formfield_callback, and
RoleAdminMixin.formfield_for_dbfield). tests/security/test_finding_1_invisible_characters.py checks every form.
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Chinese text is written with full-width punctuation (，：；（）！？); NFKC would turn it into ASCII
# punctuation, which changes what the person wrote and protects nothing. Full-width digits and letters
# (U+FF10-FF19, U+FF21-FF3A, U+FF41-FF5A) are outside these ranges and are normalised.
_FULL_WIDTH_PUNCTUATION = "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff5e"
_NORMALISED_RUNS = re.compile(f"[^{_FULL_WIDTH_PUNCTUATION}]+")
# Control (Cc), format (Cf: bidi overrides and isolates, zero-width space/joiners, word joiner, BOM, soft hyphen
# …) and the line and paragraph separators (Zl, Zp).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_MULTILINE_ALLOWED = frozenset("\n\r\t")  # a textarea sends its line breaks as CR LF


def normalize_text(value: str) -> str:
    """NFKC, except that full-width CJK punctuation keeps its form."""
    return _NORMALISED_RUNS.sub(lambda run: unicodedata.normalize("NFKC", run.group()), value)


def refused_characters(value: str, *, multiline: bool = False) -> list[str]:
    """The control and invisible characters in `value`, in order, each once."""
    if value.isprintable():  # the usual case, answered in C: no "Other" and no separator but the space
        return []
    allowed = _MULTILINE_ALLOWED if multiline else frozenset()
    found = []
    for char in value:
        if char not in allowed and char not in found and unicodedata.category(char) in _REFUSED_CATEGORIES:
            found.append(char)
    return found


def describe(chars: list[str]) -> str:
    return "、".join(f"U+{ord(char):04X}" for char in chars)


class InvisibleCharacterValidator:
    """Refuses control and invisible characters (line breaks and tabs too, unless `multiline`)."""

    message = _(
        "This text contains invisible or control characters (%(characters)s), often carried over by copying and "
        "pasting. Delete them, or type the text again."
    )
    code = "invisible_characters"

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value):
        if not isinstance(value, str):
            return
        found = refused_characters(value, multiline=self.multiline)
        if found:
            raise ValidationError(self.message, code=self.code, params={"characters": describe(found)})

    def __eq__(self, other):
        return isinstance(other, InvisibleCharacterValidator) and other.multiline == self.multiline


class PlainTextField(forms.CharField):
    """One line of free text: normalised, control and invisible characters refused."""

    multiline = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The refusal below covers NUL as well, with one message instead of two.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(InvisibleCharacterValidator(multiline=self.multiline))

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_text(value) if isinstance(value, str) else value


class MultilineTextField(PlainTextField):
    """Free text over several lines (a textarea): line breaks and tabs are kept."""

    multiline = True
    widget = forms.Textarea


class LoginNameField(PlainTextField):
    """The user name typed at a login: as Django's UsernameField (NFKC), bounded by the longest user name that can
    exist, so that a longer one is refused here rather than failing in the lockout log's column."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 150)  # AbstractUser.username
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autofocus": True, "autocapitalize": "none", "autocomplete": "username"})
        )
        super().__init__(**kwargs)


def text_form_class(db_field) -> type[forms.Field] | None:
    """The form field class for a model column of free text; None for anything else (choices, e-mail, slugs …)."""
    if getattr(db_field, "choices", None):
        return None
    if type(db_field) is models.TextField:
        return MultilineTextField
    if type(db_field) is models.CharField:
        return PlainTextField
    return None


def model_formfield(db_field, **kwargs):
    """ModelForm.Meta.formfield_callback: free-text columns get the fields above."""
    form_class = text_form_class(db_field)
    if form_class is not None:
        kwargs.setdefault("form_class", form_class)
    return db_field.formfield(**kwargs)
