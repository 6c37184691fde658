"""Forms for needs, claims and service records: shape only; the rules needing the database are in services."""

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.text import MultilineTextField, model_formfield
from registration.models import Skill

from .models import (
    HOURS_STEP,
    MAX_HOURS_PER_DAY,
    RECORD_DAYS_AFTER_NEED_END,
    RECORD_OWN_INITIATIVE_MAX_AGE_DAYS,
    Claim,
    OutcomeCategory,
    ServiceNeed,
)

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NeedForm(forms.ModelForm):
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills wanted"), queryset=Skill.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ServiceNeed
        formfield_callback = model_formfield
        fields = [
            "title",
            "description",
            "post_type",
            "fulfilment",
            "skills",
            "places",
            "location",
            "starts_at",
            "ends_at",
            "reply",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "reply": forms.Textarea(attrs={"rows": 2}),
            "starts_at": DATETIME_INPUT,
            "ends_at": DATETIME_INPUT,
        }
        help_texts = {"reply": _("For needs met by coordination or by appeal: what was answered.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["places"].min_value = 1
        self.fields["places"].max_value = 500
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save"), css_class="btn-party"))

    def clean(self):
        cleaned = super().clean()
        # Checked here as well as in the service so that the message sits on the field, before the
        # database constraint behind it would answer with a generic one.
        if cleaned.get("ends_at") and cleaned.get("starts_at") and cleaned["ends_at"] < cleaned["starts_at"]:
            self.add_error("ends_at", _("The end cannot be before the start."))
        return cleaned


class ClaimForm(forms.Form):
    commitment = MultilineTextField(
        label=_("My commitment"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you promise to do, and when."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class RecordForm(forms.Form):
    claim = forms.ModelChoiceField(
        label=_("For my claim"),
        queryset=Claim.objects.none(),
        required=False,
        empty_label=_("Not for a claim (service on my own initiative)"),
    )
    served_on = forms.DateField(label=_("Date served"), widget=DATE_INPUT)
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=HOURS_STEP,
        max_value=MAX_HOURS_PER_DAY,
        max_digits=3,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": str(HOURS_STEP)}),
    )
    description = MultilineTextField(
        label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OutcomeCategory.choices, initial=OutcomeCategory.GENERAL)

    def __init__(self, *args, claims=None, **kwargs):
        super().__init__(*args, **kwargs)
        if claims is not None:
            self.fields["claim"].queryset = claims
        self.fields["claim"].label_from_instance = lambda claim: claim.need.title
        self.fields["served_on"].initial = timezone.localdate
        self.fields["served_on"].help_text = _(
            "For a claim: from the need's start to %(after)s days after its end. On your own initiative: within the "
            "last %(own)s days."
        ) % {"after": RECORD_DAYS_AFTER_NEED_END, "own": RECORD_OWN_INITIATIVE_MAX_AGE_DAYS}
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Log the service"), css_class="btn-party w-100"))

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours % HOURS_STEP:
            raise forms.ValidationError(_("Hours go in steps of 0.5, from 0.5 to 12."))
        return hours

    def clean_served_on(self):
        served_on = self.cleaned_data["served_on"]
        if served_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return served_on


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DATE_INPUT)
    end = forms.DateField(label=_("To"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.add_input(Submit("", _("Show"), css_class="btn-secondary"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", _("The end cannot be before the start."))
        return cleaned

    @staticmethod
    def this_year() -> tuple[datetime.date, datetime.date]:
        today = timezone.localdate()
        return datetime.date(today.year, 1, 1), today
