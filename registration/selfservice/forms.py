"""Forms of the self-service pages: shape only (lengths, choices); the services check what needs the database."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import District, Unit
from communities.text import PlainTextField
from registration.forms import CITY_LEVEL, MAX_ID, narrow_button
from registration.models import Report, Skill

from .services import RemovalReason

# Fields whose choice only narrows the next list (as on the registration form).
NARROWING_DROPS = {"unit_district": ("unit",)}


def narrowed_initial(data, *, narrow: str) -> dict:
    """The typed values of a form posted only to narrow a list, minus the choice below the changed one."""
    initial = {key: data.getlist(key) if key == "skills" else data.get(key) for key in data}
    initial.pop("csrfmiddlewaretoken", None)
    for dropped in NARROWING_DROPS.get(narrow, ()):
        initial.pop(dropped, None)
    return initial


def _selected_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def profile_initial(member) -> dict:
    """The form's values from the member's row (the unit's district picks the unit list)."""
    return {
        "unit_district": str(member.unit.district_id) if member.unit.district_id else CITY_LEVEL,
        "unit": member.unit_id,
        "position": member.position,
        "skills": [skill.pk for skill in member.skills.all()],
        "specialty": member.specialty,
        "service_wishes": member.service_wishes,
        "home_address": member.home_address,
    }


class ProfileForm(forms.Form):
    """A member's own data: unit, position, skills, wishes, address (the phone is changed on its own page)."""

    unit_district = forms.ChoiceField(label=_("Where your unit belongs"))
    unit = forms.ModelChoiceField(label=_("Work unit"), queryset=Unit.objects.none())
    position = PlainTextField(label=_("Current position"), max_length=100)
    skills = forms.ModelMultipleChoiceField(
        label=_("Special skills"), queryset=Skill.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    specialty = PlainTextField(label=_("Other skills"), max_length=200, required=False)
    service_wishes = PlainTextField(
        label=_("Service wishes"),
        max_length=200,
        required=False,
        help_text=_("What you would like to do for the community."),
    )
    home_address = PlainTextField(label=_("Home address"), max_length=200)
    submit_label = _("Save my data")

    def __init__(self, *args, returned_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        values = self.data if self.is_bound else self.initial
        self.fields["unit_district"].choices = [("", "---------"), (CITY_LEVEL, _("Units under the city"))] + [
            (str(pk), name) for pk, name in District.objects.order_by("code").values_list("pk", "name")
        ]
        unit_district = values.get("unit_district")
        if unit_district == CITY_LEVEL:
            self.fields["unit"].queryset = Unit.objects.filter(district__isnull=True).order_by("code")
        else:
            self.fields["unit"].queryset = Unit.objects.filter(district_id=_selected_id(unit_district)).order_by("code")
        self.returned_fields = set(returned_fields)
        self.helper = FormHelper()
        self.helper.layout = Layout(*self.layout_items())

    def beside_reason(self, name: str, *items):
        """The field, with the staff's reason above it when the rejection named it."""
        if name in self.returned_fields:
            reason = HTML('{% include "selfservice/partials/returned_reason.html" %}')
            return Div(reason, *items, css_class="returned-field", data_returned=name)
        return Div(*items)

    def layout_items(self) -> list:
        return [
            Fieldset(
                _("Unit and position"),
                self.beside_reason(
                    "unit", "unit_district", narrow_button("unit_district", _("Show the units")), "unit"
                ),
                self.beside_reason("position", "position"),
            ),
            Fieldset(
                _("Skills and wishes"),
                self.beside_reason("skills", "skills", "specialty"),
                self.beside_reason("service_wishes", "service_wishes"),
                self.beside_reason("home_address", "home_address"),
            ),
            Div(Submit("submit", self.submit_label, css_class="btn-party w-100"), css_class="mt-3"),
        ]


class CorrectionForm(ProfileForm):
    """The member's data and the kind of report, corrected and sent again to the community that returned it."""

    kind = forms.ChoiceField(label=_("Kind of report"), choices=Report.Kind.choices, widget=forms.RadioSelect)
    submit_label = _("Send the corrected report again")

    def layout_items(self) -> list:
        items = super().layout_items()
        items.insert(-1, Fieldset(_("Report"), self.beside_reason("kind", "kind")))
        return items


class RosterRemoveForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why does this person leave the roster?"),
        widget=forms.RadioSelect,
        choices=[
            (RemovalReason.MOVED, _("moved to another unit or place")),
            (RemovalReason.RETIRED, _("retired")),
            (RemovalReason.LEFT_PARTY_WORK, _("Party membership transferred out")),
            (RemovalReason.MISTAKE, _("listed by mistake")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
