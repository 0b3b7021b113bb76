"""SQLite backend: one file (WAL, busy timeout) shared safely by threads and worker processes.

Writes take SQLite's write lock up front (``BEGIN IMMEDIATE``), so the read-check-insert of the
duplicate-number rule is atomic across processes; the partial unique index is the backstop.
``:memory:`` keeps one connection behind a lock (an in-memory database is per connection).

A list page is answered from the pages a connection read before while nothing was committed
to the store since (``page``): SQLite's ``PRAGMA data_version`` moves when any other connection,
of any process, commits; a counter of this store's own write transactions covers the rest. A
write acknowledged to its client has committed, so every read that starts after it misses the
pages read before it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from typing import Any

import orjson

from mockserver import process
from mockserver.contacts.model import ACTIVE, Contact, Namespace
from mockserver.contacts.ports import ContactsTransaction, NumberTaken
from mockserver.memory import remember
from mockserver.store import blocks, disk_full, sqlite_wal
from mockserver.store.base import (
    COLUMNS,
    CONTENT_COLUMNS,
    EVERY_ENTRY,
    LATER_JOURNAL_COLUMNS,
    ContentsRefused,
    JournalFilter,
    Store,
    StoreContents,
    StoreFull,
    StoreUnavailable,
    number_search,
    promote_sql,
    schema_version_to_migrate,
)
from mockserver.store.journal_log import JournalLog
from mockserver.store.sqlite_journal import SqliteJournal, fill_later_columns
from mockserver.store.sqlite_state import StateRows, StateVersion

log = logging.getLogger("kore_mock")

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
_BLOCKS_ADDED = blocks.ids_added_sql("SELECT value FROM json_each(?)")
_BLOCK_ADDED = blocks.one_added_sql("?")
_BLOCK_COUNTS = blocks.counts_sql("?")
_BLOCKS_MOVED = blocks.moved_sql("?")
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another's lock
# meta key: the journal of a replace whose store file committed, until the journal's file has it
PENDING_JOURNAL = "pending_journal"
PAGE_CACHE_SIZE = 256  # list pages a connection keeps between two commits to the store

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
    [blocks.TABLE + " WITHOUT ROWID", blocks.POPULATE],
    [],  # 4: the journal's filter columns; on SQLite the journal is a file of its own, whose
    # table sqlite_journal.SqliteJournal.create() brings up to date
    [],  # 5: the journal's log (journal_log.py). No SQL: the version tells a kore-mock of schema
    # 4 from before the log, which gave new entries ids the log had given (their entries were
    # lost), that the store is newer than it
]
SCHEMA_VERSION = len(MIGRATIONS)


def _contact(row: Sequence[Any]) -> Contact:
    return Contact(*row)


class SqliteTransaction(ContactsTransaction):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def holders(
        self, ns: Namespace, keys: Sequence[str], *, inactive: bool = False
    ) -> dict[str, str]:
        if not keys:
            return {}
        held = self._active_holders(ns, keys)
        if inactive:
            free = [key for key in keys if key not in held]
            held |= self._inactive_holders(ns, free) if free else {}
        return held

    def _inactive_holders(self, ns: Namespace, keys: Sequence[str]) -> dict[str, str]:
        rows = self.conn.execute(  # the namespace's INACTIVE contacts, on the listing index
            "SELECT phone_number, id FROM contacts WHERE account_id = ? AND stream_id = ?"
            " AND status = 'INACTIVE' AND phone_number IN (SELECT value FROM json_each(?))"
            " ORDER BY seq DESC",
            (ns.account_id, ns.stream_id, orjson.dumps(list(keys))),
        )
        return dict(rows)  # the oldest deleted holder comes last and wins

    def _active_holders(self, ns: Namespace, keys: Sequence[str]) -> dict[str, str]:
        rows = self.conn.execute(  # left alone, SQLite may pick the listing index: O(rows)
            "SELECT c.phone_number, c.id FROM json_each(?) AS k"
            " JOIN contacts AS c INDEXED BY contacts_one_active_holder"
            " ON c.account_id = ? AND c.stream_id = ? AND c.status = 'ACTIVE'"
            " AND c.phone_number = k.value ORDER BY c.dup_slot DESC",
            (orjson.dumps(list(keys)), ns.account_id, ns.stream_id),
        )
        return dict(rows)  # slot 0 comes last and wins

    def insert(self, contacts: Sequence[Contact], *, legacy: bool = False) -> None:
        if not contacts:
            return
        ns = contacts[0].namespace
        try:
            if not legacy and len(contacts) == 1:  # one create: its seq is the new rowid
                seq = self.conn.execute(_INSERT_SLOT_0, contacts[0]).lastrowid
                self.conn.execute(_BLOCK_ADDED, (*ns, seq))
                return
            # the writer holds the write lock: every seq above the highest is one of these
            (before,) = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM contacts").fetchone()
            if not legacy:
                self.conn.executemany(_INSERT_SLOT_0, contacts)  # a Contact is a row already
            else:
                for c in contacts:
                    slot = self._next_slot(c.namespace, c.phone_number)
                    self.conn.execute(_INSERT, (*_values(c), slot))
            self._count_added(ns, contacts, before)
        except sqlite3.IntegrityError:
            raise NumberTaken() from None

    def _count_added(self, ns: Namespace, contacts: Sequence[Contact], before: int) -> None:
        """The block counts of rows just inserted after seq ``before``. SQLite gave them the
        seqs after the highest, one by one, unless the highest seq is the largest integer (then
        it picks free ones at random): when the highest is now ``before`` + their number, they
        hold exactly those seqs, in order, and their counts are known without reading them."""
        (after,) = self.conn.execute("SELECT MAX(seq) FROM contacts").fetchone()
        if after != before + len(contacts):  # count what was stored, by the contacts' ids
            self.conn.execute(_BLOCKS_ADDED, (orjson.dumps([c.id for c in contacts]),))
            return
        active = [c.status == ACTIVE for c in contacts]
        self.conn.executemany(
            _BLOCK_COUNTS, [(*ns, *counts) for counts in blocks.run_counts(before + 1, active)]
        )

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
                (seq,) = self.conn.execute(
                    f"UPDATE contacts SET {assignments} WHERE id = ? RETURNING seq",
                    (*changed.values(), contact.id),
                ).fetchone()
            except sqlite3.IntegrityError:
                raise NumberTaken(contact.phone_number) from None
            if "status" in changed:
                self.conn.execute(
                    _BLOCKS_MOVED,
                    blocks.moved_params(*contact.namespace, seq, contact.status == ACTIVE),
                )
        if leaves_number:
            self._promote(previous.namespace, previous.phone_number)

    def _promote(self, ns: Namespace, key: str) -> None:
        """Keep a held number blocking: give slot 0 to a remaining legacy holder."""
        self.conn.execute(_PROMOTE, (*ns, key, *ns, key))

    def page(self, ns: Namespace, *, skip: int, limit: int) -> tuple[list[Contact], int]:
        return _page(self.conn, ns, "ACTIVE", skip, limit)

    def active(self, ns: Namespace) -> Iterator[Contact]:
        rows = self.conn.execute(
            _SELECT + " WHERE account_id = ? AND stream_id = ? AND status = 'ACTIVE' ORDER BY seq",
            ns,
        )
        for row in rows:
            yield _contact(row)


def _values(c: Contact) -> tuple[Any, ...]:
    return tuple(c)  # Contact's fields are the columns, in order


def _page(
    conn: sqlite3.Connection, ns: Namespace, status: str | None, skip: int, limit: int
) -> tuple[list[Contact], int]:
    rows, total = blocks.page(conn.execute, "?", _SELECT, ns, status, skip, limit)
    return [Contact(*r) for r in rows], total


class SqliteStore(Store):
    def __init__(self, path: str) -> None:
        self.url = path
        self.memory = path == ":memory:"
        self._local = threading.local()
        self._lock = threading.RLock()
        self._shared: sqlite3.Connection | None = None
        self._writers = _WriterQueue(path + ".lock")
        self._queues = (self._writers,)
        self._state_rows: StateRows | None = None  # :memory: reads its state every time
        self._parsed_state: tuple[list[Any], dict[str, Any]] | None = None  # (rows, values)
        self._writes = 0  # write transactions of this store begun or ended (the page caches')
        self._writes_lock = threading.Lock()
        if self.memory:  # one database, one process: the journal is a table of it
            self._journal = SqliteJournal(self._connection, _nothing)
        else:
            self._state_rows = StateRows(StateVersion(path + ".state-version"))
            self.journal_path = path + ".journal"
            journal_writers = _WriterQueue(self.journal_path + ".lock")  # the table's
            appenders = _WriterQueue(self.journal_path + ".log.lock")
            self._queues += (journal_writers, appenders)
            self._journal_log = JournalLog(self.journal_path, appenders.hold)
            self._journal = SqliteJournal(
                self._journal_connection,
                journal_writers.hold,
                self._journal_log,
                background=self._own_journal_connection,
            )
        try:
            if not self.memory:
                parent = os.path.dirname(os.path.abspath(path))
                os.makedirs(parent, exist_ok=True)
                self._journal_log.check_writable()
            if self._state_rows is not None:
                self._state_rows.version.open()
            with self._connection() as conn:
                _migrate(conn)
            self._journal.create()
            if not self.memory:
                self._move_old_journal()
                self._finish_cut_off_replace()
        except (OSError, sqlite3.Error, StoreFull) as exc:
            raise StoreUnavailable(f"cannot use the SQLite file {path}: {exc}") from None

    # -- connections -----------------------------------------------------------------------

    def _open(self, path: str) -> sqlite3.Connection:
        """A connection to the store's file or to its journal's (WAL, checkpointed in the
        background), or to the one in-memory database."""
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT
        )
        if path != ":memory:":
            _use_wal(conn)
            sqlite_wal.tune(conn, path)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        # SQLite's LIKE folds ASCII letters only: the control plane's name search ("any case")
        # folds every letter with Python's casefold
        conn.create_function("casefold", 1, _casefold, deterministic=True)
        return conn

    def _held(self, name: str, path: str) -> _Held:
        """This thread's connection to ``path``, kept as ``name`` (opened again in a forked
        child)."""
        held = getattr(self._local, name, None)
        if held is None or held.pid != process.pid():
            held = _Held(self._open(path), self.url)  # its files share one disk
            setattr(self._local, name, held)
        return held

    def _connection(self) -> AbstractContextManager[sqlite3.Connection]:
        """``with self._connection() as conn``: this thread's connection (a file store), or the
        one connection under its lock (``:memory:``)."""
        if self.memory:
            return self._shared_connection()
        return self._held("conn", self.url)

    @contextmanager
    def _shared_connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._shared is None:
                self._shared = self._open(self.url)
            yield self._shared

    def _journal_connection(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._held("journal", self.journal_path)

    @contextmanager
    def _own_journal_connection(self) -> Iterator[sqlite3.Connection]:
        """A connection to the journal's file of its own, closed when done (the background
        drain's, and the drain at close)."""
        with closing(self._open(self.journal_path)) as conn, _Held(conn, self.url):
            yield conn

    def _move_old_journal(self) -> None:
        """A store from before the journal file kept its journal in the store's own file: the
        entries move to the journal file once (ids kept), then that table stays empty."""
        with self._connection() as conn:
            if conn.execute("SELECT NOT EXISTS (SELECT 1 FROM journal)").fetchone()[0]:
                return  # nothing to move (a read, no lock): every start but an upgrade's
        with self._transaction("BEGIN IMMEDIATE") as conn:
            rows = conn.execute("SELECT id, at, operation, status, entry FROM journal").fetchall()
            if not rows:
                return
            with self._journal_connection() as journal, self._journal._writer_lock():
                journal.execute("BEGIN IMMEDIATE")
                journal.executemany(
                    "INSERT OR IGNORE INTO journal (id, at, operation, status, entry)"
                    " VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                # with the filter columns the old table did not have
                fill_later_columns(
                    journal, "journal", LATER_JOURNAL_COLUMNS, max(row[0] for row in rows)
                )
                journal.execute("COMMIT")
            conn.execute("DELETE FROM journal")
        self._journal.settle()  # no id the moved entries have is given again

    @contextmanager
    def _transaction(
        self, begin: str, *, of_state: bool = False, locked: bool = False
    ) -> Iterator[sqlite3.Connection]:
        """``of_state``: the transaction writes the run-time state; its version moves after
        the commit, before the write lock is let go (``sqlite_state``). ``locked``: the caller
        holds the write lock already."""
        writing = begin == "BEGIN IMMEDIATE"
        queued = writing and not locked
        with self._connection() as conn, self._writer_lock() if queued else _nothing():
            if writing:
                self._count_write()  # pages read from now on may not outlive it...
            try:
                conn.execute(begin)
                try:
                    yield conn
                except BaseException:
                    disk_full.rollback(conn)
                    raise
                conn.execute("COMMIT")
                if of_state and self._state_rows is not None:
                    self._state_rows.version.bump()
            finally:
                if writing:
                    self._count_write()  # ... nor pages read while it ran

    def _count_write(self) -> None:
        with self._writes_lock:
            self._writes += 1

    def _writer_lock(self) -> AbstractContextManager[None]:
        return _nothing() if self.memory else self._writers.hold()

    @contextmanager
    def write(self, ns: Namespace) -> Iterator[ContactsTransaction]:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            yield SqliteTransaction(conn)

    @contextmanager
    def read(self) -> Iterator[ContactsTransaction]:
        with self._transaction("BEGIN") as conn:  # one snapshot: a page agrees with its total
            yield SqliteTransaction(conn)

    def page(self, ns: Namespace, *, skip: int, limit: int) -> tuple[list[Contact], int]:
        """The page as a read transaction gives it, or as this connection read it before when
        nothing was committed to the store since (see the module's docstring). The contacts
        list is shared by the requests it answers: never changed in place."""
        key = (ns, skip, limit)
        with self._connection() as conn:
            (version,) = conn.execute("PRAGMA data_version").fetchone()
            token = (conn, version, self._writes)  # taken before the read: never too new
            cache = getattr(self._local, "pages", None)
            if cache is None or cache[0] != token:
                cache = self._local.pages = (token, {})
            found = cache[1].get(key)
            if found is not None:
                return found
        with self.read() as tx:
            found = tx.page(ns, skip=skip, limit=limit)
        return remember(cache[1], key, found, PAGE_CACHE_SIZE)

    # -- control-plane state ---------------------------------------------------------------

    def namespaces(self) -> list[dict[str, Any]]:
        with self._transaction("BEGIN") as conn:
            rows = conn.execute(
                "SELECT account_id, stream_id, SUM(active), SUM(inactive) FROM contact_blocks"
                " GROUP BY account_id, stream_id HAVING SUM(active + inactive) > 0"
                " ORDER BY account_id, stream_id"
            ).fetchall()
        return [
            {"accountId": a, "streamId": s, "active": act, "inactive": inact}
            for a, s, act, inact in rows
        ]

    def reset(self, ns: Namespace) -> int:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            conn.execute("DELETE FROM contact_blocks WHERE account_id = ? AND stream_id = ?", ns)
            return conn.execute(
                "DELETE FROM contacts WHERE account_id = ? AND stream_id = ?", ns
            ).rowcount

    def journal_add(self, entry: dict[str, Any], *, keep: int) -> int:
        return self._journal.add(entry, keep=keep)

    def journal_query(
        self, where: JournalFilter = EVERY_ENTRY, *, limit: int = 100
    ) -> list[dict[str, Any]]:
        return self._journal.query(where, limit=limit)

    def journal_get(self, entry_id: int) -> dict[str, Any] | None:
        return self._journal.get(entry_id)

    def journal_clear(self) -> None:
        self._journal.clear()

    def journal_keep(self, keep: int) -> None:
        self._journal.keep(keep)

    def journal_count(self, where: JournalFilter = EVERY_ENTRY) -> int:
        return self._journal.count(where)

    def find_contacts(
        self, ns: Namespace, *, text: str = "", status: str | None = None, skip: int, limit: int
    ) -> tuple[list[Contact], int]:
        if not text:
            with self._transaction("BEGIN") as conn:
                return _page(conn, ns, status, skip, limit)
        clauses = ["account_id = ?", "stream_id = ?"]
        params: list[Any] = [*ns]
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if text:
            name_clause = "casefold(first_name || ' ' || last_name) LIKE ? ESCAPE '!'"
            params.append(_like(text.casefold()))
            digits = number_search(text)
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

    def get_state(self, key: str) -> Any:
        with self._connection() as conn:
            row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def all_state(self) -> dict[str, Any]:
        """Every run-time value by key. Parsed once per change of the state: the values are
        shared by the requests that read them until then, and never changed in place."""
        if self._state_rows is None:  # :memory: reads its state every time
            return {key: orjson.loads(value) for key, value in self._read_state()}
        rows = self._state_rows.rows(self._read_state)
        parsed = self._parsed_state
        if parsed is None or parsed[0] is not rows:
            parsed = (rows, {key: orjson.loads(value) for key, value in rows})
            self._parsed_state = parsed
        return parsed[1]

    def _read_state(self) -> list[tuple[str, Any]]:
        with self._connection() as conn:
            return conn.execute("SELECT key, value FROM state").fetchall()

    def set_state(self, key: str, value: Any) -> None:
        with self._transaction("BEGIN IMMEDIATE", of_state=True) as conn:
            _write_state(conn, key, value)

    def update_state(self, key: str, change: Callable[[Any], Any]) -> Any:
        with self._transaction("BEGIN IMMEDIATE", of_state=True) as conn:
            row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
            value = change(None if row is None else json.loads(row[0]))
            _write_state(conn, key, value)
        return value

    def contents(self, *, with_journal: bool) -> StoreContents:
        # The journal (its own file) first: a request's entry is written after its contacts'
        # commit, so every change the journal reports is in the contacts read next. Read after
        # them, it reported creates made meanwhile whose contacts the snapshot lacked.
        journal = self._journal.entries() if with_journal else None
        with self._transaction("BEGIN") as conn:  # one snapshot of the store's file
            contacts = conn.execute(
                "SELECT " + ", ".join(CONTENT_COLUMNS) + " FROM contacts ORDER BY seq"
            ).fetchall()
            state = {k: orjson.loads(v) for k, v in conn.execute("SELECT key, value FROM state")}
        return StoreContents(contacts, state, journal)

    def replace_contents(self, contents: StoreContents) -> int:
        """The store's file commits first, the journal that goes with its contents stashed in
        it (``meta``); then the journal's file takes that journal and the stash goes. The
        store's write lock is held throughout, so no save commits between the two (a save
        committed between a reset's contacts and its journal kept its contact and lost its
        entry). A ``kill -9`` between the two commits leaves the stash, and the next open of
        the store finishes the replace (``_finish_cut_off_replace``): the two files were left
        one old, one new. Refused contents change neither.

        A save that committed before the lock and appends its entry after the journal was
        replaced (the moment between its commit and its answer) still leaves that entry."""
        entries = list(contents.journal or ())
        if self.memory:  # one database: the journal is a table of it
            with self._transaction("BEGIN IMMEDIATE") as conn:
                removed = self._replace(conn, contents)
                SqliteJournal.write_all(conn, entries)
            return removed
        with self._writer_lock():
            with self._transaction("BEGIN IMMEDIATE", of_state=True, locked=True) as conn:
                removed = self._replace(conn, contents)
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    (PENDING_JOURNAL, orjson.dumps(entries).decode()),
                )
            self._finish_replace(entries)
        return removed

    def _finish_replace(self, entries: list[tuple[int, dict[str, Any]]]) -> None:
        """The journal's file takes the journal a replace stashed, then the stash goes (the
        caller holds the store's write lock)."""
        self._journal.replace_all(entries)
        with self._transaction("BEGIN IMMEDIATE", locked=True) as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (PENDING_JOURNAL,))

    def _finish_cut_off_replace(self) -> None:
        """At open: a replace whose process was killed between the store's commit and the
        journal's is finished (its journal is in the stash)."""
        with self._writer_lock():
            with self._connection() as conn:
                row = conn.execute(
                    "SELECT value FROM meta WHERE key = ?", (PENDING_JOURNAL,)
                ).fetchone()
            if row is not None:
                log.warning("finishing a replace of the store's contents that was cut off")
                self._finish_replace([(i, entry) for i, entry in orjson.loads(row[0])])

    @staticmethod
    def _replace(conn: sqlite3.Connection, contents: StoreContents) -> int:
        insert = (
            "INSERT INTO contacts (" + ", ".join(CONTENT_COLUMNS) + ") VALUES ("
            + ", ".join("?" * len(CONTENT_COLUMNS)) + ")"
        )  # fmt: skip
        removed = conn.execute("DELETE FROM contacts").rowcount
        for table in ("contact_blocks", "state", "counters"):
            conn.execute(f"DELETE FROM {table}")
        try:
            conn.executemany(insert, contents.contacts)
        except sqlite3.IntegrityError as exc:
            raise ContentsRefused(_refusal(str(exc))) from None
        conn.execute(blocks.POPULATE)  # the block counts of every contact just stored
        conn.executemany(
            "INSERT INTO state (key, value) VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in contents.state.items()],
        )
        return removed

    def close(self) -> None:
        for name in ("conn", "journal"):
            held = getattr(self._local, name, None)
            if held is not None:
                held.conn.close()
                setattr(self._local, name, None)
        with self._lock:  # a request still on it (a server thread its app outlived) finishes first
            if self._shared is not None:
                self._shared.close()  # closed under a query, SQLite crashed the process
                self._shared = None
        self._journal.close()
        for queue in self._queues:
            queue.close()
        if not self.memory:
            sqlite_wal.forget(self.url)
            sqlite_wal.forget(self.journal_path)
        if self._state_rows is not None:
            self._state_rows.version.close()


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


