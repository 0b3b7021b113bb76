"""What makes one contact item acceptable, and how a refusal is reported.

An *item* is one contact in the JSON request shape (a CSV row is read into the same shape).
Field rules (required, lengths, digit patterns) come from the OpenAPI document through the
injected schema check; the E.164 length and the country-code form come from ``phone``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from mockserver.contacts.csv_rows import CsvColumns
from mockserver.contacts.model import InvalidField, new_tuple
from mockserver.contacts.phone import Phone, normalise, normalise_many

# What a save does with rejected rows: leave them out (200), or refuse the whole request (400).
SKIP = "skip"
REJECT = "reject"
POLICIES = (SKIP, REJECT)

# Fields a contact response carries that may come back in an update body (the vendor's
# bulk-update sample sends ``fullName``): ignored, never stored as sent. ``fullName`` is derived
# from the names; the others are the server's (``id`` is checked instead: it must name the
# contact updated).
ECHOED_FIELDS = frozenset(
    {
        "fullName",
        "_id",
        "status",
        "accountId",
        "orgId",
        "instanceBotId",
        "createdBy",
        "createdByAId",
        "updatedBy",
        "updatedByAId",
        "createdAt",
        "updatedAt",
        "address",
        "twitterDetails",
    }
)
DUPLICATE_REASONS = frozenset({"DUPLICATE_IN_FILE", "DUPLICATE_EXISTING", "DUPLICATE_IN_REQUEST"})

DUPLICATE_IN_FILE = "DUPLICATE_IN_FILE"
DUPLICATE_EXISTING = "DUPLICATE_EXISTING"
DUPLICATE_IN_REQUEST = "DUPLICATE_IN_REQUEST"
INVALID_FIELD = "INVALID_FIELD"
NOT_FOUND = "NOT_FOUND"

# items -> {index: (field path, message)} of each non-conforming item's first violation
SchemaCheck = Callable[[list[Any]], "dict[int, tuple[str, str]]"]


class Candidate(NamedTuple):
    """An item that passed the field rules, waiting for the duplicate-number rule."""

    row: int
    first_name: str
    last_name: str
    salutation: str
    phone: Phone


_candidate = functools.partial(new_tuple, Candidate)

# the candidates, and the refused rows with why
Screened = tuple[list[Candidate], list[tuple[int, InvalidField]]]


def split(outcomes: list[tuple[int, Candidate | InvalidField]]) -> Screened:
    """``candidates``' outcomes as the candidates and the refused (row, why), each in order."""
    passed: list[Candidate] = []
    refused: list[tuple[int, InvalidField]] = []
    for row, outcome in outcomes:
        if isinstance(outcome, InvalidField):
            refused.append((row, outcome))
        else:
            passed.append(outcome)
    return passed, refused


@dataclass(frozen=True, slots=True)
class Rejection:
    """One refused row / item / id, as the per-row report and the error envelope show it."""

    row: int | None
    reason: str
    msg: str
    field: str | None = None
    number: str | None = None
    holder_id: str | None = None
    id: str | None = None

    def to_report(self) -> dict[str, Any]:
        report = {
            "row": self.row,
            "id": self.id,
            "reason": self.reason,
            "field": self.field,
            "number": self.number,
            "holderId": self.holder_id,
            "msg": self.msg,
        }
        return {k: v for k, v in report.items() if v is not None}


class ItemRules:
    def __init__(self, schema_check: SchemaCheck) -> None:
        self._schema_check = schema_check

    def candidates(
        self, numbered: list[tuple[int, Any]]
    ) -> list[tuple[int, Candidate | InvalidField]]:
        """Each (row, item) as a candidate, or the ``InvalidField`` that refuses it, in order."""
        return self._judged(numbered, self._schema_check([item for _, item in numbered]))

    def column_candidates(self, columns: CsvColumns) -> Screened:
        """The rows of a file read column by column, numbered from 1: the candidates, and the
        refused rows with why (``split`` of ``candidates``). A whole column at a time when every
        row passes; row by row otherwise, with the one schema check already made."""
        items = columns.items()
        bad = self._schema_check(items)
        phones = (
            None if bad else normalise_many(columns.number, columns.country_code, columns.extension)
        )
        if phones is None:  # a row is refused: each row says whether it is and why
            return split(self._judged(list(enumerate(items, 1)), bad))
        names = columns.first_name, columns.last_name, columns.salutation
        return list(map(_candidate, zip(itertools.count(1), *names, phones))), []

    def _judged(
        self, numbered: list[tuple[int, Any]], bad: dict[int, tuple[str, str]]
    ) -> list[tuple[int, Candidate | InvalidField]]:
        """``candidates``, given the schema check's verdict on the items (``bad``)."""
        phone = self.phone
        results: list[tuple[int, Candidate | InvalidField]] = []
        append = results.append  # once per row of a 100,000-row import: kept lean
        for index, (row, item) in enumerate(numbered):
            if bad and index in bad:
                append((row, InvalidField(*bad[index], number=self._number_key(item))))
                continue
            try:
                number = phone(item["cellPhone"])
            except InvalidField as exc:
                append((row, exc))
                continue
            names = item["firstName"], item["lastName"], item.get("salutation", "")
            append((row, new_tuple(Candidate, (row, *names, number))))
        return results

    def _number_key(self, item: Any) -> str | None:
        """The number key of an item refused for another field, if its phone is valid."""
        try:
            return self.phone(item["cellPhone"]).number_key
        except (InvalidField, KeyError, TypeError, AttributeError, ValueError):
            return None

    @staticmethod
    def phone(cell_phone: dict[str, str]) -> Phone:
        try:
            return normalise(
                cell_phone["phoneNumber"],
                cell_phone["countryCode"],
                cell_phone.get("extension", ""),
            )
        except InvalidField as exc:
            raise InvalidField("cellPhone." + exc.field, exc.msg) from None


def changes(body: dict[str, Any]) -> dict[str, Any]:
    """An update body without the response fields it may echo (``ECHOED_FIELDS``)."""
    return {name: value for name, value in body.items() if name not in ECHOED_FIELDS}


def with_empty_optional_fields(item: Any) -> Any:
    """An item whose missing salutation / extension are empty (``requiredFields: lenient``,
    seeds), whatever else it holds: a ``cellPhone`` that is not an object is left to the rules
    to refuse, by its own name (not as a missing salutation)."""
    if not isinstance(item, dict):
        return item
    filled = {"salutation": "", **item}
    phone = item.get("cellPhone")
    if isinstance(phone, dict):
        filled["cellPhone"] = {"extension": "", **phone}
    return filled
