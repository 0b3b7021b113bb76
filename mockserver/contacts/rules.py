"""What makes one contact item acceptable, and how a refusal is reported.

An *item* is one contact in the JSON request shape (a CSV row is read into the same shape).
Field rules (required, lengths, digit patterns) come from the OpenAPI document through the
injected schema check; the E.164 length and the country-code form come from ``phone``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver.contacts.phone import InvalidPhone, Phone, normalise

DUPLICATE_IN_FILE = "DUPLICATE_IN_FILE"
DUPLICATE_EXISTING = "DUPLICATE_EXISTING"
DUPLICATE_IN_REQUEST = "DUPLICATE_IN_REQUEST"
INVALID_FIELD = "INVALID_FIELD"
NOT_FOUND = "NOT_FOUND"

# item -> (field path, message) of its first schema violation, or None when it conforms
SchemaCheck = Callable[[Any], "tuple[str, str] | None"]


class InvalidItem(ValueError):
    def __init__(self, field: str, msg: str) -> None:
        super().__init__(msg)
        self.field = field
        self.msg = msg


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item that passed the field rules, waiting for the duplicate-number rule."""

    row: int
    first_name: str
    last_name: str
    salutation: str
    phone: Phone


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

    def candidate(self, row: int, item: Any) -> Candidate:
        """The item as a candidate for saving, or ``InvalidItem`` naming the first bad field."""
        self.check_schema(item)
        return Candidate(
            row=row,
            first_name=item["firstName"],
            last_name=item["lastName"],
            salutation=item.get("salutation", ""),
            phone=self.phone(item["cellPhone"]),
        )

    def check_schema(self, item: Any) -> None:
        error = self._schema_check(item)
        if error is not None:
            raise InvalidItem(*error)

    @staticmethod
    def phone(cell_phone: dict[str, str]) -> Phone:
        try:
            return normalise(
                cell_phone["phoneNumber"],
                cell_phone["countryCode"],
                cell_phone.get("extension", ""),
            )
        except InvalidPhone as exc:
            raise InvalidItem("cellPhone." + exc.field, exc.msg) from None
