"""Forms of the council: shape only (free text through communities.text); the rules needing the database are in
services."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.text import MultilineTextField, PlainTextField

from .models import Party, Position

PHONE = re.compile(r"^1\d{10}$")
COMPANY = "company"


def _helper(label, *, multipart=False) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label, css_class="btn-party"))
    if multipart:
        helper.attrs = {"enctype": "multipart/form-data"}
    return helper


def _clean_phone(value: str) -> str:
    value = value.strip()
    if not PHONE.match(value):
        raise forms.ValidationError(_("Enter an 11-digit mobile phone number."))
    return value


class CompanyChoiceForm(forms.Form):
    company = forms.ModelChoiceField(label=_("Property company"), queryset=None, required=False,
                                     empty_label=_("No property company"))

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
        self.helper = _helper(_("Save"))


class CompanyCreateForm(forms.Form):
    name = PlainTextField(label=_("Company name"), max_length=100)
    contact_name = PlainTextField(label=_("Contact's name"), max_length=50)
    contact_phone = PlainTextField(label=_("Contact's mobile phone"), max_length=11,
                                   help_text=_("The contact logs in with this number."))
    password = forms.CharField(label=_("First password"), required=False, widget=forms.PasswordInput,
                               help_text=_("Needed when no account has this phone yet; tell it to the contact."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Add the company"))

    def clean_contact_phone(self):
        return _clean_phone(self.cleaned_data["contact_phone"])


class MemberAddForm(forms.Form):
    party = forms.ChoiceField(label=_("Party"), choices=Party.choices)
    full_name = PlainTextField(label=_("Name"), max_length=50)
    phone = PlainTextField(label=_("Mobile phone"), max_length=11,
                           help_text=_("The person logs in with this number; meeting notices go to it by SMS."))
    password = forms.CharField(label=_("First password"), required=False, widget=forms.PasswordInput,
                               help_text=_("Needed when no account has this phone yet; tell it to the person."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Add to the council"))

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])


class TopicForm(forms.Form):
    title = PlainTextField(label=_("Topic"), max_length=100)
    description = MultilineTextField(label=_("What the council should decide"), max_length=2000,
                                     widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Raise the topic"))


class TopicFromRequestForm(TopicForm):
    request = forms.ModelChoiceField(label=_("Resident's request"), queryset=None)

    def __init__(self, *args, requests, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request"].queryset = requests
        self.fields["request"].label_from_instance = lambda item: f"#{item.pk} {item.text[:30]}"
        self.order_fields(["request", "title", "description"])
        self.helper = _helper(_("Bring it to the council"))


class MeetingForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Date and time"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    place = PlainTextField(label=_("Place"), max_length=100)
    topics = forms.ModelMultipleChoiceField(label=_("Topics"), queryset=None, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = topics
        self.helper = _helper(_("Announce the meeting"))
        self.helper.attrs = {"data-confirm": _("Announce this meeting? Every member is told by SMS.")}


class CancelForm(forms.Form):
    reason = MultilineTextField(label=_("Why it is called off"), max_length=1000,
                                widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Call the meeting off"))
        self.helper.attrs = {"data-confirm": _("Call this meeting off? Every member is told.")}


class HoldForm(forms.Form):
    present = forms.ModelMultipleChoiceField(label=_("Present"), queryset=None, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    minutes = MultilineTextField(label=_("Minutes"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = members
        self.fields["present"].label_from_instance = lambda member: f"{member.get_party_display()}：{member.user}"
        self.helper = _helper(_("Record the meeting"))
        self.helper.attrs = {"data-confirm": _("Record the meeting? Attendance and minutes cannot be changed later.")}


class DecideForm(forms.Form):
    """One topic of a held meeting: each present party's position, then the resolution if it passes; or deferred."""

    deferred_reason = MultilineTextField(
        label=_("Deferred: why"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Fill this in only when the meeting deferred the topic; the positions are then not needed."))
    resolution_text = MultilineTextField(label=_("Resolution"), max_length=2000, required=False,
                                         widget=forms.Textarea(attrs={"rows": 3}))
    executor = forms.ChoiceField(label=_("Carried out by"), required=False)
    due_on = forms.DateField(label=_("Due on"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, parties, company, people, **kwargs):
        super().__init__(*args, **kwargs)
        positions = [(value, label) for value, label in Position.choices if value != Position.ABSENT]
        fields = {}
        for party in parties:
            fields[f"position_{party}"] = forms.ChoiceField(
                label=Party(party).label, choices=positions, required=False, widget=forms.RadioSelect)
        self.fields = {**fields, **self.fields}
        choices = [("", _("Please choose…"))]
        if company is not None:
            choices.append((COMPANY, _("%(company)s (property company)") % {"company": company.name}))
        choices += [(str(user.pk), str(user)) for user in people]
        self.fields["executor"].choices = choices
        self.parties = list(parties)
        self.helper = _helper(_("Record the decision"))
        self.helper.attrs = {"data-confirm": _("Record this decision? It cannot be changed later.")}

    def positions(self) -> dict:
        return {party: self.cleaned_data.get(f"position_{party}") or "" for party in self.parties}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input; their content is checked by the service (services.council.uploads)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ProgressForm(forms.Form):
    percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100,
                                 help_text=_("100 reports the work done: the residents' representatives check it."))
    note = MultilineTextField(label=_("What has been done"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleImageField(label=_("Photos"), required=False,
                                help_text=_("JPEG, PNG or WebP; seen only by the council and the executor."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Report progress"), multipart=True)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("The residents' decision"), widget=forms.RadioSelect, choices=(
        ("accept", _("Accept the work")), ("send_back", _("Send it back"))))
    reason = MultilineTextField(label=_("Reason or remark"), max_length=1000, required=False,
                                widget=forms.Textarea(attrs={"rows": 2}),
                                help_text=_("Required when sending it back."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Send the decision"))
        self.helper.attrs = {"data-confirm": _("Send the residents' decision? An acceptance is final.")}


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("submit", _("Show"), css_class="btn-party"))
