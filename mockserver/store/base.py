"""The store interface: transactions over contacts, plus the journal and shared run-time state.

Contracts every backend keeps:
- ``write(ns)`` is one transaction, serialised against every other write of the namespace
  (across threads, processes and machines sharing the store); leaving the block by an exception
  rolls it back.
- A unique index allows at most one ACTIVE contact per (namespace, number key, dup slot); normal
  saves use slot 0, so a second ACTIVE holder of a number is impossible. Legacy duplicates
  (seeded on purpose) take slots 1, 2, ...; when the slot-0 holder leaves the number, another
  holder is promoted to slot 0, so a number held by anyone always blocks new saves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from mockserver.contacts.model import Contact, Namespace

SCHEMA_VERSION = 2


class NumberTaken(Exception):
    """The unique index refused a second ACTIVE holder of a number."""

    def __init__(self, number_key: str | None = None) -> None:
        super().__init__(number_key)
        self.number_key = number_key


class StoreUnavailable(RuntimeError):
    """The store cannot be opened (unreachable server, bad URL, schema newer than this code)."""


class Transaction(ABC):
    @abstractmethod
    def holders(self, ns: Namespace, keys: Sequence[str]) -> dict[str, str]:
        """Number key -> id of the ACTIVE contact holding it, for the keys that are held."""

    @abstractmethod
    def insert(self, contacts: Sequence[Contact], *, legacy: bool = False) -> None:
        """Store new ACTIVE contacts; ``legacy`` gives held numbers a further dup slot."""

    @abstractmethod
    def get_active(self, ns: Namespace, contact_id: str) -> Contact | None: ...

    @abstractmethod
    def update(self, contact: Contact, *, previous: Contact) -> None:
        """Store a changed contact (new fields, new number, or INACTIVE)."""

    @abstractmethod
    def page(self, ns: Namespace, *, skip: int, limit: int) -> tuple[list[Contact], int]:
        """ACTIVE contacts oldest first, and how many there are in all."""

    @abstractmethod
    def active(self, ns: Namespace) -> Iterator[Contact]:
        """Every ACTIVE contact of the namespace, oldest first."""


class Store(ABC):
    url: str

    @abstractmethod
    def write(self, ns: Namespace) -> AbstractContextManager[Transaction]: ...

    @abstractmethod
    def read(self) -> AbstractContextManager[Transaction]:
        """A read-only transaction: one consistent snapshot."""

    # -- shared state for the control plane ----------------------------------------------

    @abstractmethod
    def namespaces(self) -> list[dict[str, Any]]:
        """Every namespace with its ACTIVE and INACTIVE counts."""

    @abstractmethod
    def reset(self, ns: Namespace | None = None) -> int:
        """Forget every contact (of one namespace); returns how many were removed."""

    @abstractmethod
    def journal_add(self, entry: dict[str, Any], *, keep: int) -> int:
        """Append a journal entry, keep only the newest ``keep``; returns its id."""

    @abstractmethod
    def journal_query(
        self,
        *,
        operation: str | None = None,
        status: int | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Newest first."""

    @abstractmethod
    def journal_get(self, entry_id: int) -> dict[str, Any] | None: ...

    @abstractmethod
    def journal_clear(self) -> None: ...

    @abstractmethod
    def journal_count(
        self,
        *,
        operation: str | None = None,
        status: int | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> int:
        """How many journal entries match (the filters of ``journal_query``)."""

    @abstractmethod
    def find_contacts(
        self, ns: Namespace, *, text: str = "", status: str | None = None, skip: int, limit: int
    ) -> tuple[list[Contact], int]:
        """Contacts oldest first whose full name or number contains ``text``; and the total."""

    @abstractmethod
    def counter_hit(self, key: str, window: int) -> int:
        """Count one hit on ``key`` in time ``window``, atomically; returns the window's hits.

        Counts of earlier windows, of any key, are forgotten (rate-limit counters)."""

    @abstractmethod
    def counters_clear(self) -> None: ...

    @abstractmethod
    def get_state(self, key: str) -> Any:
        """A JSON value shared by every process on the store (run-time settings), or None."""

    @abstractmethod
    def all_state(self) -> dict[str, Any]:
        """Every state key with its JSON value, read at once (one query per request)."""

    @abstractmethod
    def set_state(self, key: str, value: Any) -> None: ...

    @abstractmethod
    def update_state(self, key: str, change: Callable[[Any], Any]) -> Any:
        """Read-modify-write of one state value as one transaction, serialised against every
        other update of the state (two control-plane calls never lose each other's change).
        ``change`` gets the current value (None when unset) and returns the new one (None
        removes it); an exception from it changes nothing."""

    @abstractmethod
    def close(self) -> None: ...
