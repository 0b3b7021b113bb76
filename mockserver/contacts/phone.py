"""Phone normalisation: the request's country code and digits -> the contact's number key.

The number key is the stored ``cellPhone.phoneNumber``: ``+`` + country-code digits + number
digits (E.164). It is the only thing the duplicate-number rule compares.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from mockserver.contacts.model import InvalidField, new_tuple

E164_MIN_DIGITS = 8
E164_MAX_DIGITS = 15


class Phone(NamedTuple):
    number_key: str
    country_code: str
    extension: str


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


@functools.lru_cache(maxsize=1024)  # a file holds few distinct country codes
def normalise_country_code(raw: str) -> str:
    """``+91`` stays ``+91``; ``91`` becomes ``+91``; anything else is refused."""
    digits = raw[1:] if raw.startswith("+") else raw
    if not (1 <= len(digits) <= 3 and _digits(digits)):
        raise InvalidField(
            "countryCode", f"country code {raw!r} must be '+' followed by 1 to 3 digits"
        )
    return "+" + digits


def normalise(number: str, country_code: str, extension: str = "") -> Phone:
    """Check a request's phone fields and build the stored phone with its number key.

    ``InvalidField`` names the bad field inside ``cellPhone`` (``phoneNumber``, ``countryCode``).
    """
    code = normalise_country_code(country_code)
    if not _digits(number):
        raise InvalidField("phoneNumber", f"phone number {number!r} must be digits only")
    total = len(code) - 1 + len(number)
    if not E164_MIN_DIGITS <= total <= E164_MAX_DIGITS:
        raise InvalidField(
            "phoneNumber",
            f"phone number {code}{number} has {total} digits with its country code; "
            f"E.164 allows {E164_MIN_DIGITS} to {E164_MAX_DIGITS}",
        )
    return new_tuple(Phone, (code + number, code, extension))  # number_key, country_code, ext.
