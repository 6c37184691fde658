"""Forms of the time bank and the 爱心超市: shape only (amounts in credits with one decimal); the rules needing the
database are in services."""

from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from communities.text import MultilineTextField, PlainTextField


class CreditsField(forms.DecimalField):
    """An amount of credits, 0.1 to 10000, one decimal; cleaned to tenths (an integer)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Credits"))
        super().__init__(min_value=Decimal("0.1"), max_value=Decimal("10000"), max_digits=6, decimal_places=1,
                         **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.1"})

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else int(amount * 10)


def _helper(label, *, form_tag: bool = True) -> FormHelper:
    """A helper with one submit button; form_tag False where the page wraps the form (several forms on a page, a
    hidden field naming which)."""
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.add_input(Submit("submit", label, css_class="btn-party"))
    return helper


class FamilyForm(forms.Form):
    name = PlainTextField(label=_("Name"), max_length=50)
    relation = PlainTextField(label=_("Relation"), max_length=20, help_text=_("Mother, father, child …"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Add"))


class GiftForm(forms.Form):
    family = forms.TypedChoiceField(label=_("To"), coerce=int)
    amount = CreditsField()

    def __init__(self, *args, family=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family"].choices = [(person.pk, f"{person.name}（{person.relation}）") for person in family]
        self.helper = _helper(_("Give credits"))
        self.helper.attrs = {"data-confirm": _("Give these credits? They leave your account."),
                             "data-confirm-ok": _("Give credits")}


class ServiceRequestForm(forms.Form):
    beneficiary = forms.TypedChoiceField(label=_("For"), coerce=int, empty_value=0)
    title = PlainTextField(label=_("Service wanted"), max_length=100)
    description = MultilineTextField(label=_("Details"), max_length=1000, required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    amount = CreditsField(help_text=_("Paid now from the account of the person it is for; returned if the "
                                      "community declines."))

    def __init__(self, *args, family=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["beneficiary"].choices = [(0, _("myself")), *[
            (person.pk, f"{person.name}（{person.relation}）") for person in family]]
        self.helper = _helper(_("Ask the community"))


class ReasonForm(forms.Form):
    reason = PlainTextField(label=_("Reason"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Reverse"))


class GoodsForm(forms.Form):
    name = PlainTextField(label=_("Article"), max_length=50)
    price = CreditsField(label=_("Price in credits"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Add the article"), form_tag=False)


class DonationForm(forms.Form):
    goods = forms.TypedChoiceField(label=_("Article"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000)
    donor = PlainTextField(label=_("Donor"), max_length=100)
    # A paired unit named here counts the donation as delivered in the pairing ledger (pairing_sources.py).
    donor_unit = forms.TypedChoiceField(label=_("donor organisation"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, goods=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goods"].choices = [(item.pk, item.name) for item in goods]
        self.fields["donor_unit"].choices = [("", "—")] + [(unit.pk, unit.name) for unit in units]
        self.helper = _helper(_("Record the donation"), form_tag=False)


class StockCountForm(forms.Form):
    goods = forms.TypedChoiceField(label=_("Article"), coerce=int)
    counted = forms.IntegerField(label=_("Counted on the shelf"), min_value=0, max_value=1_000_000)
    note = PlainTextField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, goods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goods"].choices = [(item.pk, item.name) for item in goods]
        self.helper = _helper(_("Record the count"), form_tag=False)


class CounterForm(forms.Form):
    goods = forms.TypedChoiceField(label=_("Article"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args, goods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goods"].choices = [(item.pk, f"{item.name} · {item.price_text}") for item in goods]
        self.helper = _helper(_("Ask the member to confirm"), form_tag=False)


class DepositForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    amount = CreditsField()
    reason = PlainTextField(label=_("For what"), max_length=200)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(unit.pk, unit.name) for unit in units]
        self.helper = _helper(_("Record the deposit"), form_tag=False)


class FundPaymentForm(forms.Form):
    beneficiary = PlainTextField(label=_("Resident"), max_length=50)
    purpose = PlainTextField(label=_("Purpose"), max_length=200)
    amount = CreditsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Ask for approval"), form_tag=False)
