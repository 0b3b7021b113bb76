"""The store interface: the domain's port (``contacts.ports``) plus the journal and the shared
run-time state, and what every backend shares (the contacts columns, the legacy-holder
promotion, the journal filter, how a store URL is shown).

The contract of contacts storage — one transaction per namespace write, the unique index and
the dup slots of legacy duplicates — is stated in ``mockserver.contacts.ports``.
"""

from __future__ import annotations

import os
import re
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mockserver.contacts.model import Contact, Namespace
from mockserver.contacts.ports import ContactsStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

# The contacts table's columns, in ``Contact``'s field order: a row maps to a Contact for free.
COLUMNS = (
    "id",
    "account_id",
    "stream_id",
    "status",
    "first_name",
    "last_name",
    "salutation",
    "phone_number",
    "country_code",
    "extension",
    "org_id",
    "created_by",
    "created_by_aid",
    "updated_by",
    "updated_by_aid",
    "created_at",
    "updated_at",
)
assert Contact._fields == COLUMNS, "Contact must list the contacts columns in order"


_NUMBER_TEXT = re.compile(r"[0-9\s+().-]*[0-9][0-9\s+().-]*")


def number_search(text: str) -> str | None:
    """The digits a browse search looks for in the numbers: the text's own when it is written as
    a number is (digits, spaces, ``+``, ``-``, ``.``, parentheses: ``+91 98765``, ``(987) 654``);
    None when it holds anything else (``Name19``, ``Room 101``), which is a name search only."""
    if _NUMBER_TEXT.fullmatch(text) is None:
        return None
    return "".join(ch for ch in text if "0" <= ch <= "9")


def promote_sql(mark: str) -> str:
    """The store's half of the rule when a holder leaves a number: if no ACTIVE contact holds it
    at slot 0 any more, the remaining holder with the lowest slot moves to slot 0.

    ``mark`` is the driver's placeholder (``?`` or ``%s``); the parameters are (account id,
    stream id, number key), twice.
    """
    holds = (
        f"account_id = {mark} AND stream_id = {mark} AND phone_number = {mark}"
        " AND status = 'ACTIVE'"
    )
    return (
        "UPDATE contacts SET dup_slot = 0 WHERE seq = ("
        f" SELECT seq FROM contacts WHERE {holds} ORDER BY dup_slot LIMIT 1)"
        f" AND NOT EXISTS (SELECT 1 FROM contacts WHERE {holds} AND dup_slot = 0)"
    )


@dataclass(frozen=True)
class JournalFilter:
    """Which journal entries a query or a verify call means; None matches everything."""

    operation: str | None = None
    status: int | None = None
    since: str | None = None  # ISO-8601 instants in the journal's own form (UTC, ms, Z)
    until: str | None = None
    scenario: str | None = None  # the X-Mock-Scenario the requests named
    account_id: str | None = None  # the namespace the requests addressed (both halves, or none)
    stream_id: str | None = None
    before_id: int | None = None  # entries older than this one (a page after the newest)

    def conditions(self) -> list[tuple[str, str, Any]]:
        """(column, operator, value) of every filter that is set."""
        return [
            (column, operator, value)
            for column, operator, value in (
                ("operation", "=", self.operation),
                ("status", "=", self.status),
                ("at", ">=", self.since),
                ("at", "<=", self.until),
                ("scenario", "=", self.scenario),
                ("account_id", "=", self.account_id),
                ("stream_id", "=", self.stream_id),
                ("id", "<", self.before_id),
            )
            if value is not None
        ]


EVERY_ENTRY = JournalFilter()

# A contact row as a snapshot holds it: the contacts columns, then its holder slot.
CONTENT_COLUMNS = (*COLUMNS, "dup_slot")


@dataclass(frozen=True)
class StoreContents:
    """Everything a store holds but its rate-limit counters, read at one instant.

    ``contacts``: rows of ``CONTENT_COLUMNS`` in listing order (oldest first); ``state``: every
    run-time value by key; ``journal``: (id, entry) oldest first, or None when not read (a
    replace then leaves the journal empty).
    """

    contacts: list[tuple[Any, ...]]
    state: dict[str, Any]
    journal: list[tuple[int, dict[str, Any]]] | None = None


class ContentsRefused(ValueError):
    """A replace broke a rule of the store (two ACTIVE holders at one slot, a repeated id)."""


