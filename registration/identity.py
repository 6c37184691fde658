"""ID card numbers (GB 11643-1999) and phone numbers: checking, protecting and masking.

The one place that knows how an ID number is validated, encrypted, hashed and masked, so that
forms, the roster import, the demo city and the admin all agree.
"""

import datetime
import hmac
import re
import unicodedata

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from . import id_crypto
from .id_crypto import InvalidCiphertext
from .id_crypto import _fernet as _fernet  # noqa: F401  (its cache is cleared by tests that change the keys)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# ASCII digits only: Python's \d also matches full-width and other scripts' digits, which int() accepts too.
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
MOBILE_SHAPE = re.compile(r"^1[3-9][0-9]{9}$")


class InvalidIdNumber(ValueError):
    """Raised with a Chinese, user-facing reason when an ID number is not valid."""


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    """One spelling of a number: NFKC turns full-width digits and letters (３９…Ｘ) into ASCII, so that a copy typed
    in full width is checked, hashed and found as the same number."""
    return unicodedata.normalize("NFKC", raw or "").strip().upper()


def normalize_phone(raw: str) -> str:
    """A phone number as it is stored and logged in with: NFKC (full-width digits become ASCII), trimmed."""
    return unicodedata.normalize("NFKC", raw or "").strip()


def parse_id_number(raw: str) -> tuple[str, datetime.date, str]:
    """Return (normalised number, birth date, gender) or raise InvalidIdNumber.

    Gender is "M" or "F", from the parity of the 17th digit.
    """
    number = normalize_id_number(raw)
    if len(number) != 18:
        raise InvalidIdNumber(_("An ID card number has 18 characters."))
    if not _ID_SHAPE.match(number):
        raise InvalidIdNumber(_("An ID card number is 17 digits followed by a digit or X."))
    try:
        birth_on = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(_("The birth date in this ID card number does not exist.")) from None
    if birth_on.year < 1900 or birth_on > datetime.date.today():
        raise InvalidIdNumber(_("The birth date in this ID card number does not exist."))
    if id_check_char(number[:17]) != number[17]:
        raise InvalidIdNumber(_("The check digit of this ID card number is wrong; please check each digit."))
    gender = "M" if int(number[16]) % 2 else "F"
    return number, birth_on, gender


def encrypt_id_number(number: str) -> str:
    """Under the first key of the configured cipher (registration.id_crypto: Fernet or SM4)."""
    return id_crypto.encrypt(number)


def decrypt_id_number(token: str) -> str:
    """The number, whichever configured key encrypted it; "" when none does."""
    try:
        return id_crypto.decrypt(token)
    except InvalidCiphertext:
        return ""


def protected_models() -> list:
    """The models that store ID numbers (registration.models.ProtectedIdNumber's concrete subclasses)."""
    from django.apps import apps

    from .models import ProtectedIdNumber

    return [model for model in apps.get_models() if issubclass(model, ProtectedIdNumber)]


def id_number_key_problems() -> list[str]:
    """What is wrong with the configured keys, judged on stored ID numbers (the canaries): the oldest and the newest
    row of each table, so that rows of the previous key (during a rotation) and of the current one are both tried.
    A row that no key of ID_NUMBER_ENCRYPTION_KEYS decrypts, or whose keyed hash ID_NUMBER_HASH_KEY does not
    reproduce, is a problem: a wrong or missing key would otherwise show every ID number blank. Nothing stored yet
    (or no table yet, before migrate): nothing to judge by, no problem."""
    from django.db import DatabaseError

    problems = []
    try:
        for model in protected_models():
            rows = model.objects.values_list("pk", "id_number_encrypted", "id_number_hash")
            canaries = {row for row in (rows.order_by("pk").first(), rows.order_by("-pk").first()) if row}
            for pk, encrypted, keyed_hash in sorted(canaries):
                try:
                    number = id_crypto.decrypt(encrypted)
                except InvalidCiphertext:
                    problems.append(
                        f"ID_NUMBER_ENCRYPTION_KEYS cannot decrypt the stored ID numbers ({model._meta.label} {pk}): "
                        "the key they were encrypted with is missing from the list (or the list is wrong)."
                    )
                    break
                if not hmac.compare_digest(hash_id_number(number), keyed_hash):
                    problems.append(
                        f"ID_NUMBER_HASH_KEY does not match the stored ID numbers ({model._meta.label} {pk}): search "
                        "and duplicate checks would miss every member. Set the key they were hashed with, or run "
                        "manage.py reencrypt_id_numbers after changing it."
                    )
                    break
    except DatabaseError:
        return []
    return problems


@checks.register(checks.Tags.database, checks.Tags.security)
def check_id_number_keys(databases=None, **kwargs):
    """registration.E020: run by `manage.py check --database default` and `migrate` (database checks)."""
    if not databases:
        return []
    return [checks.Error(problem, id="registration.E020") for problem in id_number_key_problems()]


def verify_id_number_keys() -> None:
    """Refuse to start (ImproperlyConfigured, naming the variable) when the keys cannot read the stored ID numbers."""
    problems = id_number_key_problems()
    if problems:
        raise ImproperlyConfigured(" ".join(problems))


def hash_id_number(number: str) -> str:
    """Keyed hash for uniqueness and exact-match search; reveals nothing without the key."""
    return id_crypto.keyed_hash(normalize_id_number(number))


def mask_id_number(number: str) -> str:
    """110***********123X: the first three and last four characters."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_phone(phone: str) -> str:
    """138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def protect_id_number(number: str) -> dict:
    """The three stored columns for an ID number: ciphertext, keyed hash and mask."""
    number = normalize_id_number(number)
    return {
        "id_number_encrypted": encrypt_id_number(number),
        "id_number_hash": hash_id_number(number),
        "id_number_mask": mask_id_number(number),
    }


def mask_address(address: str) -> str:
    """幸福路12号3单元 → 幸福路12****: enough to tell the area, not the door."""
    if len(address) <= 6:
        return address[:2] + "****"
    return address[:6] + "****"


def mask_search_term(term: str) -> str:
    """A search term as it may be stored (export records, logs): ID numbers and phones masked."""
    try:
        number, _birth_on, _gender = parse_id_number(term)
    except InvalidIdNumber:
        number = None
    if number:
        return mask_id_number(number)
    if term.isdigit() and len(term) == 11:
        return mask_phone(term)
    return term