class _Held:
    """A thread's connection, as a context manager that hands it out (and the process that
    opened it: a forked child opens its own). Cheaper than a generator-based one per use.
    A full disk met inside is ``StoreFull`` of the store's file (named for every file of the
    store: they share its directory, and an error met in a nested one passes the outer ones)."""

    __slots__ = ("conn", "path", "pid")

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self.pid = process.pid()

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, _kind: object, error: BaseException | None, _trace: object) -> None:
        if error is not None and disk_full.is_full(error):
            raise StoreFull(self.path, error) from None


_NOTHING = nullcontext()


def _nothing() -> AbstractContextManager[None]:
    return _NOTHING


class _WriterQueue:
    """Queue writers of all processes on a lock file before SQLite's own write lock.

    SQLite makes a blocked writer sleep and retry (1 ms, 2 ms, 5 ms...), which wastes most
    of the time under many small concurrent writes; a blocked ``flock`` wakes the moment the
    lock is free. SQLite's lock stays the guarantee; this only orders the queue.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()  # threads of this process queue here, processes on the file
        self._file: tuple[int, int] | None = None  # (pid, fd)
        self._fd = -1  # the lock file's descriptor while held

    def hold(self) -> _WriterQueue:
        """``with queue.hold():`` the lock, this thread's and this process's turn."""
        return self

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            if self._file is None or self._file[0] != process.pid():
                self._file = (process.pid(), os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644))
            fd = self._file[1]
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise
        self._fd = fd

    def __exit__(self, *_: object) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def close(self) -> None:
        """The lock file's descriptor closed (the store is closed; opened again if used)."""
        with self._lock:
            if self._file is not None and self._file[0] == process.pid():
                os.close(self._file[1])
            self._file = None


def _casefold(text: str | None) -> str | None:
    return None if text is None else text.casefold()


def _like(text: str) -> str:
    """A LIKE pattern (escape ``!``) matching values that contain ``text``."""
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


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
        version = schema_version_to_migrate(int(row[0]) if row else 0, SCHEMA_VERSION)
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
    except BaseException:
        disk_full.rollback(conn)
        raise
    conn.execute("COMMIT")
