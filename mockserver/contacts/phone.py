"""Phone normalisation: the request's country code and digits -> the contact's number key.

The number key is the stored ``cellPhone.phoneNumber``: ``+`` + country-code digits + number
digits (E.164). It is the only thing the duplicate-number rule compares.
"""

from __future__ import annotations

import functools
import operator
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
    """``+91`` stays ``+91``; ``91`` becomes ``+91``; anything else is refused. No country code
    starts with 0 (E.164): ``+01`` or ``001`` (the international call prefix, then 1) would be a
    second key for the number ``+1`` holds, around the duplicate rule."""
    digits = raw[1:] if raw.startswith("+") else raw
    if not (1 <= len(digits) <= 3 and _digits(digits) and digits[0] != "0"):
        raise InvalidField(
            "countryCode",
            f"country code {raw!r} must be '+' followed by 1 to 3 digits, the first not 0",
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


_phone = functools.partial(new_tuple, Phone)


def normalise_many(
    numbers: list[str], country_codes: list[str], extensions: list[str]
) -> list[Phone] | None:
    """``normalise`` of many rows at once (an import's columns), or None when any row would be
    refused (then ``normalise`` of each says which and why): a few passes over whole columns
    instead of a call per row."""
    try:
        by_raw = {raw: normalise_country_code(raw) for raw in set(country_codes)}
    except InvalidField:
        return None
    if not numbers or not all(numbers) or not _digits("".join(numbers)):
        return None
    codes = list(map(by_raw.__getitem__, country_codes))
    keys = list(map(operator.add, codes, numbers))
    lengths = set(map(len, keys))  # a key is "+" and the digits
    if min(lengths) - 1 < E164_MIN_DIGITS or max(lengths) - 1 > E164_MAX_DIGITS:
        return None
    return list(map(_phone, zip(keys, codes, extensions, strict=True)))
