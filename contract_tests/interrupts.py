"""Stopping a run against a host (Ctrl-C, SIGTERM) only where it leaves nothing behind.

A signal that broke off a request in flight left the host to finish it unseen: a save stored
after the run's cleanup had listed the namespace, so the cleanup missed it and said the
namespace was as found. A signal inside the cleanup ended the cleanup itself. So, inside
``signals_stop()``:

- a request to the host is whole (``held``, which ``Unbroken`` puts around each request): a
  signal during it is held until its answer is in (the client's timeout bounds the wait) and
  recorded, then raised as a KeyboardInterrupt;
- a cleanup is whole too (``held``): the signal is raised when it is done, or dropped
  (``then_raise=False``) when the run is stopping anyway;
- a second signal while one is held is raised at once: a user who presses Ctrl-C twice means it.

Outside ``signals_stop()`` (the contract suite under pytest) nothing is installed: ``held`` only
counts, and Python's own Ctrl-C stays as it is.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

_lock = threading.Lock()
_depth = 0  # held sections open
_pending = False  # a signal came during one, not raised yet


def _on_signal(signum: int, frame: Any) -> None:
    global _pending
    with _lock:
        hold = _depth > 0 and not _pending
        _pending = _pending or hold
    if not hold:
        raise KeyboardInterrupt


@contextlib.contextmanager
def signals_stop() -> Iterator[None]:
    """SIGINT and SIGTERM inside the block are a KeyboardInterrupt, raised at once, or at the
    end of the ``held`` section they came in."""
    try:
        previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread (a test's runner): nothing to install
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _take_pending()


@contextlib.contextmanager
def held(*, then_raise: bool = True) -> Iterator[None]:
    """A section a signal does not cut: one that comes during it is raised at its end
    (``then_raise``) or dropped; nested sections wait for the outermost."""
    global _depth
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            last = _depth == 0
        if last and _take_pending() and then_raise:
            raise KeyboardInterrupt


def stopping() -> bool:
    """Whether a signal is held: a wait that can be left out (a 429's back-off) is."""
    return _pending


def _take_pending() -> bool:
    global _pending
    with _lock:
        was, _pending = _pending, False
    return was


class Unbroken:
    """WSGI middleware: each request through ``app`` is ``held``, answer and records included."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with held():
            return self.app(environ, start_response)
