"""Progress of long CLI work: a bar on a terminal (tqdm), plain lines otherwise (CI logs).

Progress goes to standard error, so what a command prints (``--json`` included) stays clean on
standard output. Work that ends within ``DELAY_SECONDS`` shows nothing. ``KORE_MOCK_PROGRESS``:
``auto`` (the default), ``always`` (from the first moment), ``never``.

What is measured: ``advance(n)`` towards a known or unknown total (bytes sent or received,
tests run), with an optional ``status`` read now and then (requests sent so far); and
``waiting(what)`` for work the client cannot measure (the server's one transaction over a
whole file), shown as the time waited.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

DELAY_SECONDS = 2.0  # quick work shows no progress at all
LINE_EVERY_SECONDS = 10.0  # plain lines: at most one per this many seconds (and the last)
TICK_SECONDS = 0.5  # how often a bar's clock and status are redrawn
MODES = ("auto", "always", "never")


def mode() -> str:
    value = os.environ.get("KORE_MOCK_PROGRESS", "auto").strip().lower() or "auto"
    return value if value in MODES else "auto"


def draws_bar(stream: TextIO) -> bool:
    """Whether progress on ``stream`` is a bar (a terminal) rather than lines or nothing."""
    return mode() != "never" and _isatty(stream)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


class Progress:
    """One piece of long work: ``label`` names it (``seed``, ``snapshot save``, ``contract``)."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "B",
        stream: TextIO | None = None,
        server_work: str = "the server is working",
        status: Callable[[], str] | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.server_work = server_work  # what the wait after an upload is called
        self.stream = stream or sys.stderr
        self.done = 0
        self._status = status
        self._mode = mode()
        self._delay = 0.0 if self._mode == "always" else DELAY_SECONDS
        self._started = time.monotonic()
        self._last_line = 0.0
        self._waiting: str | None = None
        self._waited_from = 0.0
        self._lock = threading.RLock()
        self._bar = self._new_bar(total) if draws_bar(self.stream) else None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if status is not None:
            self._start_ticker()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the work reports ------------------------------------------------------------

    def advance(self, n: int) -> None:
        with self._lock:
            self.done += n
            if self._bar is not None:
                self._bar.update(n)
            elif self._due() or (self._finished() and self._shown()):
                self._write(self._measure())

    def set_total(self, total: int | None) -> None:
        """The total, once known (a download's Content-Length)."""
        with self._lock:
            self.total = total
            if self._bar is not None and total is not None:
                self._bar.close()
                self._bar = self._new_bar(total)
                self._bar.update(self.done)

    @contextmanager
    def waiting(self, what: str) -> Iterator[None]:
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
            if self._bar is None and self._due():
                self._write(what)
            self._start_ticker()

    def end_wait(self) -> None:
        with self._lock:
            if self._waiting is None:
                return
            what, self._waiting = self._waiting, None
            if self._bar is not None:
                self._bar.close()
                self._bar = None if self._finished() else self._new_bar(self.total)
            elif self._shown():
                self._write(f"{what}: done in {time.monotonic() - self._waited_from:.0f} s")
        if self._status is None:
            self._stop_ticker()

    def close(self) -> None:
        self.end_wait()
        self._stop_ticker()
        with self._lock:
            if self._bar is not None:
                if self._status is not None:
                    self._bar.set_postfix_str(self._status(), refresh=False)
                self._bar.close()
                self._bar = None
            elif self._shown() and not self._waited_from and not self._finished():
                self._write(self._measure())

    # -- rendering ------------------------------------------------------------------------

    def _new_bar(self, total: int | None, desc: str | None = None, unit: str | None = None):
        unit = unit or self.unit
        suffix = unit if unit == "B" else f" {unit}"
        if unit == "s":  # a wait: how long so far
            bar_format = "{desc}  {elapsed}"
        elif total:
            bar_format = (
                "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}" + suffix + "/{total_fmt}" + suffix
            ) + " [{elapsed}<{remaining}{postfix}]"
        else:
            bar_format = "{desc}: {n_fmt}" + suffix + " [{elapsed}{postfix}]"
        columns = _columns(self.stream)
        return tqdm(
            total=total,
            desc=desc or self.label,
            unit=unit,
            unit_scale=unit == "B",
            unit_divisor=1024,
            file=self.stream,
            delay=self._delay,
            ncols=None if columns else 80,  # a terminal reporting no size (0 x 0) would
            nrows=None if columns else 24,  # hide the bar
            dynamic_ncols=bool(columns),
            bar_format=bar_format,
        )

    def _start_ticker(self) -> None:
        if self._ticker is None:
            self._stop.clear()
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _stop_ticker(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            self._stop.set()
            ticker.join()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with self._lock:
                if self._bar is not None:
                    if self._status is not None and self._waiting is None:
                        self._bar.set_postfix_str(self._status(), refresh=False)
                    self._bar.refresh()
                elif self._due():
                    if self._waiting is not None:
                        waited = time.monotonic() - self._waited_from
                        self._write(f"{self._waiting} ({waited:.0f} s)")
                    else:
                        self._write(self._measure())

    def _measure(self) -> str:
        if self.unit == "B":
            text = human_bytes(self.done) + (f" of {human_bytes(self.total)}" if self.total else "")
        else:
            text = f"{self.done:,}" + (f" of {self.total:,}" if self.total else "")
            text += f" {self.unit}"
        if self.total:
            text += f" ({100 * self.done // self.total} %)"
        if self._status is not None:
            text += f", {self._status()}"
        return text

    def _finished(self) -> bool:
        return self.total is not None and self.done >= self.total

    def _due(self) -> bool:
        if self._mode == "never":
            return False
        now = time.monotonic()
        if now - self._started < self._delay:
            return False
        return not self._last_line or now - self._last_line >= LINE_EVERY_SECONDS

    def _shown(self) -> bool:
        return bool(self._last_line)

    def _write(self, text: str) -> None:
        self._last_line = time.monotonic()
        print(f"{self.label}: {text}", file=self.stream, flush=True)


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
