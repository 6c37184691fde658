import datetime

import pytest

from registration.identity import (
    InvalidIdNumber,
    decrypt_id_number,
    encrypt_id_number,
    hash_id_number,
    id_check_char,
    mask_id_number,
    mask_phone,
    parse_id_number,
    protect_id_number,
)

# A published GB 11643 example: 11010519491231002X.
KNOWN_VALID = "11010519491231002X"


def test_parse_accepts_a_valid_number_and_derives_birth_date_and_gender():
    number, birth_on, gender = parse_id_number(" 11010519491231002x ")
    assert number == KNOWN_VALID
    assert birth_on == datetime.date(1949, 12, 31)
    assert gender == "F"


def test_check_char_matches_the_standard_example():
    assert id_check_char(KNOWN_VALID[:17]) == "X"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("11010519491231002", "18"),
        ("1101051949123100XX", "17"),
        ("110105194912310021", "check digit"),
        ("110105194902300025", "birth date"),
        ("110105299912310025", "birth date"),
    ],
)
def test_parse_refuses_bad_numbers_with_a_reason(raw, message):
    with pytest.raises(InvalidIdNumber):
        parse_id_number(raw)


def test_parse_refuses_an_impossible_date_even_with_a_right_check_digit():
    first17 = "11010519490230002"  # 30 February
    with pytest.raises(InvalidIdNumber):
        parse_id_number(first17 + id_check_char(first17))


def test_reasons_are_in_chinese():
    with pytest.raises(InvalidIdNumber) as error:
        parse_id_number("110105194912310021")
    assert "校验码" in str(error.value)


def test_masks_keep_only_the_ends():
    assert mask_id_number(KNOWN_VALID) == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"


def test_encryption_round_trips_and_hides_the_number():
    token = encrypt_id_number(KNOWN_VALID)
    assert KNOWN_VALID not in token
    assert decrypt_id_number(token) == KNOWN_VALID
    assert encrypt_id_number(KNOWN_VALID) != token  # random IV: equal numbers do not look equal


def test_hash_is_keyed_stable_and_case_insensitive(settings):
    assert hash_id_number(KNOWN_VALID) == hash_id_number(KNOWN_VALID.lower())
    before = hash_id_number(KNOWN_VALID)
    settings.ID_NUMBER_HASH_KEY = "another key"
    assert hash_id_number(KNOWN_VALID) != before


def test_protect_gives_no_plain_column():
    columns = protect_id_number(KNOWN_VALID)
    assert set(columns) == {"id_number_encrypted", "id_number_hash", "id_number_mask"}
    assert all(KNOWN_VALID not in value for value in columns.values())
