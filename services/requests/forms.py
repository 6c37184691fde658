"""Forms of the residents' requests: shape only; the rules needing the database are in services."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.text import MultilineTextField, PlainTextField

from .models import Category, Satisfaction
from .workflow import State

PHONE = re.compile(r"^1\d{10}$")


def _helper(label) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label, css_class="btn-party"))
    return helper


class RaiseForm(forms.Form):
    """The resident's form on the community's public page, and staff's when recording on a resident's behalf."""

    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    text = MultilineTextField(label=_("What it is about"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    building = forms.ModelChoiceField(label=_("Building"), queryset=None, required=False,
                                      empty_label=_("Not about one building"))
    phone = PlainTextField(label=_("Mobile phone for the answer"), max_length=11, required=False,
                            help_text=_("Shown only to the person who handles your request."))
    code = PlainTextField(label=_("Code from the SMS"), max_length=6, required=False,
                           help_text=_("Press “Send me a code” first; the code arrives by SMS."))

    def __init__(self, *args, buildings, phone_required=True, verify_phone=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings
        self.fields["phone"].required = phone_required
        if not phone_required:
            self.fields["phone"].help_text = _("Leave empty for a resident without a phone: call them back to confirm.")
        self.helper = _helper(_("Send"))
        if verify_phone:
            send_code = Submit("send_code", _("Send me a code"))
            # Submit's own "btn btn-primary" under an outline class drew grey on red (axe: contrast 2.9:1).
            send_code.field_classes = "btn btn-outline-secondary"
            self.helper.add_input(send_code)
        else:
            del self.fields["code"]

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(_("Enter an 11-digit mobile phone number."))
        return phone


class RecordForm(RaiseForm):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, phone_required=False, **kwargs)
        self.fields["community"].queryset = communities
        self.order_fields(["community", "category", "text", "building", "phone"])
        self.helper = _helper(_("Record"))

    def clean(self):
        cleaned = super().clean()
        building, community = cleaned.get("building"), cleaned.get("community")
        if building is not None and community is not None and building.grid.community_id != community.pk:
            self.add_error("building", _("Choose a building of this community."))
        return cleaned


class ChangeForm(forms.Form):
    to = forms.ChoiceField(label=_("Move to"), choices=())
    handler = forms.ChoiceField(label=_("Handler"), choices=(), required=False,
                                help_text=_("When accepting: who handles it (a person, a service team or the "
                                            "property company)."))
    note = MultilineTextField(label=_("Public note"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("The resident reads it; for an answer that cannot resolve it, give the reason."))

    def __init__(self, *args, targets, handlers, **kwargs):
        """`handlers`: (value, label) pairs, a person's "<id>" or a body's "<kind>:<id>" (services.handler_options)."""
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(value, State(value).label) for value in targets]
        self.fields["handler"].choices = [("", "---------"), *handlers]
        self.helper = _helper(_("Save"))

    def clean_handler(self):
        """("user", id), (kind, id) or None."""
        value = self.cleaned_data["handler"]
        if not value:
            return None
        key, _sep, pk = value.rpartition(":")
        return key or "user", int(pk)


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("How satisfied are you?"), choices=Satisfaction.choices,
                                     widget=forms.RadioSelect)
    note = MultilineTextField(label=_("Anything to add"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Send my rating"))
        self.helper.form_action = "?action=rate"


class ReopenForm(forms.Form):
    note = MultilineTextField(label=_("What is still wrong"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Reopen"))
        self.helper.form_action = "?action=reopen"


class AssignHeadForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Building head"), queryset=None)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.helper = _helper(_("Assign"))


class VisitForm(forms.Form):
    building = forms.ModelChoiceField(label=_("Building"), queryset=None, empty_label=None)
    visited_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    household = PlainTextField(label=_("Household"), max_length=50, help_text=_("The flat, e.g. 2-301."))
    found = MultilineTextField(label=_("What was found"), max_length=1000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    problem_found = forms.BooleanField(label=_("A problem was found before anyone raised it"), required=False)

    def __init__(self, *args, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings
        self.fields["visited_on"].initial = timezone.localdate()
        self.helper = _helper(_("Record the visit"))


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("submit", _("Show"), css_class="btn-party"))
