"""PostgreSQL backend: any number of mock processes, on one machine or many, share one database.

- ``write(ns)`` takes a transaction-level advisory lock derived from the namespace, so the
  duplicate rule's read-check-insert is atomic across every process and machine on the database,
  while writes to other namespaces go on in parallel. The partial unique index is the backstop.
- A whole-store reset or a snapshot load (``replace_contents``) locks the tables exclusively:
  it waits for the writes under way (each holds the contacts table from its first statement)
  and the writes after it wait for it, so an import is wholly before or wholly after a reset
  (never half kept).
- The schema is created and migrated on start under an advisory lock, so several instances may
  start at once on an empty database.
- Each process has its own connection pool (psycopg_pool), opened on first use in that process:
  gunicorn workers forked from one parent never share a connection.
- New contacts go in with ``COPY``: a 100,000-row import is one statement.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any

import psycopg
from psycopg import errors, sql
from psycopg.types.json import Json
from psycopg_pool import ConnectionPool, PoolTimeout

from mockserver import process
from mockserver.contacts.model import ACTIVE, Contact, Namespace
from mockserver.contacts.ports import ContactsTransaction, NumberTaken
from mockserver.store import blocks, disk_full
from mockserver.store.base import (
    COLUMNS,
    CONTENT_COLUMNS,
    EVERY_ENTRY,
    JOURNAL_COLUMNS,
    LATER_JOURNAL_COLUMNS,
    ContentsRefused,
    JournalFilter,
    Store,
    StoreContents,
    StoreFull,
    StoreUnavailable,
    display_url,
    journal_columns,
    number_search,
    promote_sql,
    schema_version_to_migrate,
)

POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 8  # a gthread worker serves 4 requests at once; each uses one connection at a time
CONNECT_TIMEOUT = 10  # seconds
# A pooled connection idle longer than this is checked (a round trip) before it is handed out;
# one returned a moment ago is not: checking every checkout cost a round trip per statement
# group, a third of a list request's time.
CHECK_IDLE_AFTER = 30.0  # seconds
# A mock machine that dies without closing its connections (power loss, network cut) must not
# hold a namespace lock for hours: the server drops its session after a minute of silence.
# A request blocked inside PostgreSQL (a lock someone holds in psql, a stuck server) ends after
# lock_timeout / statement_timeout with a 503 instead of waiting as long as the block lasts.
# The statement limit is far above the largest import's COPY (200,000 rows: ~6 s).
SESSION_SETTINGS = (
    "-c idle_in_transaction_session_timeout=60s"
    " -c lock_timeout=30s -c statement_timeout=300s"
    " -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
)
POOL_WAIT = 30.0  # seconds a request waits for a connection, then 503
# The journal entry of an answer already made waits this long for a connection (a free one is
# there in normal use: a worker has more connections than threads), and next to nothing while
# the store has just failed: a 503 waited the pool's 30 s a second time, for its journal entry.
JOURNAL_WAIT = 5.0
JOURNAL_WAIT_AFTER_FAILURE = 0.2
FAILURE_FRESH = 30.0  # seconds a store failure counts as just now
# A pool that cannot connect retries with a growing delay (1, 2, 4 ... s) for this long, then
# gives up until a request asks again: PostgreSQL back after a long outage is found within
# seconds, not after the pool's next backoff (psycopg_pool's default: retries for 300 s, the
# delay doubling up to over a minute).
RECONNECT_SECONDS = 10.0

# pg_advisory_xact_lock(int, int) keys do not overlap the single-bigint keys of namespaces.
_MIGRATION_LOCK = (0x6B6F7265, 1)
_STATE_LOCK = (0x6B6F7265, 2)  # read-modify-write of the run-time state

_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM contacts"
# Connections a client without superuser rights may still open (PostgreSQL 16 reserves some
# more for roles with pg_use_reserved_connections).
_ROOM = (
    "SELECT current_setting('max_connections')::int"
    " - current_setting('superuser_reserved_connections')::int"
    " - COALESCE(current_setting('reserved_connections', true)::int, 0)"
    " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int"
)
_COPY = "COPY contacts (" + ", ".join(COLUMNS) + ", dup_slot) FROM STDIN"
_COPY_SLOT_0 = "COPY contacts (" + ", ".join(COLUMNS) + ") FROM STDIN"
_UPDATE = (
    "UPDATE contacts SET "
    + ", ".join(f"{c} = %s" for c in COLUMNS[3:])
    + ", dup_slot = %s WHERE id = %s RETURNING seq"
)
_NS = "account_id = %s AND stream_id = %s"
_PROMOTE = promote_sql("%s")
_BLOCKS_MOVED = blocks.moved_sql("%s")
_ARRAY_ITEM_ESCAPE = re.compile(r'["\\]')  # what an array literal's quoted item escapes
_TAKEN_KEY = re.compile(r"=\(.*, (\+\d+), \d+\) already exists")

# Index i holds the statements that bring a store at version i to version i + 1.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE contacts (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at TEXT NOT NULL,
            operation TEXT,
            status INTEGER NOT NULL,
            entry JSON NOT NULL
        )""",
        "CREATE TABLE state (key TEXT PRIMARY KEY, value JSON NOT NULL)",
    ],
    [
        """CREATE TABLE counters (
            key TEXT NOT NULL,
            time_window BIGINT NOT NULL,
            hits INTEGER NOT NULL,
            PRIMARY KEY (key, time_window)
        )""",
        "CREATE INDEX journal_at ON journal (at)",
    ],
    [
        blocks.TABLE,
        blocks.POPULATE,
        # every insert, COPY included, counts its rows in the same statement's transaction
        "CREATE FUNCTION contact_blocks_added() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {blocks.added_rows_sql('new_contacts')}; RETURN NULL; END $$",
        "CREATE TRIGGER contacts_counted AFTER INSERT ON contacts"
        " REFERENCING NEW TABLE AS new_contacts"
        " FOR EACH STATEMENT EXECUTE FUNCTION contact_blocks_added()",
    ],
    [
        # what the journal's filters read besides at / operation / status
        "ALTER TABLE journal ADD COLUMN scenario TEXT",  # X-Mock-Scenario
        "ALTER TABLE journal ADD COLUMN account_id TEXT",  # the namespace addressed
        "ALTER TABLE journal ADD COLUMN stream_id TEXT",
        "CREATE INDEX journal_scenario ON journal (scenario)",
        "CREATE INDEX journal_namespace ON journal (account_id, stream_id)",
        "UPDATE journal SET "  # the entries written before, for the filters
        + ", ".join(
            f"{column} = entry #>> '{{{','.join(path)}}}'"
            for column, path in LATER_JOURNAL_COLUMNS.items()
        ),
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


def _note_returned(conn: psycopg.Connection) -> None:
    conn._kore_returned_at = time.monotonic()  # the pool sets its own attributes the same way


def _check_if_idle(conn: psycopg.Connection) -> None:
    """The pool's check: a connection idle a while may have been dropped by the server."""
    if time.monotonic() - getattr(conn, "_kore_returned_at", 0.0) > CHECK_IDLE_AFTER:
        ConnectionPool.check_connection(conn)


def namespace_lock_key(ns: Namespace) -> int:
    """The advisory-lock key of a namespace: the same on every machine (not Python's hash)."""
    digest = hashlib.blake2b(f"{ns.account_id}\0{ns.stream_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def text_array(values: Sequence[str]) -> str:
    """``values`` as one PostgreSQL array literal, for ``= ANY(%s::text[])``: psycopg dumps a
    Python list item by item (a quarter of a second for an import's 100,000 numbers), a string
    at once."""
    if not values:
        return "{}"
    if any('"' in v or "\\" in v for v in values):
        values = [_ARRAY_ITEM_ESCAPE.sub(r"\\\g<0>", v) for v in values]
    return '{"' + '","'.join(values) + '"}'


def _lock_namespace(conn: psycopg.Connection, ns: Namespace) -> None:
    """Until the transaction ends, every other writer of ``ns`` waits (on any machine)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (namespace_lock_key(ns),))


class PostgresTransaction(ContactsTransaction):
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def holders(
        self, ns: Namespace, keys: Sequence[str], *, inactive: bool = False
    ) -> dict[str, str]:
        if not keys:
            return {}
        # One number (a create of one contact) is an equality: right after a large import,
        # before PostgreSQL has statistics of it, ``= ANY`` may be planned as a filter over the
        # whole namespace (60 ms at 100,000 contacts) instead of a probe of the holder index.
        if len(keys) == 1:
            match, key_param = "= %s", keys[0]
        elif self._empty(ns):  # an import into a new stream: one probe, not one per number
            return {}
        else:
            match, key_param = "= ANY(%s::text[])", text_array(keys)
        rows = self.conn.execute(
            "SELECT phone_number, id FROM contacts WHERE " + _NS + " AND status = 'ACTIVE'"
            f" AND phone_number {match} ORDER BY dup_slot DESC",
            (ns.account_id, ns.stream_id, key_param),
        )
        held = dict(rows)  # slot 0 comes last and wins
        free = [key for key in keys if key not in held] if inactive else []
        if free:
            rows = self.conn.execute(
                "SELECT phone_number, id FROM contacts WHERE " + _NS + " AND status = 'INACTIVE'"
                " AND phone_number = ANY(%s::text[]) ORDER BY seq DESC",
                (ns.account_id, ns.stream_id, text_array(free)),
            )
            held |= dict(rows)  # the oldest deleted holder comes last and wins
        return held

    def insert(self, contacts: Sequence[Contact], *, legacy: bool = False) -> None:
        if not contacts:
            return
        try:
            with self.conn.cursor() as cursor:
                if not legacy:  # dup_slot takes its default, 0; a Contact is a row already
                    with cursor.copy(_COPY_SLOT_0) as copy:
                        for contact in contacts:
                            copy.write_row(contact)
                    return
                slots = self._legacy_slots(contacts)
                with cursor.copy(_COPY) as copy:
                    for contact, slot in zip(contacts, slots, strict=True):
                        copy.write_row((*_values(contact), slot))
        except errors.UniqueViolation as exc:
            raise NumberTaken(_taken_key(exc)) from None

    def _empty(self, ns: Namespace) -> bool:
        """Whether the namespace has no contact at all, ACTIVE or INACTIVE (the listing index)."""
        row = self.conn.execute(
            "SELECT 1 FROM contacts WHERE " + _NS + " LIMIT 1", (ns.account_id, ns.stream_id)
        ).fetchone()
        return row is None

    def _legacy_slots(self, contacts: Sequence[Contact]) -> list[int]:
        """Slot 0 for a free number, else one above the highest ACTIVE slot (legacy seeds)."""
        ns = contacts[0].namespace
        keys = sorted({c.phone_number for c in contacts})
        rows = self.conn.execute(
            "SELECT phone_number, MAX(dup_slot) FROM contacts WHERE "
            + _NS
            + " AND status = 'ACTIVE' AND phone_number = ANY(%s::text[]) GROUP BY phone_number",
            (ns.account_id, ns.stream_id, text_array(keys)),
        )
        following = {key: top + 1 for key, top in rows}
        slots = []
        for contact in contacts:
            slot = following.get(contact.phone_number, 0)
            following[contact.phone_number] = slot + 1
            slots.append(slot)
        return slots

    def get_active(self, ns: Namespace, contact_id: str) -> Contact | None:
        row = self.conn.execute(
            _SELECT + " WHERE id = %s AND " + _NS + " AND status = 'ACTIVE'",
            (contact_id, ns.account_id, ns.stream_id),
        ).fetchone()
        return None if row is None else Contact(*row)

    def update(self, contact: Contact, *, previous: Contact) -> None:
        (slot,) = self.conn.execute(
            "SELECT dup_slot FROM contacts WHERE id = %s", (contact.id,)
        ).fetchone()
        leaves_number = previous.status == ACTIVE and (
            contact.status != ACTIVE or contact.phone_number != previous.phone_number
        )
        if contact.phone_number != previous.phone_number:
            slot = 0
        try:
            # a savepoint: a refused update must leave the rest of a bulk update usable
            with self.conn.transaction():
                (seq,) = self.conn.execute(
                    _UPDATE, (*_values(contact)[3:], slot, contact.id)
                ).fetchone()
        except errors.UniqueViolation:
            raise NumberTaken(contact.phone_number) from None
        if contact.status != previous.status:
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
        return _page(self.conn, ns, ACTIVE, skip, limit)

    def active(self, ns: Namespace) -> Iterator[Contact]:
        with self.conn.cursor(name="active_contacts") as cursor:  # server side: streams rows
            cursor.execute(_SELECT + " WHERE " + _NS + " AND status = 'ACTIVE' ORDER BY seq", ns)
            for row in cursor:
                yield Contact(*row)


_values = attrgetter(*COLUMNS)  # Contact -> the row of COLUMNS


def _page(
    conn: psycopg.Connection, ns: Namespace, status: str | None, skip: int, limit: int
) -> tuple[list[Contact], int]:
    rows, total = blocks.page(conn.execute, "%s", _SELECT, ns, status, skip, limit)
    return [Contact(*r) for r in rows], total


def _taken_key(exc: errors.UniqueViolation) -> str | None:
    match = _TAKEN_KEY.search(exc.diag.message_detail or "")
    return match.group(1) if match else None


class PostgresStore(Store):
    def __init__(self, url: str) -> None:
        self._conninfo = url
        self.url = display_url(url)
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._pool_pid = 0
        self._failed_at = -FAILURE_FRESH  # when the store last failed a request (monotonic)
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as conn:
                _migrate(conn)
                self._name_match = _name_match(conn)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"cannot use PostgreSQL at {self.url}: {exc}") from None
        except psycopg.ProgrammingError as exc:
            raise StoreUnavailable(_schema_refusal(self.url, exc)) from None

    # -- connections -----------------------------------------------------------------------

    def _connections(self) -> ConnectionPool:
        """This process's pool; a forked child opens its own (the parent's sockets stay put)."""
        pid = process.pid()
        if self._pool is None or self._pool_pid != pid:
            with self._lock:
                if self._pool is None or self._pool_pid != pid:
                    pool = ConnectionPool(
                        self._conninfo,
                        min_size=POOL_MIN_SIZE,
                        max_size=POOL_MAX_SIZE,
                        kwargs=self._connect_options(pid),
                        check=_check_if_idle,
                        reset=_note_returned,
                        name=f"kore-mock-{pid}",
                        timeout=POOL_WAIT,
                        reconnect_timeout=RECONNECT_SECONDS,
                        open=False,
                    )
                    pool.open(wait=True, timeout=CONNECT_TIMEOUT)
                    self._pool, self._pool_pid = pool, pid
        return self._pool

    def _connect_options(self, pid: int) -> dict[str, Any]:
        # autocommit: a single statement is one round trip; a transaction says so (BEGIN..COMMIT)
        options: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT, "autocommit": True}
        if "application_name" not in self._conninfo:  # who holds which connection, in pg_stat_*
            options["application_name"] = f"kore-mock[{pid}]"
        if "options" not in self._conninfo:
            options["options"] = SESSION_SETTINGS
        return options

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        with self._unavailable(), self._connections().connection() as conn, conn.transaction():
            yield conn

    @contextmanager
    def _statement(self, wait: float | None = None) -> Iterator[psycopg.Connection]:
        """A pooled connection for one statement, which commits on its own (autocommit);
        ``wait``: seconds to wait for it, if not the pool's."""
        with self._unavailable(), self._connections().connection(timeout=wait) as conn:
            yield conn

    @contextmanager
    def _unavailable(self) -> Iterator[None]:
        """A lost connection (the server restarted: a pooled connection dies once, when next
        used) or no connection within the pool's timeout is ``StoreUnavailable``: the client is
        told to try again (503), not 500. A transaction cut off so did not commit (unless the
        connection was lost during its COMMIT, which no client of any database can tell)."""
        try:
            yield
        except (psycopg.OperationalError, PoolTimeout) as exc:
            if disk_full.is_full(exc):  # the server's disk: it still answers
                raise StoreFull(self.url, str(exc).strip().partition("\n")[0]) from None
            self._failed_at = time.monotonic()
            lines = str(exc).strip().splitlines() or [type(exc).__name__]
            raise StoreUnavailable(f"PostgreSQL at {self.url}: {lines[0]}") from None

    @contextmanager
    def write(self, ns: Namespace) -> Iterator[ContactsTransaction]:
        with self._transaction() as conn:
            _lock_namespace(conn, ns)
            yield PostgresTransaction(conn)

    @contextmanager
    def read(self) -> Iterator[ContactsTransaction]:
        with self._transaction() as conn:
            yield PostgresTransaction(conn)

    # -- control-plane state ---------------------------------------------------------------

    def namespaces(self) -> list[dict[str, Any]]:
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT account_id, stream_id, SUM(active), SUM(inactive) FROM contact_blocks"
                " GROUP BY account_id, stream_id HAVING SUM(active + inactive) > 0"
                # byte order, as SQLite's: the database's collation (en-US) put a_b before a-b
                ' ORDER BY account_id COLLATE "C", stream_id COLLATE "C"'
            ).fetchall()
        return [
            {"accountId": a, "streamId": s, "active": act, "inactive": inact}
            for a, s, act, inact in rows
        ]

    def reset(self, ns: Namespace) -> int:
        with self._transaction() as conn:
            _lock_namespace(conn, ns)
            conn.execute("DELETE FROM contact_blocks WHERE " + _NS, ns)
            return conn.execute("DELETE FROM contacts WHERE " + _NS, ns).rowcount

    def journal_add(self, entry: dict[str, Any], *, keep: int) -> int:
        failed_lately = time.monotonic() - self._failed_at < FAILURE_FRESH
        wait = JOURNAL_WAIT_AFTER_FAILURE if failed_lately else JOURNAL_WAIT
        with self._statement(wait) as conn:  # one statement, one round trip: add, then trim
            (entry_id,) = conn.execute(
                f"WITH added AS (INSERT INTO journal ({JOURNAL_COLUMNS}, entry)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id),"
                " trimmed AS (DELETE FROM journal WHERE id <= (SELECT id FROM added) - %s)"
                " SELECT id FROM added",
                (*journal_columns(entry), Json(entry), keep),
            ).fetchone()
        return entry_id

    def journal_query(
        self, where: JournalFilter = EVERY_ENTRY, *, limit: int = 100
    ) -> list[dict[str, Any]]:
        clauses, params = _journal_where(where)
        query = sql.SQL("SELECT id, entry FROM journal{} ORDER BY id DESC LIMIT %s").format(clauses)
        with self._statement() as conn:
            rows = conn.execute(query, (*params, limit)).fetchall()
        return [{"id": i, **e} for i, e in rows]

    def journal_count(self, where: JournalFilter = EVERY_ENTRY) -> int:
        clauses, params = _journal_where(where)
        with self._statement() as conn:
            (count,) = conn.execute(
                sql.SQL("SELECT COUNT(*) FROM journal{}").format(clauses), params
            ).fetchone()
        return count

    def journal_get(self, entry_id: int) -> dict[str, Any] | None:
        with self._statement() as conn:
            row = conn.execute("SELECT entry FROM journal WHERE id = %s", (entry_id,)).fetchone()
        return None if row is None else {"id": entry_id, **row[0]}

    def journal_clear(self) -> None:
        with self._statement() as conn:
            conn.execute("DELETE FROM journal")

    def journal_keep(self, keep: int) -> None:
        with self._statement() as conn:
            conn.execute(
                "DELETE FROM journal WHERE id <= (SELECT MAX(id) FROM journal) - %s", (keep,)
            )

    def find_contacts(
        self, ns: Namespace, *, text: str = "", status: str | None = None, skip: int, limit: int
    ) -> tuple[list[Contact], int]:
        if not text:
            with self._transaction() as conn:
                return _page(conn, ns, status, skip, limit)
        clauses = [_NS]
        params: list[Any] = [*ns]
        if status is not None:
            clauses.append("status = %s")
            params.append(status)
        if text:
            match = self._name_match
            params.append(_contains(text))
            digits = number_search(text)
            if digits:
                match += " OR phone_number LIKE %s"
                params.append(f"%{digits}%")
            clauses.append(f"({match})")
        where = " WHERE " + " AND ".join(clauses)
        with self._transaction() as conn:
            (total,) = conn.execute("SELECT COUNT(*) FROM contacts" + where, params).fetchone()
            rows = conn.execute(
                _SELECT + where + " ORDER BY seq LIMIT %s OFFSET %s", (*params, limit, skip)
            ).fetchall()
        return [Contact(*r) for r in rows], total

    def counter_hit(self, key: str, window: int) -> int:
        with self._transaction() as conn:
            conn.execute("DELETE FROM counters WHERE time_window < %s", (window,))
            (hits,) = conn.execute(
                "INSERT INTO counters (key, time_window, hits) VALUES (%s, %s, 1)"
                " ON CONFLICT (key, time_window) DO UPDATE SET hits = counters.hits + 1"
                " RETURNING hits",
                (key, window),
            ).fetchone()
        return hits

    def get_state(self, key: str) -> Any:
        with self._statement() as conn:
            row = conn.execute("SELECT value FROM state WHERE key = %s", (key,)).fetchone()
        return None if row is None else row[0]

    def all_state(self) -> dict[str, Any]:
        with self._statement() as conn:
            return dict(conn.execute("SELECT key, value FROM state").fetchall())

    def set_state(self, key: str, value: Any) -> None:
        with self._transaction() as conn:
            _write_state(conn, key, value)

    def update_state(self, key: str, change: Callable[[Any], Any]) -> Any:
        with self._transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", _STATE_LOCK)
            row = conn.execute("SELECT value FROM state WHERE key = %s", (key,)).fetchone()
            value = change(None if row is None else row[0])
            _write_state(conn, key, value)
        return value

    def contents(self, *, with_journal: bool) -> StoreContents:
        with self._transaction() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot
            contacts = conn.execute(
                "SELECT " + ", ".join(CONTENT_COLUMNS) + " FROM contacts ORDER BY seq"
            ).fetchall()
            state = dict(conn.execute("SELECT key, value FROM state").fetchall())
            journal = None
            if with_journal:
                rows = conn.execute("SELECT id, entry FROM journal ORDER BY id").fetchall()
                journal = [(i, e) for i, e in rows]
        return StoreContents([tuple(r) for r in contacts], state, journal)

    def replace_contents(self, contents: StoreContents) -> int:
        columns = sql.SQL(", ").join(map(sql.Identifier, CONTENT_COLUMNS))
        with self._transaction() as conn:
            # every writer (namespace advisory locks, state updates, the journal) waits
            conn.execute(
                "LOCK TABLE contacts, contact_blocks, journal, state, counters"
                " IN ACCESS EXCLUSIVE MODE"
            )
            conn.execute("DELETE FROM contact_blocks")  # the COPY's trigger counts anew
            removed = conn.execute("DELETE FROM contacts").rowcount
            conn.execute("DELETE FROM journal")
            conn.execute("DELETE FROM state")
            conn.execute("DELETE FROM counters")
            try:
                with (
                    conn.cursor() as cursor,
                    cursor.copy(sql.SQL("COPY contacts ({}) FROM STDIN").format(columns)) as copy,
                ):
                    for row in contents.contacts:
                        copy.write_row(row)
            except errors.UniqueViolation as exc:
                raise ContentsRefused(_refusal(exc)) from None
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO state (key, value) VALUES (%s, %s)",
                    [(key, Json(value)) for key, value in contents.state.items()],
                )
                cursor.executemany(
                    f"INSERT INTO journal (id, {JOURNAL_COLUMNS}, entry)"
                    " OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [(i, *journal_columns(e), Json(e)) for i, e in contents.journal or ()],
                )
            # new entries follow the restored ones, and no id is given twice: not one the
            # sequence gave before the load either (it restarted at the snapshot's newest)
            conn.execute(
                "SELECT setval(pg_get_serial_sequence('journal', 'id'), GREATEST("
                " COALESCE((SELECT MAX(id) FROM journal), 0),"
                " COALESCE(pg_sequence_last_value(pg_get_serial_sequence('journal', 'id')), 0)"
                ") + 1, false)"
            )
        return removed

    def connection_room(self, workers: int) -> str | None:
        wanted = workers * POOL_MAX_SIZE
        with self._statement() as conn:
            (room,) = conn.execute(_ROOM).fetchone()
        room += 1  # this connection goes when the store is closed
        if wanted <= room:
            return None
        return (
            f"PostgreSQL takes {room} more connections, fewer than this server's {workers} "
            f"worker(s) x {POOL_MAX_SIZE} may open: size max_connections (past it, a worker "
            "that gets none answers 503)"
        )

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pool_pid == process.pid():
                self._pool.close()
            self._pool = None


