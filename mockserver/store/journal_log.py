"""The SQLite journal's log: where a request's journal entry goes first, one ``write`` each.

Every answered request writes a journal entry. As a committed SQLite INSERT, each entry cost a
request 70 µs of its own and, with two workers writing the one journal file in turns, ~160 µs
of CPU per answer in the server (each connection found the other's commits and read the pages
again): a list answered 30 to 45 % more requests with the entry appended to a plain file instead.
So an entry is appended to ``<journal>.log`` with one ``write`` (``O_APPEND``), and the journal's
table takes the log's entries in bulk — before any read of the journal, and in the background.

- **Ids**: the highest id given is a word in ``<journal>.ids``, mapped in memory by every
  process (``SharedWords``); an appender takes the next id and writes its record under the log's
  lock, so the log is in id order, ids are consecutive, and none is given twice.
- **Seen at once**: ``write`` returns once the record is in the file, which every process reads
  (and which outlives a killed process, like a WAL commit with ``synchronous = NORMAL``): a read
  of the journal first *drains* the log — renames it to ``<journal>.log.draining`` under the log's
  lock (a moment: appenders open the new file when the generation word changed), inserts its
  records into the table, then deletes it. A record acknowledged before the read began is in
  the renamed file.
- **An id taken meanwhile**: a record whose id the table holds with another entry (a kore-mock of
  schema 4 from before this log gave ids from the table: schema 5 keeps it away) is kept under a
  new id from the counter, and the server's log says so.
- **Crashes**: a record is ``\\n``, a JSON head ``[id, keep, body length, columns...]``, ``\\t`` and
  the entry's JSON (orjson writes no raw newline or tab). A record cut short by a killed writer
  fails its length check and is skipped, and the newline before the next one keeps that one
  whole. A drain that dies before it deleted the renamed file leaves it for the next drain,
  whose inserts skip the ids already in the table.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import orjson

from mockserver import process
from mockserver.store import disk_full
from mockserver.store.base import StoreFull, journal_columns
from mockserver.store.shared_words import SharedWords

GIVEN, GENERATION = 0, 1  # the words of ``<journal>.ids``
DRAIN_BYTES = 4 << 20  # the background drains a log this large at once...
DRAIN_AGE = 3.0  # ...and any other non-empty log after this many seconds

Row = tuple[Any, ...]  # (id, at, operation, status, scenario, account_id, stream_id, entry)


class JournalLog:
    def __init__(self, journal_path: str, lock: Callable[[], AbstractContextManager[None]]) -> None:
        self.path = journal_path + ".log"
        self.draining_path = journal_path + ".log.draining"
        self._words = SharedWords(journal_path + ".ids", 2)
        self._lock = lock  # the appenders' lock, of all processes
        self._fd = -1
        self._fd_of: tuple[int, int] = (-1, -1)  # (pid, generation) the descriptor was opened at

    def check_writable(self) -> None:
        """An ``OSError`` naming the file unless the log can be opened for appending and its
        directory written (a drain renames the log there): at the store's opening, not at every
        request, whose entry would be lost."""
        os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(
                errno.EACCES,
                "the store's directory is not writable (the journal's log is renamed there"
                " when it is drained)",
                directory,
            )

    # -- appending (a request) ---------------------------------------------------------------

    def append(self, entry: dict[str, Any], *, keep: int) -> int:
        """The entry's record appended; its id."""
        body = orjson.dumps(entry)
        columns = journal_columns(entry)
        words = self._words
        with self._lock():
            generation = words.get(GENERATION)
            fd = self._fd if self._fd_of == (process.pid(), generation) else self._open(generation)
            entry_id = words.get(GIVEN) + 1
            words.set(GIVEN, entry_id)
            head = orjson.dumps((entry_id, keep, len(body), *columns))
            try:
                _write_all(fd, b"\n" + head + b"\t" + body)
            except OSError as exc:  # a part written is skipped as a record cut short...
                words.set(GIVEN, entry_id - 1)  # ...and its id is the next one's (lock held)
                if disk_full.is_full(exc):
                    raise StoreFull(self.path, exc.strerror) from None
                raise
        return entry_id

    def _open(self, generation: int) -> int:
        self._close_fd()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._fd_of = (process.pid(), generation)
        return self._fd

    def _close_fd(self) -> None:
        """This process's descriptor of the log closed (a forked child's is its parent's)."""
        if self._fd >= 0 and self._fd_of[0] == process.pid():
            os.close(self._fd)
        self._fd = -1
        self._fd_of = (-1, -1)

    # -- the highest id given ----------------------------------------------------------------

    def new_ids(self, count: int, above: int) -> range:
        """``count`` ids never given, above the counter and ``above`` (entries whose id another
        writer had taken). Takes the appenders' lock."""
        with self._lock():
            first = max(self._words.get(GIVEN), above) + 1
            self._words.set(GIVEN, first + count - 1)
        return range(first, first + count)

    def raise_given(self, at_least: int) -> None:
        """No id up to ``at_least`` is given again (entries the table has from elsewhere: an
        earlier layout, a restored snapshot, a hand edit). Takes the appenders' lock."""
        with self._lock():
            if self._words.get(GIVEN) < at_least:
                self._words.set(GIVEN, at_least)

    # -- draining (a read of the journal, the background) ------------------------------------

    def pending(self) -> int:
        """Bytes of records not yet drained (0 when the log is empty or absent)."""
        # the log before the renamed file: a drain renames the one, then deletes the other once
        # its rows are committed, so a record is always seen in one of them or in the table
        return _size(self.path) + _size(self.draining_path)

    def drain(self, take: Callable[[list[Row], int | None], None]) -> None:
        """Every record appended before the call, handed to ``take(rows, keep)`` (which commits
        them to the table) and then removed from the log. The caller holds the table's lock, so
        one drain runs at a time."""
        self._take_draining(take)  # a drain that died before deleting it
        with self._lock():
            if not _size(self.path):
                return
            os.rename(self.path, self.draining_path)
            self._words.set(GENERATION, self._words.get(GENERATION) + 1)
        self._take_draining(take)

    def _take_draining(self, take: Callable[[list[Row], int | None], None]) -> None:
        try:
            with open(self.draining_path, "rb") as file:
                data = file.read()
        except FileNotFoundError:
            return
        rows, keep = parse(data)
        take(rows, keep)
        os.unlink(self.draining_path)

    def close(self) -> None:
        self._close_fd()
        self._words.close()


def parse(data: bytes) -> tuple[list[Row], int | None]:
    """The table rows of the log's whole records, and the keep of the last one."""
    rows: list[Row] = []
    keep = None
    for record in data.split(b"\n"):
        head, tab, body = record.partition(b"\t")
        if not tab:
            continue  # the empty start, or a record cut before its body
        try:
            entry_id, keep_of, length, *columns = orjson.loads(head)
        except (orjson.JSONDecodeError, ValueError, TypeError):
            continue
        if length != len(body):
            continue  # cut short by a killed writer
        rows.append((entry_id, *columns, body.decode()))
        keep = keep_of
    return rows, keep


def _size(path: str) -> int:
    """The file's size; 0 when there is none."""
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
