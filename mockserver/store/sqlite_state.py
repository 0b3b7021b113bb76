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

from collections.abc import Callable

from mockserver.store.shared_words import SharedWords


class StateVersion:
    """The store's state-version counter, shared by every process that opens the store."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._words = SharedWords(path, 1)

    def open(self) -> None:
        self._words.open()

    def current(self) -> int:
        return self._words.get(0)

    def bump(self) -> None:
        """After a committed write of the state, with the store's write lock still held."""
        self._words.set(0, self._words.get(0) + 1)

    def close(self) -> None:
        self._words.close()


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
