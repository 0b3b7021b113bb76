"""gunicorn's threaded worker with an event-loop front, answering in Kore's envelope.

**The front** (``mockserver.http_front`` has the rules): the worker's event loop reads each
request whole from non-blocking sockets — head and body, under the ``http:`` deadlines — before
the app may see it. The app is given gunicorn's parse of the head (made by the loop) with the
body read from memory; it never waits for a client's bytes, and a response write waits at most
``sendTimeout`` for a client that reads nothing. A client that falls behind gets 408 from the
loop; past ``maxQueuedRequests`` requests waiting to be served, 503 with ``Retry-After``.
Kept-alive connections wait in the loop too.

**The threads** (``mockserver.turns``): the thread that runs the loop serves the requests it
read itself, one after another, and passes the loop on to another of the worker's threads only
when a request holds it up (a fault's delay, an upstream call, a slow reader, a long import);
up to ``threads`` requests are served at once. On PostgreSQL, where a request is mostly round
trips to the server, the loop passes on before every request, so the round trips overlap.

**Refusals in the envelope.** Some requests never reach the app: gunicorn refuses a request
line or headers over its limits, a malformed header or request line, an unknown transfer coding.
Its own answer is an HTML page; this worker gives the same refusal as every other error of the
mock: JSON ``{"errors": [{"msg", "code"}]}``, a 4xx for anything a client sent. Its log line
names the problem and the client address, never a header's value (that may be a token).

gunicorn's internals this relies on (``ThreadWorker``'s thread pool hook, poller and method
queue, ``handle_request``, a parsed request given a new body reader) are those of gunicorn 27;
pyproject pins it.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import gc
import json
import os
import re
import select
import socket
import threading
import time
from collections.abc import Iterator
from functools import partial
from http import HTTPStatus
from selectors import EVENT_READ
from typing import Any

from gunicorn import util
from gunicorn.http import errors as http
from gunicorn.http import wsgi
from gunicorn.workers.gthread import ThreadWorker

from mockserver.errors import BODY_OVER_LIMIT, envelope
from mockserver.http_front import (
    MAX_HEAD_BYTES,
    Body,
    ChunkScanner,
    FrontConfig,
    Head,
    HostRefused,
    body_deadline,
    parse_head,
)
from mockserver.settings import Settings
from mockserver.store.base import POSTGRES_SCHEMES
from mockserver.turns import Baton, waiting

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,40}")
_ONCE_ONLY = frozenset({"CONTENT-LENGTH", "HOST", "CONTENT-TYPE"})  # gunicorn refuses a repeat

SWEEP_SECONDS = 0.25  # how often deadlines are checked (their resolution)
HEARTBEAT_SECONDS = 1.0  # how often the loop tells gunicorn's arbiter it is alive
READ_BYTES = 256 * 1024  # one recv() of the event loop
SENDFILE_BYTES = 1 << 30  # at most this much in one sendfile() call
# Threads that may wait for clients reading nothing of their answers, over ``threads``: each
# holds an answer already made (its memory) and a thread's stack, for sendTimeout at the most.
MAX_STALLED_WRITERS = 64
LINGER_SECONDS = 2.0  # a closing connection is drained this long, so our answer is not reset
LINGER_BYTES = 1024 * 1024  # ... or until this much was drained
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
COALESCE_BYTES = 256 * 1024  # a body piece up to this size goes out with the head, in one write

IDLE, HEAD, BODY, BUSY, CLOSING, CLOSED = "idle", "head", "body", "busy", "closing", "closed"


class _Conn:
    """One client connection, in the event loop (or lent to a thread while ``BUSY``)."""

    __slots__ = (
        "body",
        "buf",
        "client",
        "deadline",
        "drained",
        "head",
        "left",
        "on_readable",
        "phase",
        "registered",
        "requests",
        "reserved",
        "scanner",
        "server",
        "sock",
        "started",
    )

    def __init__(self, sock: socket.socket, client: Any, server: Any, now: float) -> None:
        self.sock = sock
        self.client = client
        self.server = server
        self.buf = bytearray()  # received, not yet part of a framed request
        self.phase = HEAD
        self.started = now  # when the current phase began
        self.deadline = now
        self.head: Head | None = None
        self.body: Body | None = None
        self.scanner: ChunkScanner | None = None
        self.left = 0  # Content-Length bytes still to come
        self.requests = 0
        self.drained = 0
        self.reserved = 0  # body bytes counted against the worker's buffer budget
        self.registered = False  # with the event loop's poller
        self.on_readable: Any = None  # the poller's callback for it


class _Framed:
    """A request read whole (or, over the body limit, its head): what a thread is given."""

    def __init__(
        self,
        head: Head,
        body: Body | None,
        *,
        truncated: bool,
        reserved: int,
        over_limit: bool = False,
    ) -> None:
        self.head = head
        self.body = body
        self.truncated = truncated  # handed over before its end: the connection closes after
        self.reserved = reserved  # its bytes in the buffer budget, given back once it is served
        self.over_limit = over_limit  # cut short because it is larger than its route accepts

    def message(self) -> Any:
        """gunicorn's request, its body read from memory (or the spool)."""
        message = self.head.with_body(self.body.chunks() if self.body is not None else iter(()))
        message.body_over_limit = self.over_limit  # handle_request tells the app (environ)
        return message

    def close(self) -> None:
        if self.body is not None:
            self.body.close()


