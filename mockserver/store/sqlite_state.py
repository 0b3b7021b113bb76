"""The SQLite store's run-time state, read once per change instead of once per request.

Every request reads the run-time state (apps, faults, the profile's run-time readings, the rate
limit): one ``SELECT`` a request, and the state changes only when the control plane changes it.
So each process keeps the state's rows as last read, with the *version* they were read at: a
counter in a small shared file beside the store (``<db>.state-version``, mapped in memory by
every process of the store). A write of the state bumps the counter after its commit, while it
still holds the store's write lock (writers of the state are in order, and no bump is lost); a
read compares the counter with the version of its rows and reads the table again only when it
moved. The counter is read before the rows, so rows are never older than the version they
are kept under: a request that starts after a control-plane answer has left sees the change,
whichever worker it reaches.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
from collections.abc import Callable

from mockserver import process

_COUNTER = struct.Struct("<Q")


class StateVersion:
    """The store's state-version counter, shared by every process that opens the store."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._pid = -1
        self._map: mmap.mmap | None = None
        self._lock = threading.Lock()

    def _mapped(self) -> mmap.mmap:
        if self._map is None or self._pid != process.pid():
            with self._lock:
                if self._map is None or self._pid != process.pid():
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                    try:
                        if os.fstat(fd).st_size < _COUNTER.size:
                            os.ftruncate(fd, _COUNTER.size)  # zeros: version 0
                        self._map = mmap.mmap(fd, _COUNTER.size)
                    finally:
                        os.close(fd)
                    self._pid = process.pid()
        return self._map

    def current(self) -> int:
        return _COUNTER.unpack_from(self._mapped())[0]

    def bump(self) -> None:
        """After a committed write of the state, with the store's write lock still held."""
        mapped = self._mapped()
        _COUNTER.pack_into(mapped, 0, _COUNTER.unpack_from(mapped)[0] + 1)

    def close(self) -> None:
        with self._lock:
            if self._map is not None and self._pid == process.pid():
                self._map.close()
            self._map = None


class StateRows:
    """This process's copy of the state table's rows, and the version they were read at."""

    def __init__(self, version: StateVersion) -> None:
        self.version = version
        self._kept: tuple[int, list[tuple[str, bytes]]] | None = None

    def rows(self, read: Callable[[], list[tuple[str, bytes]]]) -> list[tuple[str, bytes]]:
        """The rows: the kept ones while the version stands, else ``read()`` anew."""
        now = self.version.current()  # before the rows (see the module's docstring)
        kept = self._kept
        if kept is not None and kept[0] == now:
            return kept[1]
        rows = read()
        self._kept = (now, rows)
        return rows
