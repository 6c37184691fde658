"""Issue 19, finding 5: "该身份证号码已注册，请直接登录。" told anyone who typed an ID number that it belongs to a
registered Party member. A conflict on the ID number or the phone now gets one answer for the whole form, which
says what to do and not which field matched; a repeat of one's own submission still lands on one's letter."""

import pytest
from django.test import Client
from django.urls import reverse

from registration.models import Member, Report, User
from registration.services import REGISTRATION_CONFLICT
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    community, unit = factories.CommunityFactory(), factories.UnitFactory(district=None)
    data = factories.registration_form_data(community, unit)
    assert Client().post(reverse("registration:register"), data).status_code == 302
    return community, unit, data


def refusal(data) -> tuple[list, dict, str]:
    response = Client().post(reverse("registration:register"), data)
    assert response.status_code == 200
    form = response.context["form"]
    return list(form.non_field_errors()), dict(form.errors), response.content.decode()


def test_an_id_number_conflict_and_a_phone_conflict_get_the_same_neutral_answer(registered):
    community, unit, data = registered
    taken_id = factories.registration_form_data(community, unit, phone="13800000002", name="钱多多")
    taken_phone = factories.registration_form_data(community, unit, id_number=factories.valid_id_number(32))
    id_answer, id_errors, id_page = refusal(taken_id)
    phone_answer, phone_errors, _ = refusal(taken_phone)
    assert id_answer == phone_answer == [str(REGISTRATION_CONFLICT)]
    assert set(id_errors) == set(phone_errors) == {"__all__"}  # no field named
    assert "身份证号码已注册" not in id_page and "手机号码已注册" not in id_page
    assert "请用手机号码登录" in id_answer[0] and "社区工作人员" in id_answer[0]  # tells how to proceed
    assert id_answer[0] in id_page  # shown on the page, above the form
    assert "王晓红" not in id_page  # whose it is, never
    assert Member.objects.count() == 1


def test_a_repeat_of_ones_own_submission_still_lands_on_the_letter(registered):
    community, unit, data = registered
    repeat = Client().post(reverse("registration:register"), data)
    report = Report.objects.get()
    assert repeat.status_code == 302 and repeat.url == reverse("registration:letter", args=[report.pk])
    assert (User.objects.count(), Member.objects.count(), Report.objects.count()) == (1, 1, 1)