class _Stalls:
    """The threads of a worker waiting for a client to make room for their answer. They do not
    count against the ``threads`` a worker serves at once, up to ``limit`` of them: a client that
    reads nothing holds its thread for ``sendTimeout`` (30 s), and four such clients held every
    thread of a worker, every other request waiting that long."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._lock = threading.Lock()

    def extra(self) -> int:
        """How many more requests than ``threads`` may be served now."""
        return min(self.count, self.limit)

    @contextlib.contextmanager
    def stalled(self) -> Iterator[None]:
        with self._lock:
            self.count += 1
        try:
            yield
        finally:
            with self._lock:
                self.count -= 1


class _PatientSocket(socket.socket):
    """A client's socket, non-blocking for the event loop, whose ``sendall`` waits for room
    when the client's buffer is full: it gives up only when the client has taken no byte for
    ``send_timeout`` seconds, however long the whole answer takes a slow but steady reader.
    The wait says so (``turns.waiting``): the event loop goes on in another thread, and the
    worker's ``stalls`` count it, so another thread may serve meanwhile."""

    __slots__ = ("send_timeout", "stalls")

    def sendall(self, data: Any, flags: int = 0) -> None:
        with memoryview(data) as view:
            sent, size = 0, len(view)
            while sent < size:
                try:
                    sent += self.send(view[sent:], flags)
                except (BlockingIOError, InterruptedError):
                    self._wait_for_room()

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """``os.sendfile`` with the same patience (``socket.sendfile`` refuses a non-blocking
        socket); the file's position ends after what was sent, as with ``socket.sendfile``."""
        source = file.fileno()
        left = os.fstat(source).st_size - offset if count is None else count
        sent = 0
        while left > 0:
            try:
                n = os.sendfile(self.fileno(), source, offset + sent, min(left, SENDFILE_BYTES))
            except (BlockingIOError, InterruptedError):
                self._wait_for_room()
                continue
            if n == 0:  # the file ended early
                break
            sent += n
            left -= n
        file.seek(offset + sent)
        return sent

    def _wait_for_room(self) -> None:
        poll = select.poll()
        poll.register(self.fileno(), select.POLLOUT)
        with waiting(), self.stalls.stalled():
            if not poll.poll(self.send_timeout * 1000):
                raise TimeoutError("the client read none of its answer in time")


