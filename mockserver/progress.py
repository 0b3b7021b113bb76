"""Progress of long CLI work: a bar on a terminal (tqdm), plain lines otherwise (CI logs).

Progress goes to standard error, so what a command prints (``--json`` included) stays clean on
standard output. Work that ends within ``DELAY_SECONDS`` shows nothing. ``KORE_MOCK_PROGRESS``:
``auto`` (the default), ``always`` (from the first moment), ``never``.

Two kinds of measure: ``advance(n)`` towards a known or unknown total (bytes sent or received,
tests run), and ``waiting(what)`` for work that has no measure the client can see (the server's
one transaction over a whole file): the bar then shows the time spent waiting.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

DELAY_SECONDS = 2.0  # quick work shows no progress at all
LINE_EVERY_SECONDS = 10.0  # plain lines: at most one per this many seconds (and the last)
TICK_SECONDS = 0.5  # a terminal bar's refresh while waiting
MODES = ("auto", "always", "never")


def mode() -> str:
    value = os.environ.get("KORE_MOCK_PROGRESS", "auto").strip().lower() or "auto"
    return value if value in MODES else "auto"


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


class Progress:
    """One piece of long work: ``label`` names it (``seed``, ``snapshot save``...)."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "B",
        stream: TextIO | None = None,
        server_work: str = "the server is working",
    ) -> None:
        self.label = label
        self.server_work = server_work  # what the wait after an upload is called
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._mode = mode()
        self._delay = 0.0 if self._mode == "always" else DELAY_SECONDS
        self._tty = self._mode != "never" and _isatty(self.stream)
        self._bar: tqdm | None = None
        self._last_line = 0.0
        self._lock = threading.Lock()
        if self._tty:
            self._bar = self._new_bar(total)

    # -- measures ------------------------------------------------------------------------

    def advance(self, n: int) -> None:
        with self._lock:
            self.done += n
            if self._bar is not None:
                self._bar.update(n)
            else:
                self._line_if_due()

    @contextmanager
    def waiting(self, what: str) -> Iterator[None]:
        """Work without a measure: a bar of the time waited, or a line now and then."""
        self.begin_wait(what)
        try:
            yield
        finally:
            self.end_wait()

    def begin_wait(self, what: str) -> None:
        with self._lock:
            if self._waiting is not None:
                return
            if self._bar is not None:
                self._bar.close()
                self._bar = self._new_bar(None, desc=f"{self.label}: {what}", unit="s")
            self._waiting, self._waited_from = what, time.monotonic()
            self._stop = threading.Event()
            self._ticker = threading.Thread(target=self._tick, args=(self._stop,), daemon=True)
            self._ticker.start()

    def end_wait(self) -> None:
        with self._lock:
            if self._waiting is None:
                return
            self._stop.set()
        self._ticker.join()
        with self._lock:
            what, self._waiting = self._waiting, None
            if self._bar is None and self._shown():
                self._write(f"{what}: done in {time.monotonic() - self._waited_from:.0f} s")

    def close(self) -> None:
        self.end_wait()
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            elif self._shown() and self.total is not None and self.done and not self._waited_from:
                self._write(self._measure())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- rendering -----------------------------------------------------------------------

    _waiting: str | None = None
    _waited_from = 0.0

    def _new_bar(self, total: int | None, desc: str | None = None, unit: str | None = None):
        unit = unit or self.unit
        if unit == "s":  # a wait: how long so far
            bar_format = "{desc}  {elapsed}"
        elif total:
            bar_format = (
                "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}" + _suffix(unit) + "/{total_fmt}"
                "" + _suffix(unit) + " [{elapsed}<{remaining}, {rate_fmt}]"
            )
        else:
            bar_format = "{desc}: {n_fmt}" + _suffix(unit) + " [{elapsed}, {rate_fmt}]"
        return tqdm(
            total=total,
            desc=desc or self.label,
            unit=unit,
            unit_scale=unit != "s",
            unit_divisor=1024 if unit == "B" else 1000,
            file=self.stream,
            delay=self._delay,
            # a terminal that reports no size (0 x 0) would hide the bar
            ncols=None if _columns(self.stream) else 80,
            nrows=None if _columns(self.stream) else 24,
            dynamic_ncols=bool(_columns(self.stream)),
            bar_format=bar_format,
        )

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(TICK_SECONDS):
            with self._lock:
                if self._bar is not None:
                    self._bar.refresh()
                elif self._due():
                    self._write(f"{self._waiting} ({time.monotonic() - self._waited_from:.0f} s)")

    def _line_if_due(self) -> None:
        if self._due() or (self.total is not None and self.done >= self.total and self._shown()):
            self._write(self._measure())

    def _measure(self) -> str:
        if self.unit == "B":
            done = human_bytes(self.done)
            of = f" of {human_bytes(self.total)}" if self.total else ""
        else:
            done, of = f"{self.done:,}", f" of {self.total:,}" if self.total else ""
        percent = f" ({100 * self.done // self.total} %)" if self.total else ""
        unit = "" if self.unit == "B" else f" {self.unit}"
        return f"{done}{of}{unit}{percent}"

    def _due(self) -> bool:
        if self._mode == "never":
            return False
        now = time.monotonic()
        if now - self.started < self._delay:
            return False
        return not self._last_line or now - self._last_line >= LINE_EVERY_SECONDS

    def _shown(self) -> bool:
        return bool(self._last_line)

    def _write(self, text: str) -> None:
        self._last_line = time.monotonic()
        print(f"{self.label}: {text}", file=self.stream, flush=True)


def _suffix(unit: str) -> str:
    return unit if unit == "B" else f" {unit}"


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
