"""Encryption and keyed hashing of ID card numbers behind one interface, with the algorithm chosen by setting
(issue 19, finding 10: a 商用密码 review (密评) expects the national algorithms for stored important data).

- ID_NUMBER_CIPHER: "fernet" (AES-128-CBC with HMAC-SHA256, the default; keys ID_NUMBER_ENCRYPTION_KEYS) or "sm4"
  (SM4-CBC with HMAC-SM3, encrypt-then-MAC; keys ID_NUMBER_SM4_KEYS, 32 hex digits each). The first key of the
  chosen cipher encrypts. Every key of both lists decrypts: a stored value names its algorithm (an SM4 value starts
  with "sm4$" and the id of its key; a Fernet token is Fernet's own), so a change of algorithm or key is a rotation
  like any other: add the new key, switch the setting, run `manage.py reencrypt_id_numbers`, then drop the old key.
- ID_NUMBER_HASH_ALGORITHM: "hmac-sha256" (the default) or "hmac-sm3", keyed with ID_NUMBER_HASH_KEY. A change of
  algorithm changes every hash: reencrypt_id_numbers computes them again (registration.E020 says so until it has).

SM3 and SM4 come from OpenSSL (through `cryptography`) where the build has them, and from gmssl (pure Python,
about 1 ms an SM4 value and 10 ms an SM3 HMAC) otherwise; both give the standard's test vectors
(tests/security/test_finding_10_sm_crypto.py).
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SM4_PREFIX = "sm4$"
CIPHERS = ("fernet", "sm4")
HASH_ALGORITHMS = ("hmac-sha256", "hmac-sm3")


class InvalidCiphertext(ValueError):
    """No configured key decrypts this value (or it was altered)."""


# --- SM3 and SM4 primitives ------------------------------------------------------------------------------------


def _openssl_has_sm() -> bool:
    try:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers import algorithms

        hashes.Hash(hashes.SM3())
        algorithms.SM4(b"\0" * 16)
        return True
    except Exception:  # noqa: BLE001  (an OpenSSL without them: gmssl instead)
        return False


USE_OPENSSL = _openssl_has_sm()


def sm3_digest(data: bytes, *, openssl: bool | None = None) -> bytes:
    if USE_OPENSSL if openssl is None else openssl:
        from cryptography.hazmat.primitives import hashes

        digest = hashes.Hash(hashes.SM3())
        digest.update(data)
        return digest.finalize()
    from gmssl import func, sm3

    return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


def hmac_sm3(key: bytes, data: bytes, *, openssl: bool | None = None) -> bytes:
    """HMAC (RFC 2104) over SM3, whose block is 64 bytes."""
    if len(key) > 64:
        key = sm3_digest(key, openssl=openssl)
    key = key.ljust(64, b"\0")
    inner = sm3_digest(bytes(byte ^ 0x36 for byte in key) + data, openssl=openssl)
    return sm3_digest(bytes(byte ^ 0x5C for byte in key) + inner, openssl=openssl)


def sm4_cbc(key: bytes, iv: bytes, data: bytes, *, encrypt: bool, openssl: bool | None = None) -> bytes:
    """SM4-CBC with PKCS#7 padding."""
    if USE_OPENSSL if openssl is None else openssl:
        from cryptography.hazmat.primitives import padding
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        cipher = Cipher(algorithms.SM4(key), modes.CBC(iv))
        if encrypt:
            padder = padding.PKCS7(128).padder()
            padded = padder.update(data) + padder.finalize()
            encryptor = cipher.encryptor()
            return encryptor.update(padded) + encryptor.finalize()
        decryptor = cipher.decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    from gmssl.sm4 import SM4_DECRYPT, SM4_ENCRYPT, CryptSM4

    crypt = CryptSM4()
    crypt.set_key(key, SM4_ENCRYPT if encrypt else SM4_DECRYPT)
    return crypt.crypt_cbc(iv, data)


# --- The ciphers ----------------------------------------------------------------------------------------------------


