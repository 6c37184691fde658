"""Forms for teams: shape only; the rules needing the database are in services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.text import PlainTextField, model_formfield
from registration.models import Member, Report

from .models import Team


def _helper(label):
    helper = FormHelper()
    helper.add_input(Submit("submit", label, css_class="btn-party"))
    return helper


def _need_label(need) -> str:
    return f"{need.title}（{need.window_label} · {need.places_left}/{need.places}）"


def _activity_label(activity) -> str:
    start = timezone.localtime(activity.starts_at)
    return f"{activity.title}（{start:%m-%d %H:%M} · {activity.places_left}/{activity.places}）"


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member):
        return member.name


class MembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, member):
        return member.name


class TeamForm(forms.ModelForm):
    """Staff set up a team: the leader is chosen among the members reported to the community."""

    class Meta:
        formfield_callback = model_formfield
        model = Team
        fields = ["name", "speciality", "leader", "description", "is_open"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        leader = self.fields["leader"]
        self.fields["leader"] = MemberChoiceField(
            label=leader.label,
            queryset=Member.objects.filter(
                reports__community=community, reports__status=Report.Status.CONFIRMED
            ).distinct().order_by("name", "pk"),
        )
        self.helper = _helper(_("Save"))


class TeamClaimForm(forms.Form):
    need = forms.ModelChoiceField(label=_("Need"), queryset=None)
    members = MembersField(label=_("Members assigned to its places"), queryset=None,
                           widget=forms.CheckboxSelectMultiple)
    commitment = PlainTextField(label=_("Commitment"), max_length=500,
                                help_text=_("What the team commits to do; each member assigned makes it."))

    def __init__(self, *args, needs, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].queryset = needs
        self.fields["need"].label_from_instance = _need_label
        self.fields["members"].queryset = members
        self.helper = _helper(_("Claim for the team"))


class TeamSignUpForm(forms.Form):
    activity = forms.ModelChoiceField(label=_("Activity"), queryset=None)
    members = MembersField(label=_("Members assigned to its places"), queryset=None,
                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, activities, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities
        self.fields["activity"].label_from_instance = _activity_label
        self.fields["members"].queryset = members
        self.helper = _helper(_("Sign up the team"))
