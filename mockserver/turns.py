"""Threads taking turns at a worker's event loop (leader/followers).

A worker process reads its clients' requests in an event loop and runs the app on them. gunicorn
hands every request from the loop's thread to a pool thread and back: a wake-up, a pipe write
and the GIL changing hands twice per request, a fifth of a small request's cost on the 2-core
machine. Here the thread that runs the loop — the *leader* — serves the requests the loop found
itself, one after another, and only passes the loop on when it is held up:

- at once when the request says it waits (``waiting()``: a latency fault's delay, a trickled
  answer's pauses, a call to an upstream host), so such requests overlap;
- after ``takeover_after`` seconds of one request that waits without saying so (a client reading
  its answer slowly, a long import): a *standby* follower re-checks on a timer and takes the
  loop over.

The thread that was held up finishes its request, hands its connection back to the loop (the
worker's method queue) and becomes a follower again. A worker whose requests are mostly round
trips to a database server (PostgreSQL) passes the loop on before every request instead
(``pass_on``), so those round trips overlap: the classic leader/followers pattern.

``Baton`` knows threads, not sockets: the worker (``http_worker``) says when a request begins and
ends and what a thread runs while it leads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

TAKEOVER_SECONDS = 0.02  # a request serving longer than this no longer holds the loop
# Python runs signal handlers (gunicorn's SIGTERM: stop) in the main thread only, between its
# bytecodes: a main thread following without a timeout ran it when it next led, which after a
# request that passed the loop on (a proxy's call to its host) was the arbiter's kill, 8 s later
MAIN_THREAD_WAKE_SECONDS = 0.25

_local = threading.local()  # .baton: the Baton this thread takes turns at


@contextmanager
def waiting() -> Iterator[None]:
    """Around a wait of the current request (a sleep, a remote call): if this thread runs its
    worker's event loop, the loop passes to another thread first. Elsewhere it does nothing."""
    baton: Baton | None = getattr(_local, "baton", None)
    if baton is not None:
        baton.pass_on()
    yield


def sleep(seconds: float) -> None:
    """``time.sleep`` that says it waits (a fault's delay, a trickle's pause)."""
    with waiting():
        time.sleep(seconds)


class Baton:
    """The right to run a worker's event loop, held by one thread at a time.

    ``lead`` is what a thread runs while it holds the baton; it returns True when the thread
    lost the baton (it goes back to following) and False when the worker stops. Up to
    ``max_threads`` threads take part: the one that calls ``run`` and helpers started as needed
    (one standby from the start, another whenever the leader passes the loop on and nobody
    follows).
    """

    def __init__(
        self,
        max_threads: int,
        lead: Callable[[], bool],
        *,
        takeover_after: float = TAKEOVER_SECONDS,
        name: str = "kore-mock-request",
    ) -> None:
        if max_threads < 2:
            raise ValueError("the loop needs a leader and a follower: at least two threads")
        self.max_threads = max_threads
        self.takeover_after = takeover_after
        self._lead = lead
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._leader: int | None = None
        self._since: float | None = None  # the leader serves a request since (None: it polls)
        self._threads = 1  # the thread that calls run(), and the helpers started
        self._idle = 0  # followers waiting for the baton
        self._standby: int | None = None  # the follower that watches the leader on a timer
        self._closed = False
        self.takeovers = 0  # times a standby took the loop from a held-up leader

    # -- the thread that starts it ---------------------------------------------------------

    def run(self) -> None:
        """Lead first, then take turns, until the worker stops (``close``)."""
        with self._cond:
            self._take(threading.get_ident())  # and a helper starts: the standby
        self._turns()

    def close(self) -> None:
        """Nobody leads any more: every follower returns, now and later."""
        with self._cond:
            self._closed = True
            self._leader = None
            self._cond.notify_all()

    def shutdown(self, wait: bool = True) -> None:
        """gunicorn's worker shuts its thread pool down (``wait=False``) on SIGINT and SIGQUIT:
        ``close`` (a Ctrl-C printed ``TypeError`` tracebacks when it took no argument)."""
        self.close()

    # -- the leader ------------------------------------------------------------------------

    def begin(self) -> None:
        """The leader starts serving a request (the standby's clock starts)."""
        if self._leader == threading.get_ident():
            self._since = time.monotonic()

    def end(self) -> bool:
        """The request is served: True when this thread still leads."""
        with self._cond:
            if self._leader == threading.get_ident():
                self._since = None
                return True
            return False

    def pass_on(self) -> None:
        """The leader is about to wait: another thread runs the loop meanwhile."""
        with self._cond:
            if self._leader != threading.get_ident():
                return
            self._leader = self._since = None
            if self._idle:
                self._cond.notify()
            else:
                self._spawn()

    def leads(self) -> bool:
        return self._leader == threading.get_ident()

    # -- followers -------------------------------------------------------------------------

    def _turns(self) -> None:
        _local.baton = self
        while self._lead() and self._follow():
            pass

    def _follow(self) -> bool:
        """Wait until this thread leads (True) or the baton is closed (False)."""
        me = threading.get_ident()
        with self._cond:
            self._idle += 1
            try:
                while not self._closed:
                    if self._leader is None:
                        self._take(me)
                        return True
                    timeout = None
                    if self._standby in (None, me):
                        self._standby = me
                        since = self._since
                        held = 0.0 if since is None else time.monotonic() - since
                        if since is not None and held >= self.takeover_after:
                            self.takeovers += 1
                            self._take(me)  # the old leader finds out when its request ends
                            return True
                        timeout = self.takeover_after - held
                    elif me == threading.main_thread().ident:
                        timeout = MAIN_THREAD_WAKE_SECONDS
                    self._cond.wait(timeout)
                return False
            finally:
                self._idle -= 1
                if self._standby == me:
                    self._standby = None
                    if self._idle:
                        self._cond.notify()  # another follower becomes the standby

    def _take(self, me: int) -> None:
        """``me`` leads now (called with the condition held)."""
        self._leader = me
        self._since = None
        if self._idle <= 1:  # nobody else follows: a new standby, if one more thread may run
            self._spawn()

    def _spawn(self) -> None:
        if self._closed or self._threads >= self.max_threads:
            return
        self._threads += 1
        threading.Thread(
            target=self._turns_of_helper, name=f"{self._name}-{self._threads - 1}", daemon=True
        ).start()

    def _turns_of_helper(self) -> None:
        _local.baton = self
        if self._follow():
            self._turns()