class StoreUnavailable(RuntimeError):
    """The store cannot be opened (unreachable server, bad URL, schema newer than this code)."""


class StoreFull(StoreUnavailable):
    """The disk under the store is full: the request's transaction was rolled back, nothing of
    it stored (``disk_full.py`` tells it from other failures)."""

    def __init__(self, path: str, reason: object) -> None:
        super().__init__(f"the disk of {path} is full ({reason})")


def schema_version_to_migrate(found: int, ours: int) -> int:
    """The schema version a store was found at, which this kore-mock migrates from to its own
    (``ours``: the length of the backend's migrations); a newer one is refused. Each backend
    counts its own versions: a change of one backend's files (SQLite's journal log, schema 5)
    leaves the other's version alone."""
    if found > ours:
        raise StoreUnavailable(
            f"the store is at schema version {found}, newer than this kore-mock ({ours});"
            " upgrade kore-mock"
        )
    return found


class Store(ContactsStore):
    url: str

    # -- shared state for the control plane ----------------------------------------------

    @abstractmethod
    def namespaces(self) -> list[dict[str, Any]]:
        """Every namespace with its ACTIVE and INACTIVE counts."""

    @abstractmethod
    def reset(self, ns: Namespace) -> int:
        """Forget every contact of one namespace; returns how many were removed (the whole
        store: ``replace_contents`` with empty contents)."""

    @abstractmethod
    def journal_add(self, entry: dict[str, Any], *, keep: int) -> int:
        """Append a journal entry, keep only the newest ``keep``; returns its id."""

    @abstractmethod
    def journal_query(
        self, where: JournalFilter = EVERY_ENTRY, *, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Newest first."""

    @abstractmethod
    def journal_get(self, entry_id: int) -> dict[str, Any] | None: ...

    @abstractmethod
    def journal_clear(self) -> None: ...

    @abstractmethod
    def journal_keep(self, keep: int) -> None:
        """Only the newest ``keep`` entries kept from now on, at once (a server started with a
        smaller ``journalSize`` than the store's journal holds)."""

    @abstractmethod
    def journal_count(self, where: JournalFilter = EVERY_ENTRY) -> int:
        """How many journal entries match."""

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
    def contents(self, *, with_journal: bool) -> StoreContents:
        """Contacts, state (and the journal) in one consistent read."""

    @abstractmethod
    def replace_contents(self, contents: StoreContents) -> int:
        """Everything replaced by ``contents``, all or nothing, also across a crash: contacts,
        state and journal (empty when ``contents.journal`` is None); rate-limit counters
        cleared. Writers wait meanwhile. ``ContentsRefused`` when the rows break a rule.
        Returns how many contacts it removed (a whole reset is the empty contents)."""

    def connection_room(self, workers: int) -> str | None:
        """Why a server of ``workers`` workers may not get every connection it may open, or
        None (a store without a connection limit)."""
        return None

    @abstractmethod
    def close(self) -> None: ...


def journal_columns(entry: dict[str, Any]) -> tuple[Any, ...]:
    """(at, operation, status, scenario, account_id, stream_id) of a journal entry: the
    columns its filters read."""
    ns = entry.get("namespace") or {}
    return (
        entry["at"],
        entry.get("operation"),
        entry["status"],
        entry.get("scenario"),
        ns.get("accountId"),
        ns.get("streamId"),
    )


JOURNAL_COLUMNS = "at, operation, status, scenario, account_id, stream_id"

# The filter columns a journal got in schema 4, and where ``journal_columns`` finds them in an
# entry: an upgrade fills them in for the entries written before (or filters would miss them).
LATER_JOURNAL_COLUMNS = {
    "scenario": ("scenario",),
    "account_id": ("namespace", "accountId"),
    "stream_id": ("namespace", "streamId"),
}


def sqlite_path(url: str) -> str:
    """The file of a SQLite store URL (a path, or ``sqlite:///path``), ``~`` expanded."""
    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///") :]
    return os.path.expanduser(url)


def display_url(url: str) -> str:
    """The store URL without a password, for banners, health answers and error messages; a
    SQLite file as the absolute path it is at (a relative one is the working directory's), in
    printable text whatever bytes its name holds (a name not in UTF-8 made the health check a
    500)."""
    if not url.startswith(POSTGRES_SCHEMES):
        if url != ":memory:":
            url = os.path.abspath(sqlite_path(url))
        return url.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = urlencode(
        [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)], safe="/"
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))
