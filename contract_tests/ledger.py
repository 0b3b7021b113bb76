"""Which contacts this run created: every save response is read on its way back to the suite.

The ``Recorder`` sits in front of the target (the in-process mock or the HTTP gateway), so it sees
every request the suite sends — generated cases, schemathesis' auth probes, stateful steps, scenario
tests — and remembers the id of every contact a save answered with. Cleanup deletes exactly those.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

SAVE_PATH = re.compile(r".*/contacts(/import-contacts)?/?")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Ledger:
    """Contact ids the run created, in creation order; shared by every thread of the run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, None] = {}
        self._kept_out: set[str] = set()
        self.requests = 0

    def keep_out(self, contact_id: str) -> None:
        """A contact of the run that generated requests must not pick (``ids()`` leaves it
        out): the number holder, whose number must not change behind its back."""
        with self._lock:
            self._kept_out.add(contact_id.lower())

    def add(self, ids: Iterable[str]) -> None:
        with self._lock:
            for contact_id in ids:
                self._ids[contact_id.lower()] = None

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def ids(self) -> list[str]:
        """The ids generated requests may pick, in creation order."""
        with self._lock:
            return [i for i in self._ids if i not in self._kept_out]

    def __contains__(self, contact_id: object) -> bool:
        with self._lock:
            return isinstance(contact_id, str) and contact_id.lower() in self._ids

    def __len__(self) -> int:
        with self._lock:
            return len(self._ids)

    def record_save(self, status: int, body: bytes) -> None:
        """Remember the ids of a save response (a JSON array of contacts)."""
        if not 200 <= status < 300:
            return
        try:
            contacts = json.loads(body)
        except ValueError:
            return
        if isinstance(contacts, list):
            self.add(
                c["id"] for c in contacts if isinstance(c, dict) and isinstance(c.get("id"), str)
            )


class Recorder:
    """WSGI middleware: counts requests and records the contacts that saves created."""

    def __init__(self, app: WsgiApp, ledger: Ledger) -> None:
        self.app = app
        self.ledger = ledger

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.ledger.count_request()
        status: list[int] = []

        def capture(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(int(line.split()[0]))
            return start_response(line, headers, exc_info)

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if environ["REQUEST_METHOD"] == "POST" and SAVE_PATH.fullmatch(environ["PATH_INFO"]):
            self.ledger.record_save(status[0], body)
        return [body]