class SettledConfig:
    """gunicorn's settings of a running worker as plain attributes. Its ``Config`` finds each
    one through ``__getattr__`` and a settings lookup — about 20 per request head, a tenth of
    the head's parse — and none of them changes while the worker runs (a reload starts new
    workers): each is looked up once, then kept."""

    def __init__(self, cfg: Any) -> None:
        self._cfg = cfg

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._cfg, name)
        setattr(self, name, value)
        return value


class _Response(wsgi.Response):
    """gunicorn's response, its head sent with the first piece of the body — one system call
    for an answer of one piece, not two — and its ``Date`` formatted once a second."""

    def __init__(self, req: Any, sock: Any, cfg: Any) -> None:
        super().__init__(req, sock, cfg)
        self._head: bytes | None = None  # the head, not yet sent

    def default_headers(self) -> list[str]:
        if self.upgrade:
            connection = "upgrade"
        elif self.should_close():
            connection = "close"
        else:
            connection = "keep-alive"
        headers = [
            f"HTTP/1.1 {self.status}\r\n",  # the version kore-mock speaks (RFC 9110 6.2)
            f"Server: {self.version}\r\n",
            _date_line(),
            f"Connection: {connection}\r\n",
        ]
        if self.chunked:
            headers.append("Transfer-Encoding: chunked\r\n")
        return headers

    def send_headers(self) -> None:
        if self.headers_sent:
            return
        lines = self.default_headers()
        lines.extend(f"{name}: {value}\r\n" for name, value in self.headers)
        lines.append("\r\n")
        self._head = "".join(lines).encode("latin-1")
        self.headers_sent = True

    def _flush_head(self) -> None:
        head, self._head = self._head, None
        if head is not None:
            self.sock.sendall(head)

    def _emit_body(self, data: bytes) -> None:
        head, self._head = self._head, None
        if head is None:
            util.write(self.sock, data, self.chunked)
            return
        if self.chunked:
            data = b"%X\r\n%b\r\n" % (len(data), data)
        if len(data) > COALESCE_BYTES:  # not worth a copy: two writes
            self.sock.sendall(head)
            self.sock.sendall(data)
        else:
            self.sock.sendall(head + data)

    def sendfile(self, respiter: Any) -> bool:
        self.send_headers()
        self._flush_head()
        return super().sendfile(respiter)

    def close(self) -> None:
        self.send_headers()
        self._flush_head()
        super().close()


_date_cache: tuple[int, str] = (0, "")


def _date_line() -> str:
    """The ``Date`` header line, formatted again only when the second changes."""
    global _date_cache
    now = int(time.time())
    second, line = _date_cache
    if second != now:
        line = f"Date: {util.http_date(now)}\r\n"
        _date_cache = (now, line)
    return line


class EnvelopeWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = getattr(self.app, "settings", None)
        settings = settings if isinstance(settings, Settings) else Settings()
        self.front = FrontConfig.from_settings(settings)
        # PostgreSQL: a request is mostly round trips to the server, which threads overlap, so
        # the loop passes on before every request (``turns``); SQLite: the leader serves inline.
        self._pass_on_each = settings.db.startswith(POSTGRES_SCHEMES)
        self.keepalived_conns: set[_Conn] = set()  # idle; handle_request counts them
        self._watched: set[_Conn] = set()  # every connection the event loop reads from
        self._ready: collections.deque[tuple[_Conn, _Framed]] = collections.deque()
        self._in_flight = 0  # requests read whole: waiting in _ready or being served
        self._serving = 0  # ... being served (at most cfg.threads at once, and the stalled)
        self._stalls = _Stalls(MAX_STALLED_WRITERS)
        self._buffered = 0  # body bytes reserved by requests being received or served
        self._next_beat = 0.0  # when the loop next tells the arbiter it is alive
        self._next_sweep = 0.0
        self._stop_by: float | None = None  # the graceful stop's deadline, once it began
        self._keepalive = bool(self.cfg.keepalive)
        self._settled = SettledConfig(self.cfg)  # what the parser and the WSGI environ read

    def get_thread_pool(self) -> Baton:
        """The threads that take turns at the event loop (``mockserver.turns``): up to
        ``threads`` requests served at once, and one more thread to run the loop meanwhile;
        more while answers wait for clients that read nothing (``_Stalls``)."""
        return Baton(self.cfg.threads + 1 + MAX_STALLED_WRITERS, self._lead)

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = _guarded_body(self.wsgi)
        # Everything the app holds once loaded (the spec, its validators, the modules) lives as
        # long as the worker: out of the garbage collector's way, a full collection scans only
        # what requests made since, not hundreds of thousands of objects (a p99 of its own).
        gc.freeze()

    # -- the event loop ----------------------------------------------------------------------

    def run(self) -> None:
        if self.cfg.is_ssl:
            raise RuntimeError("kore-mock's worker serves plain HTTP only (no TLS)")
        self.poller.register(
            self.method_queue.fileno(), EVENT_READ, self.method_queue.run_callbacks
        )
        self.set_accept_enabled(True)
        self.tpool.run()  # returns once the worker stopped

    def _lead(self) -> bool:
        """The loop, on the thread that holds the baton: serve what is ready, else wait for
        events. True when this thread lost the baton (held up by a request); False once the
        worker stopped."""
        while True:
            try:
                if not self._keep_going():
                    return False
                if self._ready and self._serving < self.cfg.threads + self._stalls.extra():
                    conn, request = self._ready.popleft()
                    if not self._serve_here(conn, request):
                        return True
                    continue
                self.wait_for_and_dispatch_events(timeout=SWEEP_SECONDS)
                self._sweep()
            except Exception:  # the loop must outlive any one connection
                self.log.exception("Error in the worker's event loop")

    def _keep_going(self) -> bool:
        """Beat the arbiter's heartbeat (once a second, not per request); begin, go on with or
        end the graceful stop. False once the worker stopped."""
        now = time.monotonic()
        if now >= self._next_beat:
            self._next_beat = now + HEARTBEAT_SECONDS
            self.notify()
            if not self.is_parent_alive():
                self.alive = False
        if self.alive:
            can_accept = self.nr_conns < self.worker_connections
            if can_accept != self._accepting:
                self.set_accept_enabled(can_accept)
            return True
        if self._stop_by is None:  # stop accepting; requests under way get graceful_timeout
            self._stop_by = now + self.cfg.graceful_timeout
            self.set_accept_enabled(False)
        # every connection without a request read whole goes: kept alive between requests,
        # open with nothing or part of a head sent, a body still arriving (any of them held a
        # stop until its deadline, past docker stop's 10 s grace: SIGKILL). Requests read whole
        # are served in what is left of graceful_timeout; answered ones linger out (CLOSING).
        for conn in [c for c in self._watched if c.phase != CLOSING]:
            self._drop(conn)
        if (self._in_flight or self._watched) and now < self._stop_by:
            return True
        self._stop()
        return False

    def _stop(self) -> None:
        for conn in list(self._watched):
            self._drop(conn)
        self.tpool.close()
        self.poller.close()
        # The method queue's pipe stays open until the process exits: a request still being
        # served past the graceful timeout may write to it, and a closed descriptor's number
        # could by then belong to another file.
        for listener in self.sockets:
            listener.close()

    def _serve_here(self, conn: _Conn, request: _Framed) -> bool:
        """Serve a request on this thread; True when it still leads afterwards."""
        self._serving += 1
        baton = self.tpool
        if self._pass_on_each:
            baton.pass_on()
        baton.begin()
        keep = self._serve(conn, request)
        if baton.end():
            self._served(conn, request, keep)
            return True
        self.method_queue.defer(self._served, conn, request, keep)  # to the loop's new leader
        return False

    def accept(self, listener: Any) -> None:
        try:
            sock, client = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        sock = _PatientSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        sock.setblocking(False)
        sock.send_timeout = self.front.send_timeout
        sock.stalls = self._stalls
        self.nr_conns += 1
        now = time.monotonic()
        conn = _Conn(sock, client, listener.getsockname(), now)
        conn.deadline = now + self.front.headers_timeout
        conn.on_readable = partial(self._readable, conn)
        self._watch(conn)

    def _watch(self, conn: _Conn) -> None:
        """The loop reads from ``conn`` again (registered with the poller once, and again only
        after a read event found it busy)."""
        self._watched.add(conn)
        if not conn.registered:
            self.poller.register(conn.sock, EVENT_READ, conn.on_readable)
            conn.registered = True

    def _unwatch(self, conn: _Conn) -> None:
        """The loop no longer reads from ``conn``; it stays registered (no system call per
        request) until an event finds it so."""
        self._watched.discard(conn)
        self.keepalived_conns.discard(conn)

    def _unregister(self, conn: _Conn) -> None:
        if conn.registered:
            conn.registered = False
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)

    def _drop(self, conn: _Conn) -> None:
        if conn.phase == CLOSED:
            return
        conn.phase = CLOSED
        self._unwatch(conn)
        self._unregister(conn)
        self._release(conn)
        util.close(conn.sock)
        self.nr_conns -= 1

    def _readable(self, conn: _Conn, _sock: Any) -> None:
        if conn not in self._watched:  # its request is being served (or waits for a thread)
            self._unregister(conn)  # its next bytes wait in the kernel until it is served
            return
        try:
            try:
                data = conn.sock.recv(READ_BYTES)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                if conn.phase == BODY:  # the body ended early: the app says how (and closes)
                    self._hand_over(conn, truncated=True)
                else:  # the client left
                    self._drop(conn)
                return
            now = time.monotonic()
            if conn.phase == CLOSING:
                conn.drained += len(data)
                if conn.drained > LINGER_BYTES:
                    self._drop(conn)
                return
            if conn.phase == IDLE:
                self.keepalived_conns.discard(conn)
                self._begin_head(conn, now)
            conn.buf += data
            self._advance(conn, now)
        except Exception:
            self.log.exception("Error in the connection's event loop")
            self._drop(conn)

    def _begin_head(self, conn: _Conn, now: float) -> None:
        conn.phase = HEAD
        conn.started = now
        conn.deadline = now + self.front.headers_timeout

    def _advance(self, conn: _Conn, now: float) -> None:
        """Frame what was received: the head, then the body, then hand the request over."""
        if conn.phase == HEAD:
            try:
                head = parse_head(self._settled, conn.buf, conn.client, conn.requests + 1)
            except Exception as exc:
                self._refuse(conn, *refusal(exc, self.cfg))
                return
            if head is None:
                return
            conn.head = head
            del conn.buf[: head.size]
            if head.length is not None and head.length > self.front.max_body_for(head):
                # the app refuses it on its length
                self._hand_over(conn, truncated=True, over_limit=True)
                return
            if head.length == 0:
                self._hand_over(conn)
                return
            if head.length is not None and not self._reserve(conn, head.length):
                return
            conn.phase = BODY
            conn.started = now
            conn.body = Body()
            conn.left = head.length or 0
            conn.scanner = ChunkScanner() if head.length is None else None
            if head.expects_continue and not conn.buf:
                with contextlib.suppress(OSError):  # the answer itself will tell
                    conn.sock.send(CONTINUE)
        if conn.phase == BODY:
            self._take_body(conn, now)

    def _take_body(self, conn: _Conn, now: float) -> None:
        body = conn.body
        assert body is not None
        if conn.scanner is None:
            take = min(conn.left, len(conn.buf))
            body.write(conn.buf[:take])
            del conn.buf[:take]
            conn.left -= take
            if conn.left == 0:
                self._hand_over(conn)
                return
        else:
            try:
                end = conn.scanner.feed(conn.buf)
            except http.ParseException:  # the thread's parser meets it too: the app says what
                body.write(conn.buf)
                conn.buf.clear()
                self._hand_over(conn, truncated=True)
                return
            taken = len(conn.buf) if end is None else end
            if not self._reserve(conn, taken):
                return
            body.write(conn.buf[:taken])
            del conn.buf[:taken]
            assert conn.head is not None
            if conn.scanner.payload > self.front.max_body_for(conn.head):
                # the app refuses it past its limit (a chunked body has no length to tell),
                # whether its last chunk came with the rest or not
                self._hand_over(conn, truncated=True, over_limit=True)
                return
            if end is not None:
                self._hand_over(conn)
                return
        front = self.front
        conn.deadline = body_deadline(
            conn.started, body.size, front.body_grace_period, front.body_min_rate
        )

    def _hand_over(self, conn: _Conn, *, truncated: bool = False, over_limit: bool = False) -> None:
        """A request read whole (or cut short): it waits for a thread, at most
        ``maxQueuedRequests`` of them per worker; past that, 503 and nothing of it is done.
        ``over_limit``: cut short at the largest body its route accepts."""
        assert conn.head is not None
        request = _Framed(
            conn.head, conn.body, truncated=truncated, reserved=conn.reserved, over_limit=over_limit
        )
        conn.body = conn.scanner = conn.head = None
        conn.reserved = 0
        if len(self._ready) >= self.front.max_queued_requests:
            request.close()
            self._buffered -= request.reserved
            self._refuse(
                conn,
                503,
                self.front.busy_msg(),
                (("Retry-After", str(self.front.retry_after)),),
            )
            return
        self._unwatch(conn)
        conn.phase = BUSY
        self._in_flight += 1
        self._ready.append((conn, request))

    def _served(self, conn: _Conn, request: _Framed, keep: bool) -> None:
        """On the loop's thread: a kept-alive connection waits for its next request."""
        self._in_flight -= 1
        self._serving -= 1
        self._buffered -= request.reserved
        request.close()
        now = time.monotonic()
        try:
            if not keep or request.truncated:
                self._close(conn, now)
                return
            conn.requests += 1
            conn.phase = IDLE
            conn.started = now
            conn.deadline = now + self.cfg.keepalive
            self._watch(conn)
            if conn.buf:  # pipelined: the next request has begun
                self._begin_head(conn, now)
                self._advance(conn, now)
            else:
                self.keepalived_conns.add(conn)
        except Exception:  # the event loop must outlive any one connection
            self.log.exception("Error in the connection's event loop")
            self._drop(conn)

    def _reserve(self, conn: _Conn, size: int) -> bool:
        """Count ``size`` more body bytes against ``maxBufferedBytes``; past it, 503 (the bytes
        are not read) and False. A body alone always fits (its route's limit bounds it: a
        snapshot load may be larger than the budget)."""
        if self._buffered and self._buffered + size > self.front.max_buffered_bytes:
            self._refuse(
                conn,
                503,
                self.front.busy_buffering_msg(),
                (("Retry-After", str(self.front.retry_after)),),
            )
            return False
        self._buffered += size
        conn.reserved += size
        return True

    def _release(self, conn: _Conn) -> None:
        """The body being received is dropped: its file and its bytes in the budget."""
        if conn.body is not None:
            conn.body.close()
            conn.body = None
        self._buffered -= conn.reserved
        conn.reserved = 0

    def _refuse(self, conn: _Conn, status: int, msg: str, headers: Any = ()) -> None:
        if status >= 500 and status != 503:
            self.log.error("Refused a request from %s: %s %s", _where(conn.client), status, msg)
        else:
            self.log.warning("Refused a request from %s: %s %s", _where(conn.client), status, msg)
        with contextlib.suppress(OSError):  # a client that reads nothing gets no answer
            conn.sock.send(render(status, msg, headers))
        self._close(conn, time.monotonic())

    def _close(self, conn: _Conn, now: float) -> None:
        """Half-close, then drain what the client still sends for a moment (RFC 9112 9.6):
        closing with unread bytes would reset the connection and lose our answer."""
        self._release(conn)
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._drop(conn)
            return
        conn.phase = CLOSING
        conn.buf.clear()
        conn.deadline = now + LINGER_SECONDS
        if conn not in self._watched:
            self._watch(conn)

    def _sweep(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        for conn in [c for c in self._watched if c.deadline <= now]:
            if conn.phase == HEAD and conn.buf:
                self._refuse(conn, 408, self.front.late_head_msg())
            elif conn.phase == BODY:
                self._refuse(conn, 408, self.front.too_slow_msg())
            else:  # idle, nothing of a request yet, or done lingering
                self._drop(conn)

    # -- in a worker thread ------------------------------------------------------------------

    def _serve(self, conn: _Conn, request: _Framed) -> bool:
        """Run the app on a request read whole; True to keep the connection."""
        req = None
        try:
            req = request.message()
            return self.handle_request(req, conn)
        except (StopIteration, http.NoMoreData):
            return False
        except TimeoutError:
            self.log.warning(
                "Closed the connection of %s: it read none of its answer for %g s",
                _where(conn.client),
                self.front.send_timeout,
            )
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
        except Exception as exc:
            self.handle_error(req, conn.sock, conn.client, exc)
        return False

    def handle_request(self, req: Any, conn: Any) -> bool:
        """gunicorn's ``handle_request`` without what kore-mock never configures (the access
        log and the pre/post-request hooks), with ``_Response``; True to keep the connection."""
        resp, environ = wsgi.create(
            req, conn.sock, conn.client, conn.server, self._settled, response_class=_Response
        )
        environ["wsgi.multithread"] = True
        if getattr(req, "body_over_limit", False):
            environ[BODY_OVER_LIMIT] = True
        self.nr += 1
        if self.nr >= self.max_requests:
            if self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            resp.force_close()
        crowded = len(self.keepalived_conns) >= self.max_keepalived
        if not self.alive or not self._keepalive or crowded:
            resp.force_close()
        try:
            respiter = self.wsgi(environ, resp.start_response)
            try:
                if isinstance(respiter, wsgi.FileWrapper):
                    resp.write_file(respiter)
                else:
                    for item in respiter:
                        resp.write(item)
                resp.close()
            finally:
                if hasattr(respiter, "close"):
                    respiter.close()
        except OSError:
            raise
        except (Exception, SystemExit):
            if resp.headers_sent and resp._head is None:
                # part of the answer went out: an error answer now would corrupt it
                self.log.exception("Error handling request")
                util.close_graceful(conn.sock)
                raise StopIteration() from None
            raise
        return not resp.should_close()

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, msg = refusal(exc, self.cfg)
        if status >= 500:
            self.log.exception("Error handling request")
        else:
            self.log.warning("Refused a request from %s: %s %s", _where(addr), status, msg)
        try:
            util.write_nonblock(client, render(status, msg))
        except Exception:
            self.log.debug("Failed to send the error response.")


def _where(addr: Any) -> str:
    return str(addr[0]) if addr else "?"


def _guarded_body(app: Any) -> Any:
    """WSGI middleware over gunicorn's request body (see ``_Body``).

    A request refused before its body was read (401 for an upload, 413 for an oversized one)
    is answered with ``Connection: close``: gunicorn drains at most 64 KB of an unread body and
    otherwise drops the connection it had just announced as keep-alive, so the client's next
    request on it would fail.
    """

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        body = _Body(environ["wsgi.input"], environ)
        environ["wsgi.input"] = body

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            response = getattr(start_response, "__self__", None)  # gunicorn's Response
            if not body.read_whole and hasattr(response, "force_close"):
                response.force_close()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return middleware


class _Body:
    """gunicorn's request body, its parse errors (a malformed chunk) raised as ``ValueError``:
    werkzeug takes that for a broken client stream (400), not for a bug of the app (500). It
    also knows whether the app read the body to its end."""

    def __init__(self, body: Any, environ: dict[str, Any]) -> None:
        self._body = body
        length = environ.get("CONTENT_LENGTH") or ""
        self._chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        self._left = int(length) if length.isdigit() else 0
        self._ended = False

    @property
    def read_whole(self) -> bool:
        return self._ended if self._chunked else self._left <= 0

    def read(self, size: int | None = None) -> bytes:
        return self._count(_reading(self._body.read, size), size)

    def readline(self, size: int | None = None) -> bytes:
        return self._count(_reading(self._body.readline, size), size)

    def readlines(self, hint: int | None = None) -> list[bytes]:
        lines = _reading(self._body.readlines, hint)
        self._count(b"".join(lines), None)
        return lines

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def _count(self, data: bytes, size: int | None) -> bytes:
        self._left -= len(data)
        if not data and size != 0:
            self._ended = True
        return data


def _reading(method: Any, size: int | None) -> Any:
    try:
        return method(size)
    except http.ParseException as exc:
        raise ValueError(f"unreadable request body: {type(exc).__name__}") from None
    except http.NoMoreData:
        raise ValueError("the request body ended before its end") from None


def refusal(exc: BaseException, cfg: Any) -> tuple[int, str]:
    """(HTTP status, message) for an error gunicorn raised while reading a request."""
    if isinstance(exc, http.LimitRequestLine):
        return 414, f"The request line is longer than this server's {cfg.limit_request_line} bytes"
    if isinstance(exc, http.LimitRequestHeaders):
        return 431, (
            f"The request headers are over this server's limits: at most "
            f"{cfg.limit_request_fields} fields of at most {cfg.limit_request_field_size} bytes "
            "each with its line end, "
            f"{MAX_HEAD_BYTES} bytes with the request line"
        )
    if isinstance(exc, HostRefused):
        if exc.missing:
            return 400, "An HTTP/1.1 request needs a Host header"
        return 400, "The Host header is not a host name or address with an optional port"
    if isinstance(exc, http.InvalidHeaderName | http.InvalidHeader | http.ObsoleteFolding):
        name = getattr(exc, "hdr", "")
        if not (isinstance(name, str) and _HEADER_NAME.fullmatch(name)):
            return 400, "A request header is malformed or not allowed"
        shown = "-".join(part.capitalize() for part in name.split("-"))  # as a client writes it
        twice = ", or given twice" if name.upper() in _ONCE_ONLY else ""
        return 400, f"The header {shown} is malformed or not allowed{twice}"
    if isinstance(exc, http.InvalidRequestLine | http.InvalidRequestMethod):
        return 400, "The request line is malformed"
    if isinstance(exc, http.InvalidHTTPVersion):
        return 400, "The HTTP version is not supported; use HTTP/1.1"
    if isinstance(exc, http.UnsupportedTransferCoding):
        return 400, "The Transfer-Encoding is not supported; send chunked or a Content-Length"
    if isinstance(
        exc, http.InvalidChunkSize | http.ChunkMissingTerminator | http.InvalidChunkExtension
    ):
        return 400, "The chunked request body is malformed"
    if isinstance(exc, http.ExpectationFailed):
        return 417, "Only 'Expect: 100-continue' is supported"
    if isinstance(exc, http.InvalidProxyLine | http.InvalidSchemeHeaders):
        return 400, "The request's proxy or scheme headers are malformed"
    if isinstance(exc, http.ForbiddenProxyRequest):
        return 403, "Proxy requests are not allowed from this address"
    return 500, "Internal server error; the server log has the details"


def render(status: int, msg: str, headers: Any = ()) -> bytes:
    body = json.dumps(envelope([{"msg": msg}], status), separators=(",", ":")).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"{extra}"
        "\r\n"
    )
    return head.encode("latin-1") + body
