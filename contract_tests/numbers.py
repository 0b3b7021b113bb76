"""Fictitious phone numbers: the only valid numbers the suite ever sends to a host.

Two ranges that regulators reserve for fiction, so no real subscriber can hold them:

- NANP (+1): line numbers 555-0100 to 555-0199 in every area code (NANPA). The suite uses area
  codes 201-299, e.g. ``+1 201 555 0123``.
- UK (+44): Ofcom's drama range for mobiles, 07700 900000 to 07700 900999, e.g. ``+44 7700 900123``.

Numbers come from two disjoint pools: a small *hot* pool for generated requests (so that generated
saves collide often and exercise the duplicate-number rule) and a *fresh* pool that hands out each
number once, for scenario tests that need a number nobody holds. Numbers already held in the
namespace when the run starts are never handed out.

Each run starts at a random place in the ranges (about 80,900 numbers), so runs seldom meet the
numbers of earlier ones. That matters on a host whose deleted contacts keep their numbers
(``deletedNumbers: kept``): every number a run saved stays taken there, by a contact the listing
does not show. On such a host (or one whose reading is not stated) the pool can *vet* each fresh
number before handing it out (``vet_with``): a contact of the run takes it first, and a number the
host refuses to it is skipped instead of failing the test that would have used it.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

FICTITIOUS = re.compile(r"\+1([2-9][0-9]{2})55501[0-9]{2}|\+447700900[0-9]{3}")
AREA_CODES = range(201, 1000)  # 555-0100 to 555-0199 is fiction in every one (NANPA)

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
    """Every fictitious number the suite may use (a pool starts somewhere in this ring)."""
    nanp = (Number("1", f"{area}5550{line}") for area in AREA_CODES for line in range(100, 200))
    uk = (Number("44", f"7700900{line:03d}") for line in range(1000))
    # interleave so that both country codes appear early (in the hot pool too)
    for pair in itertools.zip_longest(nanp, uk):
        yield from (n for n in pair if n is not None)


# ``vet(number)``: whether a contact of the run could take ``number`` (then it holds it, and the
# number it held before is free again)
Vet = Callable[[Number], bool]


class NumberPool:
    """Hands out fictitious numbers; never one that the namespace held before the run. It
    starts at random in the ranges, or where ``start_from`` says."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: set[str] = set()
        self._issued: set[str] = set()
        self._hot: list[Number] | None = None
        self._fresh: Iterator[Number] | None = None
        self._start_at: int | None = None
        self._vet: Vet | None = None
        self._held: Number | None = None  # the number the vetting contact holds
        self.skipped: list[str] = []  # fresh numbers the vetting found taken

    def start_from(self, seed: int | None) -> None:
        """Start at the place ``seed`` names (a run's seed: the same seed, the same numbers;
        None: at random)."""
        with self._lock:
            if self._hot is not None:
                raise RuntimeError("start_from() must come before the first number is handed out")
            self._start_at = seed

    def vet_with(self, vet: Vet) -> None:
        """Hand out only fresh numbers ``vet`` proved free: ``vet`` moves a contact of the
        run onto the next number; the number it leaves is free, and is the one handed out."""
        with self._lock:
            self._vet = vet

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
        """A number never handed out before in this run and not held when the run started
        (with ``vet_with``: one a contact of the run has just held)."""
        with self._lock:
            self._start()
            if self._vet is None:
                return self._next()
            if self._held is None:
                self._held = self._vetted()
            number, self._held = self._held, self._vetted()
            return number

    def _next(self) -> Number:
        assert self._fresh is not None
        try:
            number = next(self._fresh)
        except StopIteration:
            raise RuntimeError("the fictitious number ranges are used up") from None
        self._issued.add(number.key)
        return number

    def _vetted(self) -> Number:
        assert self._vet is not None
        while True:
            number = self._next()
            if self._vet(number):
                return number
            self.skipped.append(number.key)

    def issued(self, key: str) -> bool:
        """Whether this run handed out the number (so a contact holding it may be ours)."""
        with self._lock:
            return key in self._issued

    def _start(self) -> None:
        if self._hot is not None:
            return
        usable = [n for n in _all_numbers() if n.key not in self._taken]
        if self._start_at is None:
            start = random.randrange(len(usable))
        else:
            start = self._start_at % len(usable)
        ring = itertools.chain(usable[start:], usable[:start])
        self._hot = list(itertools.islice(ring, HOT_SIZE))
        self._fresh = ring
