"""Keys that can be trusted (issue 15): the app refuses keys that cannot read the stored ID numbers, and
reencrypt_id_numbers rotates them, resumably."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from registration import identity
from registration.identity import check_id_number_keys, id_number_key_problems, verify_id_number_keys
from registration.models import Member, RosterEntry
from tests import factories

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keys(settings):
    """Set the encryption keys (the Fernet is cached per process: cleared on each change)."""

    def use(*encryption, hash_key=None):
        settings.ID_NUMBER_ENCRYPTION_KEYS = list(encryption)
        if hash_key:
            settings.ID_NUMBER_HASH_KEY = hash_key
        identity._fernet.cache_clear()

    yield use
    identity._fernet.cache_clear()


@pytest.fixture
def stored(keys):
    keys(OLD)
    members = [factories.MemberFactory() for _ in range(3)]
    factories.RosterEntryFactory()
    return {member.pk: member.id_number for member in members}


def test_nothing_stored_yet_is_no_problem(keys):
    keys(NEW)
    assert id_number_key_problems() == []


def test_the_right_keys_pass(stored):
    assert id_number_key_problems() == []
    verify_id_number_keys()


def test_a_wrong_encryption_key_refuses_to_start_and_names_the_variable(stored, keys):
    keys(NEW)

    with pytest.raises(ImproperlyConfigured, match="ID_NUMBER_ENCRYPTION_KEYS cannot decrypt"):
        verify_id_number_keys()
    errors = check_id_number_keys(databases=["default"])
    assert {error.id for error in errors} == {"registration.E020"}
    assert check_id_number_keys(databases=None) == []  # a database check: only when asked for the database


def test_a_wrong_hash_key_refuses_to_start_and_names_the_variable(stored, keys):
    keys(OLD, hash_key="another-hash-key")

    with pytest.raises(ImproperlyConfigured, match="ID_NUMBER_HASH_KEY does not match"):
        verify_id_number_keys()


def test_rotation_encrypts_every_number_again_under_the_new_key_and_resumes(stored, keys):
    keys(NEW, OLD)  # the new key first: it encrypts, both decrypt
    assert id_number_key_problems() == []
    out = io.StringIO()

    call_command("reencrypt_id_numbers", "--batch", "2", stdout=out)

    assert "registration.Member: 2/3 (66%)" in out.getvalue()
    assert "registration.Member: done, 3 of 3 rows changed" in out.getvalue()
    keys(NEW)  # the old key retired
    assert id_number_key_problems() == []
    assert {member.pk: member.id_number for member in Member.objects.all()} == stored
    assert all(entry.id_number for entry in RosterEntry.objects.all())

    again = io.StringIO()
    call_command("reencrypt_id_numbers", stdout=again)
    assert "done, 0 of 3 rows changed" in again.getvalue()


def test_a_new_hash_key_is_applied_to_every_row(stored, keys):
    keys(OLD, hash_key="the-new-hash-key")
    call_command("reencrypt_id_numbers", stdout=io.StringIO())

    assert id_number_key_problems() == []
    number = next(iter(stored.values()))
    assert Member.objects.filter(id_number_hash=identity.hash_id_number(number)).exists()


def test_a_row_no_key_decrypts_stops_the_command_with_the_variable_named(stored, keys):
    from django.core.management import CommandError

    keys(NEW)
    with pytest.raises(CommandError, match="ID_NUMBER_ENCRYPTION_KEYS"):
        call_command("reencrypt_id_numbers", stdout=io.StringIO())
