"""Allocation-heavy requests without the cyclic garbage collector; one malloc arena per process;
bounded caches of what clients repeat (``remember``).

A 100,000-row import allocates millions of short-lived, acyclic objects (row dicts, contacts,
response dicts); the cyclic collector would scan the growing heap again and again for cycles
that are not there (about a third of the import's time). Reference counting still frees
everything. The collector comes back when the last such request of the process ends.
"""

from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar

M_ARENA_MAX = -8  # mallopt()'s parameter number (glibc's malloc.h)
K = TypeVar("K")
V = TypeVar("V")

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


def one_malloc_arena() -> None:
    """Every thread's allocations from one glibc malloc arena: called by ``kore-mock serve``
    before any thread starts (the worker processes it forks inherit it).

    glibc gives a thread that allocates while another holds an arena an arena of its own (up to
    8 per core), and an arena keeps what a request freed for its own later use. A worker's
    threads take turns at its loop (``mockserver.turns``), so successive 100k imports ran on
    different threads, and each thread's arena kept ~35 MB: the worker's resident memory grew
    import after import (251 -> 353 MB peak over six). Python allocates under the GIL, so the
    threads hardly ever contend for the one arena. Nothing to do where malloc is not glibc's.
    """
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)


def remember(memo: dict[K, V], key: K, value: V, limit: int) -> V:
    """``memo[key] = value`` in a cache of what clients repeat (tokens, paths, header sets, list
    pages), bounded without bookkeeping: a memo holding ``limit`` entries is emptied first, and
    the entries clients still repeat come back at their next use."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value