class Sm4Key:
    def __init__(self, hex_key: str):
        try:
            self.key = bytes.fromhex(hex_key.strip())
        except ValueError:
            self.key = b""
        if len(self.key) != 16:
            raise ImproperlyConfigured("Each ID_NUMBER_SM4_KEYS key is 32 hexadecimal digits (128 bits).")
        self.mac_key = sm3_digest(b"party-id-number-mac" + self.key)
        self.id = sm3_digest(b"party-id-number-key" + self.key)[:4].hex()

    def encrypt(self, plain: bytes) -> str:
        iv = os.urandom(16)
        body = iv + sm4_cbc(self.key, iv, plain, encrypt=True)
        head = f"{SM4_PREFIX}{self.id}$"
        mac = hmac_sm3(self.mac_key, head.encode() + body)
        return head + base64.urlsafe_b64encode(body + mac).decode()

    def decrypt(self, token: str) -> bytes:
        head, _, payload = token.rpartition("$")
        try:
            raw = base64.urlsafe_b64decode(payload.encode())
        except ValueError:
            raise InvalidCiphertext from None
        body, mac = raw[:-32], raw[-32:]
        if len(body) < 32 or not hmac.compare_digest(hmac_sm3(self.mac_key, (head + "$").encode() + body), mac):
            raise InvalidCiphertext
        try:
            return sm4_cbc(self.key, body[:16], body[16:], encrypt=False)
        except ValueError:
            raise InvalidCiphertext from None


def key_id_of(token: str) -> str | None:
    """The id of the SM4 key a value was encrypted with; None for a Fernet token."""
    if not token.startswith(SM4_PREFIX):
        return None
    return token[len(SM4_PREFIX) :].split("$", 1)[0]


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet | None:
    keys = settings.ID_NUMBER_ENCRYPTION_KEYS
    return MultiFernet([Fernet(key) for key in keys]) if keys else None


@lru_cache(maxsize=1)
def _sm4_keys() -> tuple[Sm4Key, ...]:
    return tuple(Sm4Key(key) for key in getattr(settings, "ID_NUMBER_SM4_KEYS", []))


def clear_caches() -> None:
    """Read the keys from the settings again (a test or the rotation command after changing them)."""
    _fernet.cache_clear()
    _sm4_keys.cache_clear()


def cipher_name() -> str:
    name = getattr(settings, "ID_NUMBER_CIPHER", "fernet")
    if name not in CIPHERS:
        raise ImproperlyConfigured(f"ID_NUMBER_CIPHER is one of {', '.join(CIPHERS)}, not {name!r}.")
    return name


def encrypt(plain: str) -> str:
    """The value to store: `plain` under the first key of the configured cipher."""
    if cipher_name() == "sm4":
        keys = _sm4_keys()
        if not keys:
            raise ImproperlyConfigured("ID_NUMBER_CIPHER is sm4 but ID_NUMBER_SM4_KEYS is empty.")
        return keys[0].encrypt(plain.encode())
    fernet = _fernet()
    if fernet is None:
        raise ImproperlyConfigured("ID_NUMBER_CIPHER is fernet but ID_NUMBER_ENCRYPTION_KEYS is empty.")
    return fernet.encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain value, whichever configured key of either cipher encrypted it; InvalidCiphertext otherwise."""
    key_id = key_id_of(token)
    if key_id is not None:
        for key in _sm4_keys():
            if key.id == key_id:
                return key.decrypt(token).decode()
        raise InvalidCiphertext
    fernet = _fernet()
    if fernet is None:
        raise InvalidCiphertext
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        raise InvalidCiphertext from None


def is_current(token: str) -> bool:
    """Whether a stored value is under the first key of the configured cipher (nothing to rotate)."""
    if cipher_name() == "sm4":
        keys = _sm4_keys()
        return bool(keys) and key_id_of(token) == keys[0].id
    if key_id_of(token) is not None or not settings.ID_NUMBER_ENCRYPTION_KEYS:
        return False
    try:
        Fernet(settings.ID_NUMBER_ENCRYPTION_KEYS[0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def keyed_hash(text: str) -> str:
    """The keyed hash (hex, 64 characters) with ID_NUMBER_HASH_ALGORITHM and ID_NUMBER_HASH_KEY."""
    algorithm = getattr(settings, "ID_NUMBER_HASH_ALGORITHM", "hmac-sha256")
    key = settings.ID_NUMBER_HASH_KEY.encode()
    if algorithm == "hmac-sha256":
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    if algorithm == "hmac-sm3":
        return hmac_sm3(key, text.encode()).hex()
    raise ImproperlyConfigured(f"ID_NUMBER_HASH_ALGORITHM is one of {', '.join(HASH_ALGORITHMS)}, not {algorithm!r}.")
