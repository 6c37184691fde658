"""Issue 19, finding 2: full-width digits passed the ID checks (\\d, int()) and were hashed raw, so a registered ID
number registered a second time; a roster row with a full-width ID was not matched; a full-width phone made an
account that could never log in. Numbers are now normalised (NFKC) before they are checked and hashed."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from registration.identity import MOBILE_SHAPE, InvalidIdNumber, hash_id_number, parse_id_number
from registration.models import Member, RosterEntry, User
from registration.roster import ROSTER_COLUMNS, roster_import_file
from tests import factories

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


def test_a_full_width_id_number_is_the_same_number_checked_and_hashed():
    number = factories.valid_id_number(7)
    assert parse_id_number(full_width(number))[0] == number
    assert hash_id_number(full_width(number)) == hash_id_number(number)


def test_the_shape_checks_take_ascii_digits_only():
    # Whatever skipped the normalisation is refused rather than stored in another spelling.
    assert not MOBILE_SHAPE.match("13" + full_width("912345678"))
    number = factories.valid_id_number(7)
    arabic_indic = number[:17].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) + number[17]
    with pytest.raises(InvalidIdNumber):
        parse_id_number(arabic_indic)  # NFKC leaves these digits as they are; \d and int() took them


def test_a_full_width_copy_of_a_registered_id_number_is_refused_as_a_duplicate(client):
    community, unit = factories.CommunityFactory(), factories.UnitFactory(district=None)
    number = factories.valid_id_number(31)
    first = client.post(reverse("registration:register"), factories.registration_form_data(community, unit))
    assert first.status_code == 302
    again = Client().post(
        reverse("registration:register"),
        factories.registration_form_data(community, unit, id_number=full_width(number), phone="13800000001"),
    )
    assert again.status_code == 200 and again.context["form"].non_field_errors()
    assert Member.objects.count() == 1


def test_a_full_width_phone_registers_as_the_ascii_one_and_logs_in_either_way(client):
    community, unit = factories.CommunityFactory(), factories.UnitFactory(district=None)
    data = factories.registration_form_data(community, unit, phone=full_width("13912345678"))
    assert client.post(reverse("registration:register"), data).status_code == 302
    member = Member.objects.get()
    assert member.phone == member.user.username == "13912345678"
    for typed in ("13912345678", full_width("13912345678")):
        login = Client()
        response = login.post(reverse("login"), {"username": typed, "password": data["password1"]})
        assert response.status_code == 302, typed
        assert int(login.session["_auth_user_id"]) == User.objects.get(username="13912345678").pk


def test_a_roster_row_with_a_full_width_id_number_and_phone_is_matched():
    unit = factories.UnitFactory()
    number = factories.valid_id_number(12)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column.header for column in ROSTER_COLUMNS])
    sheet.append(["张全角", full_width(number), "科员", full_width("13900000012"), ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = roster_import_file(unit=unit, uploaded_file=SimpleUploadedFile("roster.xlsx", buffer.getvalue()))
    assert result.ok, result.errors
    entry = RosterEntry.objects.get()
    assert entry.id_number_hash == hash_id_number(number) and entry.phone == "13900000012"
