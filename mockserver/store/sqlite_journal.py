"""The SQLite store's request journal: its own file beside the store's, fed by a log.

Every request writes one journal entry, a GET too. In the store's own file that row took SQLite's
one write lock — the lock every contact write needs — so the worker processes took turns for
it. The journal has a file of its own (``<db>.journal``, WAL like the store), and a request does
not write that file either: it appends its entry to the journal's log (``journal_log``: one
``write``, its id from a counter shared by every process), and the table takes the log's
records in bulk, in one transaction —

- before every read of the journal (a query, a count, a verify, a snapshot), so a ``verify``
  right after an answer sees its entry, whichever worker it reaches;
- in the background (each process's checkpoint thread: a log past ``DRAIN_BYTES``, or any
  after ``DRAIN_AGE`` seconds), so the log stays small when nobody reads;
- when the store is opened (a log left by a killed server), and when it is closed (a clean stop
  leaves no log behind).

The journal keeps the newest ``keep`` entries: every read shows only the ids within ``keep`` of
the newest (ids are consecutive), and each drain deletes the rows below that window. An id is
never given twice: the log's counter starts above the table's highest id ever given (its newest
entry's, or ``journal_meta``'s ``given`` — kept when the newest entries go: a clear, a snapshot
restored). The table has no secondary index, and its filter columns come before the entry.

``:memory:`` stores keep the journal in their one in-memory database (one process), one INSERT
an entry, without a log.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import orjson

from mockserver import process
from mockserver.store import disk_full, sqlite_wal
from mockserver.store.base import (
    EVERY_ENTRY,
    JOURNAL_COLUMNS,
    LATER_JOURNAL_COLUMNS,
    JournalFilter,
    StoreFull,
    journal_columns,
)
from mockserver.store.journal_log import DRAIN_AGE, DRAIN_BYTES, JournalLog, Row

log = logging.getLogger("kore_mock")

TRIM_EVERY = 64  # entries between two deletions of the rows that fell out (``:memory:``)

# The columns the journal's filters read come first and the entry (which can be large: an
# import's per-row report) last, so that a filtered read scans only the start of each row. No
# secondary index: every request paid for three (an INSERT took ~80 µs instead of ~25 µs, while
# the writers of all workers queued for the file), and a filtered read of the newest ``keep``
# entries scans them in milliseconds.
LAYOUT = ("id", "at", "operation", "status", "scenario", "account_id", "stream_id", "entry")
TABLE = """CREATE TABLE journal (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    operation TEXT,
    status INTEGER NOT NULL,
    scenario TEXT,
    account_id TEXT,
    stream_id TEXT,
    entry TEXT NOT NULL
)"""
META = "CREATE TABLE IF NOT EXISTS journal_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)"

# the highest id the table has seen: its newest entry's, or the one kept in the meta table
_GIVEN = (
    "MAX(COALESCE(MAX(id), 0), COALESCE((SELECT value FROM journal_meta WHERE key = 'given'), 0))"
)
_INSERT = (  # VALUES with a subquery: an INSERT ... SELECT from the table it writes to
    # goes through a temporary table, as slow as AUTOINCREMENT
    f"INSERT INTO journal (id, {JOURNAL_COLUMNS}, entry)"
    f" VALUES ((SELECT {_GIVEN} + 1 FROM journal), ?, ?, ?, ?, ?, ?, ?)"
)
_TAKE = (
    f"INSERT OR IGNORE INTO journal (id, {JOURNAL_COLUMNS}, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SET_KEEP = (
    "INSERT INTO journal_meta (key, value) VALUES ('keep', ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
_KEEP_GIVEN = (  # before the newest entries go: the highest id given so far is kept
    f"INSERT INTO journal_meta (key, value) SELECT 'given', {_GIVEN} FROM journal WHERE true"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)

# the ids a read may show: within ``keep`` of the newest (every id when no keep was recorded)
_WINDOW = (
    "id > COALESCE((SELECT MAX(id) FROM journal)"
    " - (SELECT value FROM journal_meta WHERE key = 'keep'), 0)"
)


class SqliteJournal:
    def __init__(
        self,
        connection: Callable[[], AbstractContextManager[sqlite3.Connection]],
        writer_lock: Callable[[], AbstractContextManager[None]],
        log: JournalLog | None = None,
        *,
        background: Callable[[], AbstractContextManager[sqlite3.Connection]] | None = None,
    ) -> None:
        self._connection = connection
        self._background = background or connection  # the background drain's own connection
        self._writer_lock = writer_lock  # the table's writers, of all processes
        self._log = log  # None: one INSERT an entry (``:memory:``)
        self._keep: int | None = None  # the keep this process recorded last
        self._draining_pid = -1  # the process whose background drains this journal
        self._drained_at = 0.0
        self._closed = False

    def create(self) -> None:
        """The journal table as ``LAYOUT`` says; a journal of an earlier layout (columns in
        another order, fewer of them, indexes) is rebuilt once, its entries and ids kept. Then
        the log left by an earlier run is drained."""
        with self._connection() as conn:
            if not _current(conn):  # the first start, or an earlier layout's
                with self._writer_lock(), _immediate(conn):
                    conn.execute(META)
                    if not _columns(conn):
                        conn.execute(TABLE)
                    elif not _current(conn):  # checked again: under the lock now
                        _rebuild(conn)
        self.settle()

    def settle(self) -> None:
        """The log drained, and its counter above every id the table has seen (entries that
        came from elsewhere: an earlier layout, the store's own file, a hand edit)."""
        if self._log is None:
            return
        with self._connection() as conn, self._writer_lock():
            self._drain(conn)
            (given,) = conn.execute(f"SELECT {_GIVEN} FROM journal").fetchone()
            self._log.raise_given(given)

    def add(self, entry: dict[str, Any], *, keep: int) -> int:
        if self._log is not None:
            if self._draining_pid != process.pid():  # once per process
                self._draining_pid = process.pid()
                self._drained_at = time.monotonic()
                sqlite_wal.also_run(self, self._drain_in_background)
            return self._log.append(entry, keep=keep)
        with self._connection() as conn, self._writer_lock():
            if keep != self._keep:  # once per process, or when the setting changes
                conn.execute(_SET_KEEP, (keep,))
                self._keep = keep
            entry_id = conn.execute(
                _INSERT, (*journal_columns(entry), orjson.dumps(entry))
            ).lastrowid
            if entry_id % TRIM_EVERY == 0:
                conn.execute("DELETE FROM journal WHERE id <= ?", (entry_id - keep,))
        return entry_id

    # -- the log into the table ----------------------------------------------------------------

    def _drained(self) -> None:
        """Every entry appended before this call is in the table (a read's first step)."""
        if self._log is not None and self._log.pending():
            self._drain_with(self._connection)

    def _drain_in_background(self) -> None:
        if self._closed:  # the store closed while its chore was on its way
            return
        pending = self._log.pending() if self._log is not None else 0
        if not pending:
            self._drained_at = time.monotonic()
            return
        if pending < DRAIN_BYTES and time.monotonic() - self._drained_at < DRAIN_AGE:
            return
        try:
            self._drain_with(self._background)  # a connection closed when done
        except StoreFull as exc:  # tried again in DRAIN_AGE, not at every round (0.2 s)
            log.warning("the journal's log was not drained: %s", exc)
        self._drained_at = time.monotonic()

    def _drain_with(
        self, connection: Callable[[], AbstractContextManager[sqlite3.Connection]]
    ) -> None:
        with connection() as conn, self._writer_lock():
            self._drain(conn)

    def _drain(self, conn: sqlite3.Connection) -> None:
        """(The caller holds the table's lock.)"""
        if self._log is not None:
            self._log.drain(lambda rows, keep: self._take(conn, rows, keep))

    def _take(self, conn: sqlite3.Connection, rows: list[Row], keep: int | None) -> None:
        """The log's rows into the table in one transaction; the rows below the window go."""
        if keep is not None and rows:
            rows = [row for row in rows if row[0] > rows[-1][0] - keep]  # a backlog's old rows
        with _immediate(conn):
            if keep is not None:  # the newest record's: what the reads' window is
                conn.execute(_SET_KEEP, (keep,))
            changes = conn.total_changes
            conn.executemany(_TAKE, rows)
            if conn.total_changes - changes < len(rows):  # ids in the table already
                self._renumber_taken(conn, rows)
            if keep is not None and rows:
                conn.execute("DELETE FROM journal WHERE id <= ?", (rows[-1][0] - keep,))

    def _renumber_taken(self, conn: sqlite3.Connection, rows: list[Row]) -> None:
        """The rows whose id the table holds with another entry, under new ids (in the drain's
        transaction). A row it holds as it is was taken by a drain that died before deleting
        its file."""
        held = dict(
            conn.execute(
                "SELECT id, entry FROM journal WHERE id IN (SELECT value FROM json_each(?))",
                (orjson.dumps([row[0] for row in rows]),),
            )
        )
        taken = [row for row in rows if held.get(row[0], row[-1]) != row[-1]]
        if not taken or self._log is None:
            return
        (given,) = conn.execute(f"SELECT {_GIVEN} FROM journal").fetchone()
        ids = self._log.new_ids(len(taken), given)
        conn.executemany(_TAKE, [(i, *row[1:]) for i, row in zip(ids, taken, strict=True)])
        log.warning(
            "journal entries %s had ids that another writer of %s had given (a kore-mock that"
            " does not know the journal's log?): kept as entries %s",
            ", ".join(str(row[0]) for row in taken),
            self._log.path,
            ", ".join(map(str, ids)),
        )

    def close(self) -> None:
        """The log drained (a clean stop leaves no entry in it), the background stopped."""
        if self._closed:
            return
        self._closed = True
        if self._log is not None:
            sqlite_wal.stop_running(self)
            try:
                if self._log.pending():
                    self._drain_with(self._background)  # a connection closed when done
            except (OSError, sqlite3.Error, StoreFull) as exc:  # kept for the next start
                log.warning("the journal's log %s was not drained: %s", self._log.path, exc)
            self._log.close()

    def query(self, where: JournalFilter = EVERY_ENTRY, *, limit: int = 100) -> list[dict]:
        clauses, params = _where(where)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, entry FROM journal" + clauses + " ORDER BY id DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [{"id": i, **orjson.loads(e)} for i, e in rows]

    def get(self, entry_id: int) -> dict[str, Any] | None:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT entry FROM journal WHERE id = ? AND " + _WINDOW, (entry_id,)
            ).fetchone()
        return None if row is None else {"id": entry_id, **orjson.loads(row[0])}

    def count(self, where: JournalFilter = EVERY_ENTRY) -> int:
        clauses, params = _where(where)
        with self._reading() as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM journal" + clauses, params).fetchone()
        return count

    def clear(self) -> None:
        with self._connection() as conn, self._writer_lock():
            self._drain(conn)  # the log's entries are cleared too
            with _immediate(conn):
                conn.execute(_KEEP_GIVEN)
                conn.execute("DELETE FROM journal")

    def keep(self, keep: int) -> None:
        with self._connection() as conn, self._writer_lock():
            self._drain(conn)
            with _immediate(conn):
                conn.execute(_SET_KEEP, (keep,))
                conn.execute(
                    "DELETE FROM journal WHERE id <= (SELECT MAX(id) FROM journal) - ?", (keep,)
                )
            self._keep = keep

    def entries(self) -> list[tuple[int, dict[str, Any]]]:
        """Every entry in the journal, oldest first (a snapshot's journal)."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, entry FROM journal WHERE " + _WINDOW + " ORDER BY id"
            ).fetchall()
        return [(i, orjson.loads(e)) for i, e in rows]

    def replace_all(self, entries: list[tuple[int, dict[str, Any]]]) -> None:
        """Every entry replaced by ``entries`` (ids kept), in one transaction of its own (the
        store's replace has committed its file's part already)."""
        with self._connection() as conn, self._writer_lock():
            self._drain(conn)  # the entries waiting in the log are replaced too
            if self._log is not None and entries:
                self._log.raise_given(max(i for i, _ in entries))  # before any new id
            with _immediate(conn):
                self.write_all(conn, entries)

    @staticmethod
    def write_all(conn: sqlite3.Connection, entries: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Every entry replaced by ``entries`` (ids kept), in the caller's transaction."""
        conn.execute(_KEEP_GIVEN)
        conn.execute("DELETE FROM journal")
        conn.executemany(
            f"INSERT INTO journal (id, {JOURNAL_COLUMNS}, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, *journal_columns(e), orjson.dumps(e)) for i, e in entries],
        )

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One read transaction (the window and the rows come from the same state), of every
        entry appended before it."""
        self._drained()
        with self._connection() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction of the journal's file: committed when the block returns, rolled
    back when it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        disk_full.rollback(conn)
        raise
    conn.execute("COMMIT")


def _columns(conn: sqlite3.Connection) -> tuple[str, ...]:
    return tuple(row[1] for row in conn.execute("PRAGMA table_info(journal)"))


def _current(conn: sqlite3.Connection) -> bool:
    """The journal table has today's layout (no AUTOINCREMENT, no index of an earlier one), and
    its meta table."""
    if _columns(conn) != LAYOUT:
        return False
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'journal'").fetchone()
    if "AUTOINCREMENT" in sql.upper():
        return False
    (indexed,) = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pragma_index_list('journal'))"
    ).fetchone()
    (meta,) = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'journal_meta')"
    ).fetchone()
    return not indexed and bool(meta)


def _rebuild(conn: sqlite3.Connection) -> None:
    """The journal of an earlier layout into today's (in the caller's transaction): the entries
    and their ids kept, and no id ever given again (AUTOINCREMENT's high-water mark kept as
    ``given``)."""
    kept = [column for column in LAYOUT if column in _columns(conn)]
    (sequenced,) = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence')"
    ).fetchone()
    if sequenced:
        (high,) = conn.execute(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'journal'), 0)"
        ).fetchone()
        conn.execute(
            "INSERT INTO journal_meta (key, value) VALUES ('given', ?) ON CONFLICT (key)"
            " DO UPDATE SET value = MAX(value, excluded.value)",
            (high,),
        )
        conn.execute("DELETE FROM sqlite_sequence WHERE name IN ('journal', 'journal_rebuilt')")
    conn.execute(TABLE.replace("journal (", "journal_rebuilt (", 1))
    conn.execute(
        f"INSERT INTO journal_rebuilt ({', '.join(kept)}) SELECT {', '.join(kept)} FROM journal"
    )
    # a layout from before the filter columns: its entries' values, for the filters
    fill_later_columns(conn, "journal_rebuilt", [c for c in LATER_JOURNAL_COLUMNS if c not in kept])
    conn.execute("DROP TABLE journal")  # its indexes go with it
    conn.execute("ALTER TABLE journal_rebuilt RENAME TO journal")


def fill_later_columns(
    conn: sqlite3.Connection, table: str, columns: Iterable[str], up_to_id: int | None = None
) -> None:
    """Fill ``LATER_JOURNAL_COLUMNS`` (those named) of a journal table's entries from their JSON,
    as ``journal_columns`` reads them (entries up to ``up_to_id``, or all)."""
    filled = [
        f"{column} = CASE WHEN json_valid(entry)"
        f" THEN json_extract(entry, '$.{'.'.join(LATER_JOURNAL_COLUMNS[column])}') END"
        for column in columns
    ]
    if filled:
        where = "" if up_to_id is None else f" WHERE id <= {int(up_to_id)}"
        conn.execute(f"UPDATE {table} SET {', '.join(filled)}{where}")


def _where(where: JournalFilter) -> tuple[str, list[Any]]:
    conditions = where.conditions()
    clauses = [_WINDOW, *(f"{column} {operator} ?" for column, operator, _ in conditions)]
    return " WHERE " + " AND ".join(clauses), [value for _, _, value in conditions]
