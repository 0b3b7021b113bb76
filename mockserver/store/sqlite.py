"""SQLite backend: one file (WAL, busy timeout) shared safely by threads and worker processes.

Writes take SQLite's write lock up front (``BEGIN IMMEDIATE``), so the read-check-insert of the
duplicate-number rule is atomic across processes; the partial unique index is the backstop.
``:memory:`` keeps one connection behind a lock (an in-memory database is per connection).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson

from mockserver.contacts.model import ACTIVE, Contact, Namespace
from mockserver.contacts.ports import ContactsTransaction, NumberTaken
from mockserver.store.base import (
    COLUMNS,
    CONTENT_COLUMNS,
    EVERY_ENTRY,
    JOURNAL_COLUMNS,
    SCHEMA_VERSION,
    ContentsRefused,
    JournalFilter,
    Store,
    StoreContents,
    StoreUnavailable,
    journal_columns,
    promote_sql,
)

_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM contacts"
_INSERT = (
    "INSERT INTO contacts ("
    + ", ".join(COLUMNS)
    + ", dup_slot) VALUES ("
    + ", ".join("?" * (len(COLUMNS) + 1))
    + ")"
)
_INSERT_SLOT_0 = (
    "INSERT INTO contacts ("
    + ", ".join(COLUMNS)
    + ") VALUES ("
    + ", ".join("?" * len(COLUMNS))
    + ")"
)
_PROMOTE = promote_sql("?")
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another's lock

# Index i holds the statements that bring a store at version i to version i + 1.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE contacts (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            account_id TEXT NOT NULL,
            stream_id TEXT NOT NULL,
            status TEXT NOT NULL,
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            salutation TEXT NOT NULL,
            phone_number TEXT NOT NULL,
            country_code TEXT NOT NULL,
            extension TEXT NOT NULL,
            org_id TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_by_aid TEXT NOT NULL,
            updated_by TEXT,
            updated_by_aid TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            dup_slot INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE UNIQUE INDEX contacts_one_active_holder
            ON contacts (account_id, stream_id, phone_number, dup_slot)
            WHERE status = 'ACTIVE'""",
        "CREATE INDEX contacts_listing ON contacts (account_id, stream_id, status, seq)",
        """CREATE TABLE journal (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            operation TEXT,
            status INTEGER NOT NULL,
            entry TEXT NOT NULL
        )""",
        "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
    [
        """CREATE TABLE counters (
            key TEXT NOT NULL,
            time_window INTEGER NOT NULL,
            hits INTEGER NOT NULL,
            PRIMARY KEY (key, time_window)
        )""",
        "CREATE INDEX journal_at ON journal (at)",
    ],
    [
        # what the journal's filters read besides at / operation / status
        "ALTER TABLE journal ADD COLUMN scenario TEXT",  # X-Mock-Scenario
        "ALTER TABLE journal ADD COLUMN account_id TEXT",  # the namespace addressed
        "ALTER TABLE journal ADD COLUMN stream_id TEXT",
        "CREATE INDEX journal_scenario ON journal (scenario)",
        "CREATE INDEX journal_namespace ON journal (account_id, stream_id)",
    ],
]
assert len(MIGRATIONS) == SCHEMA_VERSION


def _contact(row: Sequence[Any]) -> Contact:
    return Contact(*row)


