"""Domain objects and the one mapping from a stored contact to its wire form."""

from __future__ import annotations

import functools
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from mockserver import process

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"

_ID_NAMESPACE = uuid.UUID("6f1b7a52-3c1d-4f43-9a55-6b6f72652d6d")


class InvalidField(ValueError):
    """A field of a contact item breaks the rules; ``field`` names it (a JSON path such as
    ``cellPhone.phoneNumber``), ``msg`` says why; ``number``: the item's number key, when its
    phone itself is valid (the per-row report names it)."""

    def __init__(self, field: str, msg: str, number: str | None = None) -> None:
        super().__init__(msg)
        self.field = field
        self.msg = msg
        self.number = number


class Namespace(NamedTuple):
    """Contacts live per (account id header, stream id path segment)."""

    account_id: str
    stream_id: str


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is saving: the app behind the JWT, as Kore's audit fields name it."""

    client_id: str
    user_id: str  # "u-<uuid>"
    aid: str  # "a-<uuid>"

    @classmethod
    @functools.lru_cache(maxsize=1024)
    def for_app(cls, client_id: str) -> Caller:
        return cls(
            client_id=client_id,
            user_id="u-" + str(uuid.uuid5(_ID_NAMESPACE, "user:" + client_id)),
            aid="a-" + str(uuid.uuid5(_ID_NAMESPACE, "app:" + client_id)),
        )


@functools.lru_cache(maxsize=4096)
def org_id_for(account_id: str) -> str:
    """Every account has one org; its id is derived so it is stable across restarts."""
    return "o-" + str(uuid.uuid5(_ID_NAMESPACE, "org:" + account_id))


# A NamedTuple's own constructor is a generated Python function (~0.4 µs a call); the rows of an
# import build four tuples each (the CSV row, its phone, the candidate, the contact), 400,000 for
# 100,000 rows: there they are made with ``new_tuple(Cls, (fields...))``, positionally, at once.
new_tuple = tuple.__new__


def now_iso() -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as Kore writes timestamps."""
    # isoformat, not strftime: strftime cost a tenth of a small request's time (profiled)
    return datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"  # "+00:00" -> "Z"


def utc_instant(value: str) -> str:
    """An ISO-8601 instant (UTC when it names no offset) in ``now_iso``'s form; ValueError
    saying what is wrong with it otherwise (the words follow the value)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("is not an ISO-8601 instant (e.g. 2024-05-01T12:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is in year 0 in UTC: it was a 500
        raise ValueError("is before year 1 or after year 9999 in UTC") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class IdFactory:
    """24-hex ids shaped like MongoDB ObjectIds: 4-byte time, 5 random bytes, 3-byte counter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = process.pid()
        self._random = os.urandom(5).hex()
        self._counter = int.from_bytes(os.urandom(3), "big")

    def take(self, count: int) -> list[str]:
        with self._lock:
            if process.pid() != self._pid:  # forked worker: never share the parent's stream
                self.__init__()
            start = self._counter
            self._counter = (start + count) % 0xFFFFFF
        head = f"{int(time.time()) & 0xFFFFFFFF:08x}{self._random}"
        return [f"{head}{(start + i) % 0xFFFFFF:06x}" for i in range(count)]


new_ids = IdFactory().take


class Contact(NamedTuple):
    """A stored contact. A tuple in the store's column order, so rows map to it for free."""

    id: str
    account_id: str
    stream_id: str
    status: str
    first_name: str
    last_name: str
    salutation: str
    phone_number: str  # the number key, "+<cc><digits>"
    country_code: str
    extension: str
    org_id: str
    created_by: str
    created_by_aid: str
    updated_by: str | None
    updated_by_aid: str | None
    created_at: str
    updated_at: str

    @property
    def namespace(self) -> Namespace:
        return Namespace(self.account_id, self.stream_id)

    def changed(self, **fields: Any) -> Contact:
        return self._replace(**fields)

    def to_wire(self) -> dict[str, Any]:
        """The contact as every documented response shows it."""
        body = self._wire_fields()
        body["id"] = self.id
        return body

    def to_raw(self) -> dict[str, Any]:
        """The contact as bulk update echoes it: ``_id`` instead of ``id`` (documented)."""
        body = self._wire_fields()
        body["_id"] = self.id
        return body

    def _wire_fields(self) -> dict[str, Any]:
        (
            _,
            account,
            stream,
            status,
            first,
            last,
            salutation,
            number,
            code,
            extension,
            org,
            created_by,
            created_by_aid,
            updated_by,
            updated_by_aid,
            created_at,
            updated_at,
        ) = self
        body: dict[str, Any] = {
            "status": status,
            "firstName": first,
            "lastName": last,
            "fullName": f"{first} {last}",
            "salutation": salutation,
            "cellPhone": {"phoneNumber": number, "countryCode": code, "extension": extension},
            "accountId": account,
            "orgId": org,
            "instanceBotId": stream,
            "createdBy": created_by,
            "createdByAId": created_by_aid,
            "address": [],
            "twitterDetails": [],
            "createdAt": created_at,
            "updatedAt": updated_at,
        }
        if updated_by is not None:
            body["updatedBy"] = updated_by
            body["updatedByAId"] = updated_by_aid
        return body
