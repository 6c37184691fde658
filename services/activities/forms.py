"""Forms for activities: shape only; the rules needing the database are in services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from communities.text import MultilineTextField, PlainTextField, model_formfield
from registration.identity import MOBILE_SHAPE

from .models import Activity, ActivitySeries, CheckIn
from .services import MAX_OCCURRENCES, MAX_PLACES

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ActivityForm(forms.ModelForm):
    frequency = forms.ChoiceField(
        label=_("Repeats"), required=False, choices=[("", _("does not repeat")), *ActivitySeries.Frequency.choices]
    )
    occurrences = forms.IntegerField(
        label=_("Occurrences"), min_value=1, max_value=MAX_OCCURRENCES, initial=1,
        help_text=_("For a repeating activity: how many, each with its own sign-ups."),
    )

    class Meta:
        formfield_callback = model_formfield
        model = Activity
        fields = [
            "title",
            "description",
            "post_type",
            "place",
            "starts_at",
            "ends_at",
            "places",
            "signup_deadline",
            "cancel_cutoff",
            "contact",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "starts_at": DATETIME_INPUT,
            "ends_at": DATETIME_INPUT,
            "signup_deadline": DATETIME_INPUT,
            "cancel_cutoff": DATETIME_INPUT,
        }
        help_texts = {"signup_deadline": _("Leave empty: until the start."), "cancel_cutoff": _(
            "After this, a cancellation is recorded as late. Leave empty: until the start."
        )}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["places"].min_value = 1
        self.fields["places"].max_value = MAX_PLACES
        self.fields["signup_deadline"].required = False
        self.fields["cancel_cutoff"].required = False
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save as draft"), css_class="btn-party"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("frequency") == "" and cleaned.get("occurrences", 1) != 1:
            self.add_error("occurrences", _("Choose how it repeats, or leave one occurrence."))
        return cleaned


class CheckInForm(forms.Form):
    kind = forms.ChoiceField(label=_("I am"), choices=CheckIn.Kind.choices, widget=forms.RadioSelect,
                             initial=CheckIn.Kind.ENTRY)
    code = PlainTextField(
        label=_("Code on the organiser's phone"), max_length=6,
        validators=[RegexValidator(r"^[0-9]{6}$", message=_("The code has six digits."))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Send"), css_class="btn-party"))


class ManualCheckInForm(forms.Form):
    member = forms.TypedChoiceField(label=_("Member"), coerce=int)
    kind = forms.ChoiceField(label=_("Scan"), choices=CheckIn.Kind.choices)
    reason = PlainTextField(label=_("Reason"), max_length=200,
                             help_text=_("Why by hand: no phone, a flat battery…"))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(member.pk, member.name) for member in members]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Record"), css_class="btn-party"))


RATINGS = [(value, "★" * value) for value in range(5, 0, -1)]


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Rating"), choices=RATINGS, coerce=int, widget=forms.RadioSelect)
    comment = MultilineTextField(label=_("Comment"), max_length=500, required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", _("Send feedback"), css_class="btn-party"))


class ResidentFeedbackForm(FeedbackForm):
    mobile = PlainTextField(
        label=_("Your mobile number"), max_length=11,
        help_text=_("Only so that each person leaves one feedback; the number is not kept."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )
    field_order = ["mobile", "rating", "comment"]

    def clean_mobile(self):
        mobile = self.cleaned_data["mobile"]
        if not MOBILE_SHAPE.match(mobile):
            raise forms.ValidationError(_("Enter an 11-digit mainland mobile number starting with 13 to 19."))
        return mobile


class ConfirmationCodeForm(forms.Form):
    code = PlainTextField(
        label=_("Code shown by the member"), max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Find the service"), css_class="btn-party"))
