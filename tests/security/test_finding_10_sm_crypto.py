"""Issue 19, finding 10 (national algorithms): ID numbers were encrypted and hashed with Fernet and HMAC-SHA256
only; a 商用密码 review expects SM4 and SM3 for stored important data. Now registration.id_crypto puts both behind one
interface, chosen by ID_NUMBER_CIPHER and ID_NUMBER_HASH_ALGORITHM, and reencrypt_id_numbers moves the stored values
from one algorithm to the other and back."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from registration import id_crypto, identity, selectors
from registration.models import Member, RosterEntry
from tests import factories

pytestmark = pytest.mark.django_db

SM4_OLD, SM4_NEW = "0123456789abcdeffedcba9876543210", "00112233445566778899aabbccddeeff"
FERNET = Fernet.generate_key().decode()

BOTH = [pytest.param(True, id="openssl"), pytest.param(False, id="gmssl")]


@pytest.mark.parametrize("openssl", BOTH)
def test_sm3_and_sm4_give_the_standards_test_vectors(openssl):
    if openssl and not id_crypto.USE_OPENSSL:
        pytest.skip("this OpenSSL has no SM3/SM4")
    # GB/T 32905-2016 appendix A.1 and GB/T 32907-2016 appendix A.1 (one block: CBC with a zero IV is ECB).
    assert id_crypto.sm3_digest(b"abc", openssl=openssl).hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    block = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encrypted = id_crypto.sm4_cbc(block, b"\0" * 16, block, encrypt=True, openssl=openssl)
    assert encrypted[:16].hex() == "681edf34d206965e86b3e94f536e4246"
    assert id_crypto.sm4_cbc(block, b"\0" * 16, encrypted, encrypt=False, openssl=openssl) == block


def test_openssl_and_gmssl_agree():
    if not id_crypto.USE_OPENSSL:
        pytest.skip("this OpenSSL has no SM3/SM4")
    key, iv, data = b"k" * 16, b"i" * 16, b"110101198506150013"
    assert id_crypto.hmac_sm3(b"key", data, openssl=True) == id_crypto.hmac_sm3(b"key", data, openssl=False)
    assert id_crypto.sm4_cbc(key, iv, data, encrypt=True, openssl=True) == id_crypto.sm4_cbc(
        key, iv, data, encrypt=True, openssl=False
    )


@pytest.fixture
def crypto(settings):
    def use(*, cipher, sm4=(), fernet=(), hash_algorithm="hmac-sha256"):
        settings.ID_NUMBER_CIPHER = cipher
        settings.ID_NUMBER_SM4_KEYS = list(sm4)
        settings.ID_NUMBER_ENCRYPTION_KEYS = list(fernet)
        settings.ID_NUMBER_HASH_ALGORITHM = hash_algorithm
        id_crypto.clear_caches()

    yield use
    id_crypto.clear_caches()


def test_sm4_values_name_their_algorithm_and_key_and_refuse_tampering(crypto):
    crypto(cipher="sm4", sm4=[SM4_OLD])
    number = factories.valid_id_number(5)
    protected = identity.protect_id_number(number)
    token = protected["id_number_encrypted"]
    assert token.startswith("sm4$") and number not in token
    assert identity.decrypt_id_number(token) == number
    assert identity.encrypt_id_number(number) != token  # a fresh IV each time
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    assert identity.decrypt_id_number(tampered) == ""
    crypto(cipher="sm4", sm4=[SM4_NEW])  # the key it was encrypted with is gone
    assert identity.decrypt_id_number(token) == ""


def test_hmac_sm3_is_a_keyed_hash_of_the_same_width(crypto, settings):
    crypto(cipher="fernet", fernet=[FERNET], hash_algorithm="hmac-sm3")
    number = factories.valid_id_number(6)
    sm3_hash = identity.hash_id_number(number)
    assert len(sm3_hash) == 64 and sm3_hash == identity.hash_id_number(number)
    settings.ID_NUMBER_HASH_ALGORITHM = "hmac-sha256"
    assert identity.hash_id_number(number) != sm3_hash


def test_rotation_from_fernet_to_sm4_and_sm3_and_back(crypto, settings):
    crypto(cipher="fernet", fernet=[FERNET])
    members = {factories.MemberFactory().pk: None for _ in range(3)}
    factories.RosterEntryFactory()
    for member in Member.objects.all():
        members[member.pk] = member.id_number

    # Switch both algorithms: the stored values no longer match until the rotation has run.
    crypto(cipher="sm4", sm4=[SM4_NEW], fernet=[FERNET], hash_algorithm="hmac-sm3")
    assert identity.id_number_key_problems()
    call_command("reencrypt_id_numbers", stdout=io.StringIO())
    assert identity.id_number_key_problems() == []
    for model in (Member, RosterEntry):
        assert all(token.startswith("sm4$") for token in model.objects.values_list("id_number_encrypted", flat=True))
    for pk, number in members.items():
        member = Member.objects.get(pk=pk)
        assert member.id_number == number
        assert list(selectors._search(Member.objects.all(), number)) == [member]  # found by the new hash

    # The Fernet key can go; and back again to Fernet with the SM4 key kept for reading.
    crypto(cipher="sm4", sm4=[SM4_NEW], hash_algorithm="hmac-sm3")
    assert identity.id_number_key_problems() == []
    crypto(cipher="fernet", sm4=[SM4_NEW], fernet=[FERNET])
    call_command("reencrypt_id_numbers", stdout=io.StringIO())
    assert not Member.objects.filter(id_number_encrypted__startswith="sm4$").exists()
    assert {pk: Member.objects.get(pk=pk).id_number for pk in members} == members
    assert identity.id_number_key_problems() == []
