"""Domain objects and the one mapping from a stored contact to its wire form."""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"

_ID_NAMESPACE = uuid.UUID("6f1b7a52-3c1d-4f43-9a55-6b6f72652d6d")


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
    def for_app(cls, client_id: str) -> Caller:
        return cls(
            client_id=client_id,
            user_id="u-" + str(uuid.uuid5(_ID_NAMESPACE, "user:" + client_id)),
            aid="a-" + str(uuid.uuid5(_ID_NAMESPACE, "app:" + client_id)),
        )


def org_id_for(account_id: str) -> str:
    """Every account has one org; its id is derived so it is stable across restarts."""
    return "o-" + str(uuid.uuid5(_ID_NAMESPACE, "org:" + account_id))


def now_iso() -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as Kore writes timestamps."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class IdFactory:
    """24-hex ids shaped like MongoDB ObjectIds: 4-byte time, 5 random bytes, 3-byte counter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._random = os.urandom(5).hex()
        self._counter = int.from_bytes(os.urandom(3), "big")

    def take(self, count: int) -> list[str]:
        with self._lock:
            if os.getpid() != self._pid:  # forked worker: never share the parent's stream
                self.__init__()
            start = self._counter
            self._counter = (start + count) % 0xFFFFFF
        head = f"{int(time.time()) & 0xFFFFFFFF:08x}{self._random}"
        return [f"{head}{(start + i) % 0xFFFFFF:06x}" for i in range(count)]


new_ids = IdFactory().take


@dataclass(frozen=True, slots=True)
class Contact:
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
        return replace(self, **fields)

    def to_wire(self) -> dict[str, Any]:
        """The contact as every documented response shows it."""
        body = self._fields()
        body["id"] = self.id
        return body

    def to_raw(self) -> dict[str, Any]:
        """The contact as bulk update echoes it: ``_id`` instead of ``id`` (documented)."""
        body = self._fields()
        body["_id"] = self.id
        return body

    def _fields(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": self.status,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "fullName": f"{self.first_name} {self.last_name}",
            "salutation": self.salutation,
            "cellPhone": {
                "phoneNumber": self.phone_number,
                "countryCode": self.country_code,
                "extension": self.extension,
            },
            "accountId": self.account_id,
            "orgId": self.org_id,
            "instanceBotId": self.stream_id,
            "createdBy": self.created_by,
            "createdByAId": self.created_by_aid,
            "address": [],
            "twitterDetails": [],
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
        if self.updated_by is not None:
            body["updatedBy"] = self.updated_by
            body["updatedByAId"] = self.updated_by_aid
        return body
