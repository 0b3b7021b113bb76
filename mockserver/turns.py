"""A thread pool that runs its jobs on as few threads as keep them moving.

gunicorn's threaded worker hands each request to a ``ThreadPoolExecutor``: every request wakes
an idle thread, so with 4 threads per worker the requests of a busy worker were spread over all
of them, which took turns for the GIL and slept and woke between requests — measured on the
2-core machine, a worker with 1 thread answered 30-40 % more small requests than one with 4,
at less CPU per answer (``bench/`` and the performance section of the README).

``TakeoverPool`` keeps one thread running while it keeps up: a thread that finishes a job takes
the next queued one without sleeping, and no other thread is woken for it. Another thread
takes a queued job only when every running thread is held up:

- at once, when the running thread says it waits (``waiting()``: a latency fault's delay, a
  trickled answer's pauses, a call to an upstream host) — so delayed requests still overlap as
  they did on a plain pool;
- after ``takeover_after`` seconds of one job (a job that waits without saying so: a client that
  reads its answer slowly, a long import), by a standby thread that re-checks on a timer.

On SQLite only (``http_worker``): a PostgreSQL request is mostly round trips, which plain threads
overlap. The executor's interface is the part of ``concurrent.futures.Executor`` the worker uses:
``submit`` (a ``Future``) and ``shutdown``.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

TAKEOVER_SECONDS = 0.02  # a job running longer than this no longer holds back the queue

_local = threading.local()  # .pool: the TakeoverPool whose thread this is


@contextmanager
def waiting() -> Iterator[None]:
    """Around a wait of the current job (a sleep, a remote call): the pool's other threads may
    run queued jobs meanwhile. Outside a pool's thread it does nothing."""
    pool: TakeoverPool | None = getattr(_local, "pool", None)
    if pool is None or _local.waits:  # not a pool's thread, or already said
        yield
        return
    _local.waits = True
    pool._set_waiting(True)
    try:
        yield
    finally:
        _local.waits = False
        pool._set_waiting(False)


def sleep(seconds: float) -> None:
    """``time.sleep`` that says it waits (a fault's delay, a trickle's pause)."""
    with waiting():
        time.sleep(seconds)


class _Job:
    __slots__ = ("args", "fn", "future")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self.future: Future = Future()


class TakeoverPool:
    def __init__(
        self,
        max_threads: int,
        *,
        takeover_after: float = TAKEOVER_SECONDS,
        name: str = "kore-mock-request",
    ) -> None:
        if max_threads < 1:
            raise ValueError("a pool needs at least one thread")
        self.max_threads = max_threads
        self.takeover_after = takeover_after
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._jobs: collections.deque[_Job] = collections.deque()
        self._threads: list[threading.Thread] = []
        self._waiters = 0  # threads waiting for a job (idle, or the standby)
        # running threads (ident) -> when their job started, or None while it waits
        self._running: dict[int, float | None] = {}
        self._standby = False  # a thread re-checks the queue on a timer
        self._shutdown = False

    # -- the executor ----------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        job = _Job(fn, args)
        with self._cond:
            if self._shutdown:
                raise RuntimeError("cannot submit to a pool that was shut down")
            self._jobs.append(job)
            if self._may_take(time.monotonic()) or not self._standby:
                self._wake_one()
        return job.future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cond:
            self._shutdown = True
            if cancel_futures:
                while self._jobs:
                    self._jobs.popleft().future.cancel()
            self._cond.notify_all()
        if wait:
            for thread in list(self._threads):
                if thread is not threading.current_thread():
                    thread.join()

    # -- the rules (called with the condition held) ------------------------------------------

    def _may_take(self, now: float) -> bool:
        """Whether a thread may start a queued job now: none runs, or every one is held up."""
        if not self._jobs:
            return False
        return all(
            started is None or now - started >= self.takeover_after
            for started in self._running.values()
        )

    def _wake_one(self) -> None:
        if self._waiters:
            self._cond.notify()
        elif len(self._threads) < self.max_threads:
            thread = threading.Thread(
                target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _next_wait(self, now: float) -> float | None:
        """How long a waiting thread sleeps: until every running job is held up, so that a
        queued one may be taken (the standby), or until woken (None)."""
        if not self._jobs or self._standby:
            return None
        started = [s for s in self._running.values() if s is not None]
        return max(0.0, max(started) + self.takeover_after - now) if started else 0.0

    # -- a thread of the pool --------------------------------------------------------------

    def _set_waiting(self, waits: bool) -> None:
        me = threading.get_ident()
        with self._cond:
            if waits:
                self._running[me] = None
                if self._may_take(time.monotonic()):
                    self._wake_one()
            else:
                self._running[me] = time.monotonic()

    def _work(self) -> None:
        _local.pool, _local.waits = self, False
        me = threading.get_ident()
        with self._cond:
            job = self._take(me)
        while job is not None:
            if job.future.set_running_or_notify_cancel():
                try:
                    result = job.fn(*job.args)
                except BaseException as exc:  # the future carries it to the caller
                    job.future.set_exception(exc)
                else:
                    job.future.set_result(result)
            with self._cond:
                del self._running[me]
                job = self._take(me)  # the next queued one at once, if it may

    def _take(self, me: int) -> _Job | None:
        """The next job this thread runs (waiting for one), or None once shut down."""
        while not self._shutdown:
            now = time.monotonic()
            if self._may_take(now):
                self._running[me] = now
                job = self._jobs.popleft()
                if self._may_take(now):  # more jobs, and the others are held up too
                    self._wake_one()
                return job
            timeout = self._next_wait(now)
            standby = timeout is not None
            self._standby = self._standby or standby
            self._waiters += 1
            try:
                self._cond.wait(timeout)
            finally:
                self._waiters -= 1
                if standby:
                    self._standby = False
        return None
