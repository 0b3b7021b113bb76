"""Allocation-heavy requests without the cyclic garbage collector.

A 100,000-row import allocates millions of short-lived, acyclic objects (row dicts, contacts,
response dicts); the cyclic collector would scan the growing heap again and again for cycles
that are not there (about a third of the import's time). Reference counting still frees
everything. The collector comes back when the last such request of the process ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausing = 0  # requests of this process inside paused_gc()
_resume = False  # whether the collector was on when the first of them began


@contextmanager
def paused_gc() -> Iterator[None]:
    global _pausing, _resume
    with _lock:
        if _pausing == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _resume:
                gc.enable()
