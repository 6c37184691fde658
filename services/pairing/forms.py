"""Forms of the pairing ledger: shape only; the rules needing the database are in services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.text import MultilineTextField, PlainTextField

from .models import Pledge


def _helper(label) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label, css_class="btn-party"))
    return helper


class PledgeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Pledge.Kind.choices)
    title = PlainTextField(label=_("What is pledged"), max_length=100)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=10, decimal_places=1, required=False,
                                  min_value=0)
    quantity_unit = PlainTextField(label=_("Counted in"), max_length=20, required=False,
                                   help_text=_("e.g. people, hours, yuan, times"))
    description = MultilineTextField(label=_("Description"), max_length=1000, required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    need = forms.ModelChoiceField(label=_("Need taken on"), queryset=None, required=False)

    def __init__(self, *args, needs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].queryset = needs
        self.helper = _helper(_("Record the pledge"))


class DeliveryForm(forms.Form):
    delivered_on = forms.DateField(label=_("Date delivered"),
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    description = MultilineTextField(label=_("What was delivered"), max_length=1000,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=10, decimal_places=1, required=False,
                                  min_value=0)
    need = forms.ModelChoiceField(label=_("Need met"), queryset=None, required=False)
    activity = forms.ModelChoiceField(label=_("Activity"), queryset=None, required=False)

    def __init__(self, *args, needs, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].queryset = needs
        self.fields["activity"].queryset = activities
        self.fields["delivered_on"].initial = timezone.localdate()
        self.helper = _helper(_("Record the delivery"))
