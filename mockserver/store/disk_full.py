"""A full disk under the store, told apart from every other failure of it.

SQLite says "database or disk is full" (``SQLITE_FULL``) when a write finds no room, in its own
file, its WAL or a temporary file; the journal's log and the small shared files say ENOSPC (or
EDQUOT: a spent quota is a full disk to the store); PostgreSQL says ``disk_full`` (SQLSTATE
53100). Each becomes ``StoreFull``, which a request is answered as 507 in Kore's envelope with
one line in the server's log (``responses.render_error``), not a 500 and its traceback.
"""

from __future__ import annotations

import errno
import sqlite3

_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_PG_DISK_FULL = "53100"


def is_full(error: BaseException) -> bool:
    """``error`` says the disk is full (SQLite's ``SQLITE_FULL``, PostgreSQL's ``disk_full``,
    ENOSPC or EDQUOT)."""
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL
    if getattr(error, "sqlstate", None) == _PG_DISK_FULL:  # psycopg's errors (an extra)
        return True
    return isinstance(error, OSError) and error.errno in _FULL_ERRNOS


def rollback(conn: sqlite3.Connection) -> None:
    """The connection's transaction rolled back, unless SQLite did so itself: it does when a
    write finds the disk full, and a ROLLBACK then failed ("no transaction is active"), its
    error hiding the full disk."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")
