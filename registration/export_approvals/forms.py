"""Forms of the export approvals: shape only; the services check scope and state."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from communities.text import PlainTextField

from .models import ExportRequest


class ExportRequestForm(forms.Form):
    community = forms.ModelChoiceField(queryset=None, label=_("Community"), empty_label=None)
    kind = forms.ChoiceField(label=_("Export"), choices=ExportRequest.Kind.choices)
    reason = PlainTextField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Why the full ID numbers, phones and addresses are needed; the approver reads it."),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.helper = FormHelper()
        self.helper.form_tag = False


class DecisionForm(forms.Form):
    note = PlainTextField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
