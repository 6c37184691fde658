"""Deterministic, collision-free identifiers for the demo city: phones, unit codes, names (ID numbers are
registration's: registration/demo_city.py).

Every source walks an affine permutation (a·k + b mod capacity, with a coprime to the capacity) of its
whole number space. The k-th value is therefore distinct from every other one by construction: no retry
on collision, and the same seed gives the same numbers at any size.
"""

import itertools
import math
from itertools import accumulate

from . import words

# The fictional province code of the demo city. No real region starts with 39, so no generated ID number
# can be a real person's.
PROVINCE_CODE = "39"

# Mainland mobile prefixes in use (1[3-9]x).
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "170", "171", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "193", "195", "196", "197", "198", "199",
)
_MOBILE_BODIES = 10**8

_DIGITS = "零一二三四五六七八九"
# GB 32100 (统一社会信用代码) and GB 11714 (organisation code) check characters.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_PREFIX = {"government": "11", "institution": "12", "enterprise": "91"}


def affine_walk(*, rng, capacity: int) -> tuple[int, int]:
    """(a, b) for k → (a·k + b) mod capacity, a bijection of range(capacity)."""
    while True:
        multiplier = rng.randrange(capacity // 3 + 1, capacity)
        if math.gcd(multiplier, capacity) == 1:
            return multiplier, rng.randrange(capacity)


def district_code(index: int) -> str:
    """Six digits: province, city, district. Every 90 districts open a new prefecture-level city."""
    city, district = divmod(index, 90)
    return f"{PROVINCE_CODE}{city + 1:02d}{district + 2:02d}"


class PhoneSource:
    """Distinct mainland mobile numbers by person index, with one number reserved for the demo login.

    One permutation runs over every (prefix, eight digits) pair, so neighbours share neither. The reserved
    number is given to index 0; whichever other index the permutation would have given it receives index
    0's own number instead, so all numbers stay distinct.
    """

    def __init__(self, *, rng, reserved: str):
        self._capacity = len(MOBILE_PREFIXES) * _MOBILE_BODIES
        self._multiplier, self._offset = affine_walk(rng=rng, capacity=self._capacity)
        self._reserved = reserved
        self._first = self._walk(0)

    def _walk(self, index: int) -> str:
        prefix, body = divmod((self._multiplier * index + self._offset) % self._capacity, _MOBILE_BODIES)
        return f"{MOBILE_PREFIXES[prefix]}{body:08d}"

    def phone(self, index: int) -> str:
        if index == 0:
            return self._reserved
        number = self._walk(index)
        return self._first if number == self._reserved else number


def organisation_check_char(body: str) -> str:
    """GB 11714 check character of an eight-character organisation code body (digits and capitals)."""
    total = sum(int(char, 36) * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code_check_char(first17: str) -> str:
    """GB 32100 check character of a unified social credit code."""
    total = sum(_USCC_CHARS.index(char) * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def unit_code(*, kind: str, region: str, serial: int) -> str:
    """An 18-character unified social credit code (统一社会信用代码) with valid check characters."""
    body = f"{serial % 10**8:08d}"
    first17 = _USCC_PREFIX[kind] + region + body + organisation_check_char(body)
    return first17 + credit_code_check_char(first17)


def chinese_number(number: int) -> str:
    """1 → 一, 12 → 十二, 105 → 一百零五: ordinals for 第N中学 (up to 9999)."""
    if not 0 < number < 10000:
        raise ValueError(number)
    if number < 20:
        return _DIGITS[number] if number < 10 else "十" + (_DIGITS[number - 10] if number > 10 else "")
    text = ""
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit:
            text += ("零" if pending_zero else "") + _DIGITS[digit] + unit
            pending_zero = False
        elif text:
            pending_zero = True
    return text


def unique_names(*, rng, count: int, preferred=(), first, second, exclude=frozenset()) -> list[str]:
    """count distinct names: the preferred ones in shuffled order, then first×second syllable pairs, then
    first×second×second triples, each group shuffled by rng.
    """
    names = []
    seen = set(exclude)
    groups = (list(preferred), *(("".join(parts) for parts in itertools.product(first, *[second] * n)) for n in (1, 2)))
    for group in groups:
        candidates = [name for name in dict.fromkeys(group) if name not in seen and len(set(name)) == len(name)]
        rng.shuffle(candidates)
        for name in candidates:
            if len(names) == count:
                return names
            names.append(name)
            seen.add(name)
    if len(names) < count:
        raise OverflowError(f"only {len(names)} distinct names available, {count} needed")
    return names


class PersonNames:
    """Chinese person names: a surname by frequency, then one or two given-name characters by gender."""

    def __init__(self, rng):
        self.rng = rng
        self.surnames = [name for name, _ in words.SURNAMES]
        self.surname_weights = list(accumulate(weight for _, weight in words.SURNAMES))

    def draw(self, gender: str) -> str:
        rng = self.rng
        given = words.GIVEN_MALE if gender == "M" else words.GIVEN_FEMALE
        name = rng.choices(self.surnames, cum_weights=self.surname_weights)[0] + rng.choice(given)
        return name + rng.choice(given) if rng.random() < 0.75 else name
