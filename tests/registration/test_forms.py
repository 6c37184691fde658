import pytest

from registration.forms import CITY_LEVEL, RegistrationForm
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def places():
    community = factories.CommunityFactory()
    unit = factories.UnitFactory(district=None)
    return community, unit


def form_data(community, unit, /, **overrides):
    return factories.registration_form_data(
        community, unit, **{"id_number": factories.valid_id_number(11), **overrides}
    )


def test_a_complete_form_is_valid_and_derives_birth_date_and_gender(places):
    form = RegistrationForm(form_data(*places))
    assert form.is_valid(), form.errors
    assert str(form.cleaned_data["birth_on"]) == "1985-06-15"
    assert form.cleaned_data["gender"] == "M"  # 17th digit 1 (odd)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "11010519491231002", "18"),
        ("id_number", "110105194912310021", "校验码"),
        ("id_number", "110105194902300025", "出生日期"),
        ("id_number", "11010519491231002Y", "X"),
        ("phone", "12812345678", "手机号"),
        ("phone", "1391234567", "手机号"),
        ("phone", "139123456789", "11"),
        ("name", "王" * 51, "50"),
        ("home_address", "路" * 201, "200"),
        ("position", "", "必填"),
        ("consent", "", "必填"),
        ("sensitive_consent", "", "必填"),
        ("password2", "Different2026", "不一致"),
        ("password1", "1234567890", "数字"),
        ("community", "", "必填"),
    ],
)
def test_bad_input_gets_a_chinese_message_on_its_field(places, field, value, message):
    overrides = {field: value, "password2": value} if field == "password1" else {field: value}
    form = RegistrationForm(form_data(*places, **overrides))
    assert not form.is_valid()
    assert message in " ".join(form.errors[field]), form.errors[field]


def test_a_community_of_another_street_than_the_chosen_one_is_refused(places):
    community, unit = places
    other = factories.CommunityFactory()
    form = RegistrationForm(form_data(community, unit, community=other.pk))
    assert not form.is_valid()
    assert "community" in form.errors


def test_the_unit_list_follows_the_chosen_unit_district(places):
    community, city_unit = places
    district_unit = factories.UnitFactory(district=community.district)
    form = RegistrationForm(initial={"unit_district": str(community.district_id)})
    assert list(form.fields["unit"].queryset) == [district_unit]
    form = RegistrationForm(initial={"unit_district": CITY_LEVEL})
    assert list(form.fields["unit"].queryset) == [city_unit]


def test_password_similar_to_the_phone_is_refused(places):
    form = RegistrationForm(form_data(*places, password1="13912345678a", password2="13912345678a"))
    assert not form.is_valid()
    assert "password1" in form.errors
