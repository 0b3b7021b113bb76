"""Fictitious phone numbers: the only valid numbers the suite ever sends to a host.

Two ranges that regulators reserve for fiction, so no real subscriber can hold them:

- NANP (+1): line numbers 555-0100 to 555-0199 in every area code (NANPA). The suite uses area
  codes 201-299, e.g. ``+1 201 555 0123``.
- UK (+44): Ofcom's drama range for mobiles, 07700 900000 to 07700 900999, e.g. ``+44 7700 900123``.

Numbers come from two disjoint pools: a small *hot* pool for generated requests (so that generated
saves collide often and exercise the duplicate-number rule) and a *fresh* pool that hands out each
number once, for scenario tests that need a number nobody holds. Numbers already held in the
namespace when the run starts are never handed out.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

FICTITIOUS = re.compile(r"\+1(2[0-9]{2})55501[0-9]{2}|\+447700900[0-9]{3}")

HOT_SIZE = 24


@dataclass(frozen=True, order=True)
class Number:
    """A fictitious number: country code digits and national digits."""

    country: str
    national: str

    @property
    def key(self) -> str:
        """The E.164 form, as hosts return it in ``cellPhone.phoneNumber``."""
        return f"+{self.country}{self.national}"

    def code(self, *, plus: bool = True) -> str:
        """The country code as a request carries it: ``+1`` or ``1`` (both mean the same)."""
        return f"+{self.country}" if plus else self.country

    def cell_phone(self, *, plus: bool = True, extension: str = "") -> dict[str, str]:
        """The JSON ``cellPhone`` of this number; the docs mark ``extension`` required (it may
        be empty)."""
        return {
            "phoneNumber": self.national,
            "countryCode": self.code(plus=plus),
            "extension": extension,
        }


def is_fictitious(key: str) -> bool:
    """Whether an E.164 number key lies in one of the reserved fictitious ranges."""
    return FICTITIOUS.fullmatch(key) is not None


def e164_key(number: str, country_code: str) -> str | None:
    """The number key a host would store for these request fields, or None if they are invalid."""
    code = country_code[1:] if country_code.startswith("+") else country_code
    if not (code.isascii() and code.isdigit() and 1 <= len(code) <= 3):
        return None
    if not (number.isascii() and number.isdigit()):
        return None
    if not 8 <= len(code) + len(number) <= 15:
        return None
    return f"+{code}{number}"


def _all_numbers() -> Iterator[Number]:
    """Every fictitious number the suite may use, hot pool first."""
    nanp = (
        Number("1", f"{area}5550{line}") for area in range(201, 300) for line in range(100, 200)
    )
    uk = (Number("44", f"7700900{line:03d}") for line in range(1000))
    # interleave so that both country codes appear early (in the hot pool too)
    for pair in itertools.zip_longest(nanp, uk):
        yield from (n for n in pair if n is not None)


class NumberPool:
    """Hands out fictitious numbers; never one that the namespace held before the run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: set[str] = set()
        self._issued: set[str] = set()
        self._hot: list[Number] | None = None
        self._fresh: Iterator[Number] | None = None

    def exclude(self, keys: set[str]) -> None:
        """Numbers held before the run started (by contacts the suite must not touch)."""
        with self._lock:
            if self._hot is not None:
                raise RuntimeError("exclude() must come before the first number is handed out")
            self._taken |= keys

    def hot(self, index: int) -> Number:
        """One of the few numbers generated requests share (so they collide)."""
        with self._lock:
            self._start()
            assert self._hot is not None
            number = self._hot[index % len(self._hot)]
            self._issued.add(number.key)
            return number

    def fresh(self) -> Number:
        """A number never handed out before in this run and not held when the run started."""
        with self._lock:
            self._start()
            assert self._fresh is not None
            try:
                number = next(self._fresh)
            except StopIteration:
                raise RuntimeError("the fictitious number ranges are used up") from None
            self._issued.add(number.key)
            return number

    def issued(self, key: str) -> bool:
        """Whether this run handed out the number (so a contact holding it may be ours)."""
        with self._lock:
            return key in self._issued

    def _start(self) -> None:
        if self._hot is not None:
            return
        usable = (n for n in _all_numbers() if n.key not in self._taken)
        self._hot = list(itertools.islice(usable, HOT_SIZE))
        self._fresh = usable