class SqliteTransaction(ContactsTransaction):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def holders(self, ns: Namespace, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        rows = self.conn.execute(  # left alone, SQLite may pick the listing index: O(rows)
            "SELECT c.phone_number, c.id FROM json_each(?) AS k"
            " JOIN contacts AS c INDEXED BY contacts_one_active_holder"
            " ON c.account_id = ? AND c.stream_id = ? AND c.status = 'ACTIVE'"
            " AND c.phone_number = k.value ORDER BY c.dup_slot DESC",
            (orjson.dumps(list(keys)), ns.account_id, ns.stream_id),
        )
        return dict(rows)  # slot 0 comes last and wins

    def insert(self, contacts: Sequence[Contact], *, legacy: bool = False) -> None:
        try:
            if not legacy:
                self.conn.executemany(_INSERT_SLOT_0, contacts)  # a Contact is a row already
                return
            for c in contacts:
                slot = self._next_slot(c.namespace, c.phone_number)
                self.conn.execute(_INSERT, (*_values(c), slot))
        except sqlite3.IntegrityError:
            raise NumberTaken() from None

    def _next_slot(self, ns: Namespace, key: str) -> int:
        (top,) = self.conn.execute(
            "SELECT MAX(dup_slot) FROM contacts WHERE account_id = ? AND stream_id = ?"
            " AND phone_number = ? AND status = 'ACTIVE'",
            (ns.account_id, ns.stream_id, key),
        ).fetchone()
        return 0 if top is None else top + 1

    def get_active(self, ns: Namespace, contact_id: str) -> Contact | None:
        row = self.conn.execute(
            _SELECT + " WHERE id = ? AND account_id = ? AND stream_id = ? AND status = 'ACTIVE'",
            (contact_id, ns.account_id, ns.stream_id),
        ).fetchone()
        return None if row is None else _contact(row)

    def update(self, contact: Contact, *, previous: Contact) -> None:
        # SET only what changed: SQLite rewrites an index only when one of its columns is set,
        # so a rename leaves the holder and listing indexes alone.
        changed = {
            column: new
            for column, new, old in zip(COLUMNS, contact, previous, strict=True)
            if new != old
        }
        new_number = contact.phone_number != previous.phone_number
        if new_number:
            changed["dup_slot"] = 0  # a new number is held at slot 0; its index refuses a second
        leaves_number = previous.status == ACTIVE and (contact.status != ACTIVE or new_number)
        if changed:
            assignments = ", ".join(f"{column} = ?" for column in changed)
            try:
                self.conn.execute(
                    f"UPDATE contacts SET {assignments} WHERE id = ?",
                    (*changed.values(), contact.id),
                )
            except sqlite3.IntegrityError:
                raise NumberTaken(contact.phone_number) from None
        if leaves_number:
            self._promote(previous.namespace, previous.phone_number)

    def _promote(self, ns: Namespace, key: str) -> None:
        """Keep a held number blocking: give slot 0 to a remaining legacy holder."""
        self.conn.execute(_PROMOTE, (*ns, key, *ns, key))

    def page(self, ns: Namespace, *, skip: int, limit: int) -> tuple[list[Contact], int]:
        where = " WHERE account_id = ? AND stream_id = ? AND status = 'ACTIVE'"
        # the count reads only the listing index (a window COUNT(*) OVER () would read every
        # row of the namespace in full: 50 ms a page at 10,000 contacts)
        (total,) = self.conn.execute("SELECT COUNT(*) FROM contacts" + where, ns).fetchone()
        if skip >= total:
            return [], total
        rows = self.conn.execute(
            _SELECT + where + " ORDER BY seq LIMIT ? OFFSET ?", (*ns, limit, skip)
        ).fetchall()
        return [Contact(*r) for r in rows], total

    def active(self, ns: Namespace) -> Iterator[Contact]:
        rows = self.conn.execute(
            _SELECT + " WHERE account_id = ? AND stream_id = ? AND status = 'ACTIVE' ORDER BY seq",
            ns,
        )
        for row in rows:
            yield _contact(row)


def _values(c: Contact) -> tuple[Any, ...]:
    return tuple(c)  # Contact's fields are the columns, in order


class SqliteStore(Store):
    def __init__(self, path: str) -> None:
        self.url = path
        self.memory = path == ":memory:"
        self._local = threading.local()
        self._lock = threading.RLock()
        self._shared: sqlite3.Connection | None = None
        self._lock_file: tuple[int, int] | None = None  # (pid, fd) of the writers' lock file
        try:
            if not self.memory:
                parent = os.path.dirname(os.path.abspath(path))
                os.makedirs(parent, exist_ok=True)
            with self._connection() as conn:
                _migrate(conn)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot use the SQLite file {path}: {exc}") from None

    # -- connections -----------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.url, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT
        )
        if not self.memory:
            _use_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")  # durable against process kills
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self.memory:
            with self._lock:
                if self._shared is None:
                    self._shared = self._open()
                yield self._shared
            return
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = self._open()
            self._local.conn, self._local.pid = conn, os.getpid()
        yield conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        writing = begin == "BEGIN IMMEDIATE"
        with self._connection() as conn, self._writer_lock() if writing else _nothing():
            conn.execute(begin)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        """Queue writers of all processes on a lock file before SQLite's own write lock.

        SQLite makes a blocked writer sleep and retry (1 ms, 2 ms, 5 ms...), which wastes most
        of the time under many small concurrent writes; a blocked ``flock`` wakes the moment the
        lock is free. SQLite's lock stays the guarantee; this only orders the queue.
        """
        if self.memory:
            yield
            return
        with self._lock:  # threads of this process queue here, processes on the file
            if self._lock_file is None or self._lock_file[0] != os.getpid():
                fd = os.open(self.url + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
                self._lock_file = (os.getpid(), fd)
            fd = self._lock_file[1]
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    @contextmanager
    def write(self, ns: Namespace) -> Iterator[ContactsTransaction]:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            yield SqliteTransaction(conn)

    @contextmanager
    def read(self) -> Iterator[ContactsTransaction]:
        with self._transaction("BEGIN") as conn:  # one snapshot: a page agrees with its total
            yield SqliteTransaction(conn)

    # -- control-plane state ---------------------------------------------------------------

    def namespaces(self) -> list[dict[str, Any]]:
        with self._transaction("BEGIN") as conn:
            rows = conn.execute(
                "SELECT account_id, stream_id, SUM(status = 'ACTIVE'), SUM(status != 'ACTIVE')"
                " FROM contacts GROUP BY account_id, stream_id ORDER BY account_id, stream_id"
            ).fetchall()
        return [
            {"accountId": a, "streamId": s, "active": act, "inactive": inact}
            for a, s, act, inact in rows
        ]

    def reset(self, ns: Namespace | None = None) -> int:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            if ns is None:
                return conn.execute("DELETE FROM contacts").rowcount
            return conn.execute(
                "DELETE FROM contacts WHERE account_id = ? AND stream_id = ?", ns
            ).rowcount

    def journal_add(self, entry: dict[str, Any], *, keep: int) -> int:
        # two autocommitted statements: the hot path of every request, kept short
        with self._connection() as conn, self._writer_lock():
            entry_id = conn.execute(
                f"INSERT INTO journal ({JOURNAL_COLUMNS}, entry) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*journal_columns(entry), orjson.dumps(entry)),
            ).lastrowid
            conn.execute("DELETE FROM journal WHERE id <= ?", (entry_id - keep,))
        return entry_id

    def journal_query(
        self, where: JournalFilter = EVERY_ENTRY, *, limit: int = 100
    ) -> list[dict[str, Any]]:
        clauses, params = _journal_where(where)
        with self._transaction("BEGIN") as conn:
            rows = conn.execute(
                "SELECT id, entry FROM journal" + clauses + " ORDER BY id DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [{"id": i, **orjson.loads(e)} for i, e in rows]

    def journal_get(self, entry_id: int) -> dict[str, Any] | None:
        with self._connection() as conn:
            row = conn.execute("SELECT entry FROM journal WHERE id = ?", (entry_id,)).fetchone()
        return None if row is None else {"id": entry_id, **orjson.loads(row[0])}

    def journal_clear(self) -> None:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            conn.execute("DELETE FROM journal")

    def journal_count(self, where: JournalFilter = EVERY_ENTRY) -> int:
        clauses, params = _journal_where(where)
        with self._connection() as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM journal" + clauses, params).fetchone()
        return count

    def find_contacts(
        self, ns: Namespace, *, text: str = "", status: str | None = None, skip: int, limit: int
    ) -> tuple[list[Contact], int]:
        clauses = ["account_id = ?", "stream_id = ?"]
        params: list[Any] = [*ns]
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if text:
            name_clause = "(first_name || ' ' || last_name) LIKE ? ESCAPE '!'"
            params.append(_like(text))
            digits = "".join(ch for ch in text if ch.isdigit())
            if digits:
                name_clause += " OR phone_number LIKE ?"
                params.append(f"%{digits}%")
            clauses.append(f"({name_clause})")
        where = " WHERE " + " AND ".join(clauses)
        with self._transaction("BEGIN") as conn:
            (total,) = conn.execute("SELECT COUNT(*) FROM contacts" + where, params).fetchone()
            rows = conn.execute(
                _SELECT + where + " ORDER BY seq LIMIT ? OFFSET ?", (*params, limit, skip)
            ).fetchall()
        return [_contact(r) for r in rows], total

    def counter_hit(self, key: str, window: int) -> int:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            conn.execute("DELETE FROM counters WHERE time_window < ?", (window,))
            (hits,) = conn.execute(
                "INSERT INTO counters (key, time_window, hits) VALUES (?, ?, 1)"
                " ON CONFLICT (key, time_window) DO UPDATE SET hits = hits + 1 RETURNING hits",
                (key, window),
            ).fetchone()
        return hits

    def counters_clear(self) -> None:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            conn.execute("DELETE FROM counters")

    def get_state(self, key: str) -> Any:
        with self._connection() as conn:
            row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def all_state(self) -> dict[str, Any]:
        with self._connection() as conn:
            rows = conn.execute("SELECT key, value FROM state").fetchall()
        return {key: orjson.loads(value) for key, value in rows}

    def set_state(self, key: str, value: Any) -> None:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            _write_state(conn, key, value)

    def update_state(self, key: str, change: Callable[[Any], Any]) -> Any:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
            value = change(None if row is None else json.loads(row[0]))
            _write_state(conn, key, value)
        return value

    def contents(self, *, with_journal: bool) -> StoreContents:
        with self._transaction("BEGIN") as conn:  # one snapshot of the file
            contacts = conn.execute(
                "SELECT " + ", ".join(CONTENT_COLUMNS) + " FROM contacts ORDER BY seq"
            ).fetchall()
            state = {k: orjson.loads(v) for k, v in conn.execute("SELECT key, value FROM state")}
            journal = None
            if with_journal:
                rows = conn.execute("SELECT id, entry FROM journal ORDER BY id")
                journal = [(i, orjson.loads(e)) for i, e in rows]
        return StoreContents(contacts, state, journal)

    def replace_contents(self, contents: StoreContents) -> None:
        insert = (
            "INSERT INTO contacts (" + ", ".join(CONTENT_COLUMNS) + ") VALUES ("
            + ", ".join("?" * len(CONTENT_COLUMNS)) + ")"
        )  # fmt: skip
        with self._transaction("BEGIN IMMEDIATE") as conn:
            for table in ("contacts", "journal", "state", "counters"):
                conn.execute(f"DELETE FROM {table}")
            try:
                conn.executemany(insert, contents.contacts)
            except sqlite3.IntegrityError as exc:
                raise ContentsRefused(_refusal(str(exc))) from None
            conn.executemany(
                "INSERT INTO state (key, value) VALUES (?, ?)",
                [(key, json.dumps(value)) for key, value in contents.state.items()],
            )
            conn.executemany(
                f"INSERT INTO journal (id, {JOURNAL_COLUMNS}, entry)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(i, *journal_columns(e), orjson.dumps(e)) for i, e in contents.journal or ()],
            )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._shared is not None:
            self._shared.close()
            self._shared = None


def _write_state(conn: sqlite3.Connection, key: str, value: Any) -> None:
    if value is None:
        conn.execute("DELETE FROM state WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )


def _refusal(message: str) -> str:
    if "contacts.id" in message:
        return "two contacts share an id"
    return "two ACTIVE contacts of a namespace hold one number at the same slot (dupSlot)"


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _like(text: str) -> str:
    """A LIKE pattern (escape ``!``) matching values that contain ``text``."""
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _journal_where(where: JournalFilter) -> tuple[str, list[Any]]:
    conditions = where.conditions()
    if not conditions:
        return "", []
    clauses = " AND ".join(f"{column} {operator} ?" for column, operator, _ in conditions)
    return " WHERE " + clauses, [value for _, _, value in conditions]


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL (once; it stays so). Processes opening a new file at the same moment
    may get "database is locked" here without SQLite's busy handler waiting: retry a while."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _migrate(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"the store is at schema version {version}, newer than this kore-mock "
                f"({SCHEMA_VERSION}); upgrade kore-mock"
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
