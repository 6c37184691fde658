"""Issue 19, finding 1: a control character in a stored name broke every export; bidi overrides and zero-width
characters were stored and shown (look-alike names). Typed text is now normalised (NFKC) and refused, with the
input kept, when it holds control or invisible characters, in every form (communities.text); the export writer
drops what a workbook cannot hold, whatever is stored."""

import io

import pytest
from django import forms
from django.contrib import admin
from django.forms.forms import BaseForm
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from openpyxl import load_workbook

from communities.text import MultilineTextField, PlainTextField, normalize_text
from registration.models import Member, Report
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("communities", "registration", "services")
# Each refused in a one-line field: C0 and C1 controls, bidi overrides and isolates, zero-width characters, the
# word joiner, the BOM, another format character (soft hyphen) and the line separator.
REFUSED = ["\x1b", "\x00", "\x7f", "\x85", "\u202e", "\u2066", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad"]
REFUSED.append("\u2028")
# Declared by a third-party form, not typed as free text by anyone but the system administrator: a Celery task's
# dotted name in django-celery-beat's schedule form.
THIRD_PARTY_DECLARED = {("PeriodicTask", "task")}


def is_free_text(field) -> bool:
    return (
        isinstance(field, forms.CharField)
        and not isinstance(field, forms.JSONField)  # structured, parsed as JSON
        and not isinstance(field.widget, forms.PasswordInput)  # hashed, never shown
    )


def project_form_classes() -> set[type]:
    get_resolver().url_patterns  # imports every view module, and with them every form  # noqa: B018
    found, todo = set(), [BaseForm]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            if subclass.__module__.startswith(PROJECT_APPS) and not subclass.__module__.startswith("tests"):
                found.add(subclass)
    return found


def test_every_free_text_field_of_every_form_refuses_invisible_characters():
    classes = project_form_classes()
    names = {cls.__name__ for cls in classes}
    # Not vacuous: the forms of all three apps, a ModelForm and a form declared in a view module are among them.
    assert {"RegistrationForm", "LoginForm", "NeedForm", "RecordForm", "ReviewForm", "SecondFactorForm"} <= names
    unchecked = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in classes
        for name, field in cls.base_fields.items()
        if is_free_text(field) and not isinstance(field, PlainTextField)
    ]
    assert unchecked == []


def test_every_free_text_field_of_every_admin_form_refuses_invisible_characters(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    unchecked, seen = [], 0
    for model, model_admin in admin.site._registry.items():
        form = model_admin.get_form(request, None)
        for name, field in form.base_fields.items():
            seen += is_free_text(field)
            if (
                is_free_text(field)
                and not isinstance(field, PlainTextField)
                and (model.__name__, name) not in THIRD_PARTY_DECLARED
            ):
                unchecked.append(f"{model.__name__}.{name}")
    assert seen > 10 and unchecked == []


@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_a_one_line_field_refuses_control_and_invisible_characters(char):
    field = PlainTextField(max_length=50)
    with pytest.raises(forms.ValidationError) as error:
        field.clean(f"张{char}三")
    assert f"U+{ord(char):04X}" in error.value.messages[0]
    assert "看不见的字符或控制字符" in error.value.messages[0]  # the Chinese message next to the field


def test_a_multi_line_field_keeps_line_breaks_and_tabs_but_refuses_the_rest():
    field = MultilineTextField(max_length=200)
    assert field.clean("第一行\r\n第二行\t备注") == "第一行\r\n第二行\t备注"
    with pytest.raises(forms.ValidationError):
        field.clean("第一行\r\n\u202e第二行")
    with pytest.raises(forms.ValidationError):
        PlainTextField().clean("一行\n两行")


def test_typed_text_is_normalised_but_chinese_punctuation_keeps_its_form():
    assert PlainTextField().clean("ＡＢＣ１２３\u3000王") == "ABC123 王"
    assert normalize_text("张三（退休），住：幸福路！") == "张三（退休），住：幸福路！"


def test_a_name_with_an_escape_character_is_refused_at_registration_with_the_input_kept(client):
    community, unit = factories.CommunityFactory(), factories.UnitFactory(district=None)
    data = factories.registration_form_data(community, unit, name="王\u202e晓红", home_address="幸福路\x1b12号")
    response = client.post(reverse("registration:register"), data)
    form = response.context["form"]
    assert response.status_code == 200
    assert set(form.errors) == {"name", "home_address"}
    assert "U+202E" in form.errors["name"][0] and "U+001B" in form.errors["home_address"][0]
    assert 'value="王\u202e晓红"' in response.content.decode()  # kept, so the person can correct it
    assert Member.objects.count() == 0


def test_a_staff_text_with_a_zero_width_space_is_refused():
    community = factories.CommunityFactory()
    staff = make_staff("community", community=community)
    client = Client()
    client.force_login(staff)
    report = factories.ReportFactory(community=community)
    response = client.post(reverse("registration:report-reject", args=[report.pk]), {"reason": "请补\u200b充"})
    assert response.status_code == 400 and "reason" in response.context["reject_form"].errors
    report.refresh_from_db()
    assert report.status == Report.Status.PENDING


def test_an_export_never_fails_on_a_stored_control_character(client):
    community = factories.CommunityFactory()
    member = factories.MemberFactory(name="张\x1b三", position="科员\x07", home_address="幸福路\x0b1号")
    factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    client.force_login(make_staff("community", community=community))
    response = client.get(reverse("registration:ledger-export"))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[3][0] == "张三" and rows[3][5] == "科员"
