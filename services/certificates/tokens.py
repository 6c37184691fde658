"""The certificate's verification token: the member, the year, the issue date and the figures as printed, signed
with the site's key (django.core.signing, HMAC-SHA256 with a salt of its own). It cannot be guessed or altered:
changing one figure or the member breaks the signature. It names the member only by an internal number, never by
a personal field, and the public page shows no personal data."""

import datetime
from dataclasses import dataclass

from django.core import signing

from .figures import Figures

SALT = "services.certificates.service-certificate"


@dataclass(frozen=True)
class Issued:
    member_id: int
    year: int
    issued_on: datetime.date
    printed: tuple  # Figures.as_printed()


def certificate_token(*, member_id: int, figures: Figures, issued_on: datetime.date) -> str:
    hours, points, entries = figures.as_printed()
    payload = {"m": member_id, "y": figures.year, "d": issued_on.isoformat(), "h": hours, "p": points, "n": entries}
    return signing.dumps(payload, salt=SALT, compress=True)


def certificate_read(token: str) -> Issued | None:
    """What a token says, or None when it is not one of ours (altered, truncated, made up)."""
    try:
        payload = signing.loads(token, salt=SALT)
        return Issued(
            member_id=int(payload["m"]),
            year=int(payload["y"]),
            issued_on=datetime.date.fromisoformat(payload["d"]),
            printed=(str(payload["h"]), str(payload["p"]), int(payload["n"])),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
