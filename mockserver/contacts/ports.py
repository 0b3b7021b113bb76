"""What the contacts service needs from persistence: the domain's port; every store implements it.

The service (``service.py``) holds one half of the duplicate-number rule: inside a write
transaction it asks who holds the numbers it is about to use and refuses them. The store holds
the other half, and keeps this contract:

- ``write(ns)`` is one transaction, serialised against every other write of the namespace
  (across threads, processes and machines sharing the store); leaving the block by an exception
  rolls it back. ``read()`` is one consistent snapshot.
- A unique index allows at most one ACTIVE contact per (namespace, number key, dup slot); normal
  saves use slot 0, so a second ACTIVE holder of a number is impossible (``NumberTaken``), even
  for code that skipped the service's check. Legacy duplicates (``insert(..., legacy=True)``,
  seeded on purpose) take slots 1, 2, ...; when the slot-0 holder leaves the number (deleted, or
  moved to another number), a remaining holder is promoted to slot 0, so a number held by
  anyone always blocks new saves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager

from mockserver.contacts.model import Contact, Namespace


class NumberTaken(Exception):
    """The unique index refused a second ACTIVE holder of a number."""

    def __init__(self, number_key: str | None = None) -> None:
        super().__init__(number_key)
        self.number_key = number_key


class ContactsTransaction(ABC):
    @abstractmethod
    def holders(
        self, ns: Namespace, keys: Sequence[str], *, inactive: bool = False
    ) -> dict[str, str]:
        """Number key -> id of the ACTIVE contact holding it, for the keys that are held; with
        ``inactive``, a key no ACTIVE contact holds maps to an INACTIVE (deleted) holder."""

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


class ContactsStore(ABC):
    @abstractmethod
    def write(self, ns: Namespace) -> AbstractContextManager[ContactsTransaction]: ...

    @abstractmethod
    def read(self) -> AbstractContextManager[ContactsTransaction]:
        """A read-only transaction: one consistent snapshot."""

    def page(self, ns: Namespace, *, skip: int, limit: int) -> tuple[list[Contact], int]:
        """One page as ``read()``'s ``page`` gives it (a store may answer it from a cache that
        no committed write outlives)."""
        with self.read() as tx:
            return tx.page(ns, skip=skip, limit=limit)
