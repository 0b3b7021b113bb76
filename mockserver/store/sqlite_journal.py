"""The SQLite store's request journal: its own file beside the store's, written one row a request.

Every request writes one journal row, a GET too. In the store's own file that row took SQLite's
one write lock — the lock every contact write needs — so the worker processes took turns for
it. In a file of its own (``<db>.journal``, WAL like the store) a journal row waits only for
other journal rows, and is one short statement into a table without secondary indexes
(``LAYOUT``):

- one autocommitted INSERT per entry (committed, hence visible to every process, before the
  answer leaves: a ``verify`` right after it sees it, whichever worker it reaches);
- the journal keeps the newest ``keep`` entries: every read shows only the ids within ``keep``
  of the newest (ids are consecutive: one writer at a time), and the rows below that window are
  deleted every ``TRIM_EVERY`` entries, not on every request;
- an id is never given twice: a new entry's id is one above the newest entry's, or above the
  highest id ever given (``journal_meta``'s ``given``) when that is higher — kept when the
  newest entries go (a clear, a snapshot restored), not on every request. SQLite's AUTOINCREMENT
  kept it on every insert, in a page of its own: each entry wrote two pages to the WAL.

``:memory:`` stores keep the journal in their one in-memory database (one process).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import orjson

from mockserver.store.base import EVERY_ENTRY, JOURNAL_COLUMNS, JournalFilter, journal_columns

TRIM_EVERY = 64  # entries between two deletions of the rows that fell out of the journal

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

# the highest id the journal gave: its newest entry's, or the one kept in the meta table
_GIVEN = (
    "MAX(COALESCE(MAX(id), 0), COALESCE((SELECT value FROM journal_meta WHERE key = 'given'), 0))"
)
_INSERT = (  # VALUES with a subquery: an INSERT ... SELECT from the table it writes to
    # goes through a temporary table, as slow as AUTOINCREMENT
    f"INSERT INTO journal (id, {JOURNAL_COLUMNS}, entry)"
    f" VALUES ((SELECT {_GIVEN} + 1 FROM journal), ?, ?, ?, ?, ?, ?, ?)"
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
    ) -> None:
        self._connection = connection
        self._writer_lock = writer_lock
        self._keep: int | None = None  # the keep this process recorded last

    def create(self) -> None:
        """The journal table as ``LAYOUT`` says; a journal of an earlier layout (columns in
        another order, fewer of them, indexes) is rebuilt once, its entries and ids kept."""
        with self._connection() as conn:
            if _current(conn):  # every start after the first: reads only
                return
            with self._writer_lock():
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(META)
                    if not _columns(conn):
                        conn.execute(TABLE)
                    elif not _current(conn):  # checked again: under the lock now
                        _rebuild(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")

    def add(self, entry: dict[str, Any], *, keep: int) -> int:
        with self._connection() as conn, self._writer_lock():
            if keep != self._keep:  # once per process, or when the setting changes
                conn.execute(
                    "INSERT INTO journal_meta (key, value) VALUES ('keep', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (keep,),
                )
                self._keep = keep
            entry_id = conn.execute(
                _INSERT, (*journal_columns(entry), orjson.dumps(entry))
            ).lastrowid
            if entry_id % TRIM_EVERY == 0:
                conn.execute("DELETE FROM journal WHERE id <= ?", (entry_id - keep,))
        return entry_id

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
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(_KEEP_GIVEN)
                conn.execute("DELETE FROM journal")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def entries(self) -> list[tuple[int, dict[str, Any]]]:
        """Every entry in the journal, oldest first (a snapshot's journal)."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, entry FROM journal WHERE " + _WINDOW + " ORDER BY id"
            ).fetchall()
        return [(i, orjson.loads(e)) for i, e in rows]

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
        """One read transaction: the window and the rows come from the same state."""
        with self._connection() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
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
    conn.execute("DROP TABLE journal")  # its indexes go with it
    conn.execute("ALTER TABLE journal_rebuilt RENAME TO journal")


def _where(where: JournalFilter) -> tuple[str, list[Any]]:
    conditions = where.conditions()
    clauses = [_WINDOW, *(f"{column} {operator} ?" for column, operator, _ in conditions)]
    return " WHERE " + " AND ".join(clauses), [value for _, _, value in conditions]
