"""WAL checkpoints of the SQLite files, off the request path.

A commit in WAL mode with ``synchronous = NORMAL`` appends to the ``-wal`` file and does not
fsync: it is durable against a killed process the moment it returns. The fsyncs come with a
*checkpoint* (copying the WAL back into the database), which SQLite runs by itself inside the
commit that crosses ``wal_autocheckpoint`` pages — so every few hundred requests one request,
holding the write lock, waited for two fsyncs (tens of milliseconds on a virtual disk) while
every other writer of every worker queued behind it: a p99 that was all fsync.

Here each process runs one daemon thread that checkpoints every SQLite file it has open
(``PASSIVE``: it never blocks a reader or a writer) every ``INTERVAL`` seconds, so the commits
of requests never checkpoint. ``wal_autocheckpoint`` stays on at ``SAFETY_PAGES`` (much later
than SQLite's 1,000) as a bound on the WAL's size should the thread fall behind.

The same thread runs the store's other background chores (``also_run``): the journal's drain of
its log into its table (``sqlite_journal``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

from mockserver import process

log = logging.getLogger(__name__)

INTERVAL = 0.2  # seconds between two checkpoints of a file
SAFETY_PAGES = 20_000  # a commit checkpoints by itself past this many WAL pages (~80 MB)
SIZE_LIMIT = 64 * 1024 * 1024  # bytes the WAL file is truncated to after a checkpoint reset


def tune(conn: sqlite3.Connection, path: str) -> None:
    """A request connection of the file at ``path`` (already WAL): durable on commit without an
    fsync, checkpointed by this process's thread."""
    conn.execute("PRAGMA synchronous = NORMAL")  # durable against process kills
    conn.execute(f"PRAGMA wal_autocheckpoint = {SAFETY_PAGES}")
    conn.execute(f"PRAGMA journal_size_limit = {SIZE_LIMIT}")
    _checkpointer().watch(path)


def also_run(key: object, chore: Callable[[], None]) -> None:
    """``chore()`` on this process's thread too, before every round of checkpoints (it decides
    itself whether it has work; an error it raises is logged and the thread goes on)."""
    _checkpointer().add_chore(key, chore)


def stop_running(key: object) -> None:
    checkpointer = _started()
    if checkpointer is not None:
        checkpointer.drop_chore(key)


def forget(path: str) -> None:
    """The file is closed in this process (the store closed): stop checkpointing it."""
    checkpointer = _started()
    if checkpointer is not None:
        checkpointer.unwatch(path)


class _Checkpointer:
    def __init__(self) -> None:
        self.pid = process.pid()
        self._lock = threading.Lock()
        self._files: dict[str, sqlite3.Connection | None] = {}
        self._chores: dict[object, Callable[[], None]] = {}
        self._thread = threading.Thread(target=self._run, name="kore-mock-checkpoint", daemon=True)
        self._thread.start()

    def watch(self, path: str) -> None:
        with self._lock:
            self._files.setdefault(path, None)

    def add_chore(self, key: object, chore: Callable[[], None]) -> None:
        with self._lock:
            self._chores[key] = chore

    def drop_chore(self, key: object) -> None:
        with self._lock:
            self._chores.pop(key, None)

    def unwatch(self, path: str) -> None:
        with self._lock:
            conn = self._files.pop(path, None)
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _run(self) -> None:
        while True:
            time.sleep(INTERVAL)
            with self._lock:
                paths = list(self._files)
                chores = list(self._chores.values())
            for chore in chores:
                try:
                    chore()
                except Exception:
                    log.exception("a background chore of the SQLite store failed")
            for path in paths:
                self._checkpoint(path)

    def _checkpoint(self, path: str) -> None:
        with self._lock:
            if path not in self._files:
                return
            conn = self._files[path]
        try:
            if conn is None:
                # mode=rw: a file deleted under us is not created again
                conn = sqlite3.connect(
                    f"file:{quote(path)}?mode=rw", uri=True, isolation_level=None, timeout=0.05
                )
                with self._lock:
                    if path not in self._files:  # unwatched meanwhile
                        conn.close()
                        return
                    self._files[path] = conn
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            if not os.path.exists(path):  # the file is gone (a test's temporary store)
                self.unwatch(path)


_current: _Checkpointer | None = None
_start = threading.Lock()


def _started() -> _Checkpointer | None:
    """This process's checkpointer if it has one (a forked child has none of its parent's)."""
    current = _current
    return current if current is not None and current.pid == process.pid() else None


def _checkpointer() -> _Checkpointer:
    """This process's checkpointer (a forked worker starts its own)."""
    global _current
    current = _started()
    if current is not None:
        return current
    with _start:
        if _current is None or _current.pid != process.pid():
            _current = _Checkpointer()
        return _current