def _write_state(conn: psycopg.Connection, key: str, value: Any) -> None:
    if value is None:
        conn.execute("DELETE FROM state WHERE key = %s", (key,))
    else:
        conn.execute(
            "INSERT INTO state (key, value) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, Json(value)),
        )


def _refusal(exc: errors.UniqueViolation) -> str:
    if exc.diag.constraint_name == "contacts_id_key":
        return "two contacts share an id"
    return "two ACTIVE contacts of a namespace hold one number at the same slot (dupSlot)"


def _journal_where(where: JournalFilter) -> tuple[sql.Composable, list[Any]]:
    conditions = where.conditions()
    if not conditions:
        return sql.SQL(""), []
    clauses = sql.SQL(" AND ").join(
        sql.SQL("{} " + operator + " %s").format(sql.Identifier(column))
        for column, operator, _ in conditions
    )
    return sql.SQL(" WHERE ") + clauses, [value for _, _, value in conditions]


def _name_match(conn: psycopg.Connection) -> str:
    """The browse search's name clause: any case, for every letter. ILIKE folds by the
    database's ctype (under C, ASCII letters only); ICU's root collation, where PostgreSQL has
    it, lowers every script, as SQLite's search (Python's casefold) does."""
    icu = conn.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'").fetchone()
    if icu is None:
        return "(first_name || ' ' || last_name) ILIKE %s ESCAPE '!'"
    return (
        """lower((first_name || ' ' || last_name) COLLATE "und-x-icu")"""
        """ LIKE lower(%s COLLATE "und-x-icu") ESCAPE '!'"""
    )


def _contains(text: str) -> str:
    """A LIKE pattern (escape ``!``) matching values that contain ``text``."""
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _schema_refusal(url: str, exc: psycopg.ProgrammingError) -> str:
    """Why kore-mock cannot make its tables in the database ``url`` names."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, errors.InsufficientPrivilege):
        return f"PostgreSQL at {url}: {first} (kore-mock creates its tables there: grant CREATE)"
    return (
        f"PostgreSQL at {url} holds tables kore-mock did not make ({first}): give kore-mock a "
        "database of its own"
    )


def _migrate(conn: psycopg.Connection) -> None:
    """Bring the schema to ``SCHEMA_VERSION``; one process at a time, the others then see it."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", _MIGRATION_LOCK)
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = schema_version_to_migrate(int(row[0]) if row else 0, SCHEMA_VERSION)
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )
