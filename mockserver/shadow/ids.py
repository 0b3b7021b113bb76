"""Which contact of one host is which contact of the other.

Two hosts given the same create never issue the same ids. The *reference* host (the upstream of a
proxy, or the host a recording was made on) names contacts by its ids; the *other* host (the
proxy's mock, or the host a recording is replayed against) by its own. Save answers pair them —
the contacts two hosts created for one request, matched by their phone number, which is unique
among ACTIVE contacts — and every later request is translated from reference ids to the other's
before it is applied there, and every answer of the other back before it is compared.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

ANY_ID = re.compile(r"[0-9a-fA-F]{24}")
ID_KEYS = frozenset({"id", "_id", "holderId"})
ID_LIST_KEYS = frozenset({"ids", "id"})  # the bulk-delete body: {"ids": [...]} (or "id")


class IdMap:
    """Reference id <-> other id; ids not paired stay as they are (a never-issued id, say)."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._lock = threading.Lock()
        self._to_other: dict[str, str] = {}
        self._to_reference: dict[str, str] = {}
        for reference, other in pairs:
            self.pair(reference, other)

    def pair(self, reference: str, other: str) -> None:
        with self._lock:
            self._to_other[reference.lower()] = other
            self._to_reference[other.lower()] = reference

    def to_other(self, reference: str) -> str:
        with self._lock:
            return self._to_other.get(reference.lower(), reference)

    def to_reference(self, other: str) -> str:
        with self._lock:
            return self._to_reference.get(other.lower(), other)

    def knows_reference(self, reference: str) -> bool:
        with self._lock:
            return reference.lower() in self._to_other

    def pairs(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(self._to_reference[o.lower()], o) for o in self._to_other.values()]

    def clear(self) -> None:
        with self._lock:
            self._to_other.clear()
            self._to_reference.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._to_other)

    # -- learning from save answers ----------------------------------------------------------

    def learn(
        self, reference_created: list[dict[str, Any]], other_created: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Pair the contacts both hosts created for one request, by number (in order when a
        number repeats). Returns what stayed unpaired on each side (reference, other)."""
        waiting: dict[str, list[dict[str, Any]]] = {}
        for contact in other_created:
            waiting.setdefault(number_of(contact), []).append(contact)
        unpaired_reference = []
        for contact in reference_created:
            candidates = waiting.get(number_of(contact))
            if candidates:
                other = candidates.pop(0)
                self.pair(contact["id"], other["id"])
            else:
                unpaired_reference.append(contact)
        unpaired_other = [c for group in waiting.values() for c in group]
        return unpaired_reference, unpaired_other

    # -- translating requests ----------------------------------------------------------------

    def path_to_other(self, path: str) -> str:
        """``.../contacts/{id}`` with a paired reference id becomes the other's id."""
        return "/".join(
            self.to_other(segment) if ANY_ID.fullmatch(segment) else segment
            for segment in path.split("/")
        )

    def body_to_other(self, body: Any) -> Any:
        """A JSON body with every paired reference id (``id``, ``_id``, ``ids``) translated."""
        return _translate(body, self.to_other)

    def body_to_reference(self, body: Any) -> Any:
        """An answer of the other host with its paired ids named as the reference names them."""
        return _translate(body, self.to_reference)


def number_of(contact: Any) -> str:
    """The number key a contact of an answer holds ('' when it shows none)."""
    if not isinstance(contact, dict):
        return ""
    phone = contact.get("cellPhone")
    number = phone.get("phoneNumber") if isinstance(phone, dict) else None
    return number if isinstance(number, str) else ""


def created_contacts(status: int, body: Any) -> list[dict[str, Any]]:
    """The contacts a create/import answer says were created (a 2xx JSON array of them)."""
    if not 200 <= status < 300 or not isinstance(body, list):
        return []
    return [c for c in body if isinstance(c, dict) and isinstance(c.get("id"), str)]


def _translate(value: Any, convert: Any) -> Any:
    if isinstance(value, list):
        return [_translate(item, convert) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if key in ID_KEYS and isinstance(item, str):
            result[key] = convert(item)
        elif key in ID_LIST_KEYS and isinstance(item, list):
            result[key] = [convert(i) if isinstance(i, str) else i for i in item]
        else:
            result[key] = _translate(item, convert)
    return result
