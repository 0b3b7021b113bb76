"""What ``kore-mock serve`` does with a connection before a worker thread may see it.

A worker process has a few threads (4) to run the app. A thread must never
wait for a client: a client that trickles its headers or its body a byte at a time would hold
it for as long as it likes, and a handful of them would stop the server answering anyone. So
the worker's event loop (one per process, ``http_worker``) reads every request **whole** —
request line, headers and body — from non-blocking sockets, under deadlines, and only then
hands it to a thread, which parses it from memory and writes the answer:

- the head (request line and headers) must be complete ``headersTimeout`` seconds after its
  first byte (after the connection was accepted, for a new connection);
- after ``bodyGracePeriod`` seconds the body must have averaged at least ``bodyMinRate``
  bytes a second since the head ended;
- a client that falls behind gets 408 in Kore's envelope and the connection is closed. The app
  never saw its request: nothing of it is stored or journaled;
- at most ``maxQueuedRequests`` complete requests wait for a thread; past that a request is
  answered 503 with ``Retry-After`` (nothing of it done) instead of waiting ever longer;
- the bodies held at once (being received, waiting or being served) add up to at most
  ``maxBufferedBytes`` per worker — by Content-Length, before a byte is read: a request that
  would pass it gets 503 too. Bodies are read before the app has seen the request (and so
  before it checked the token), so this is what bounds the memory and disk a crowd of
  unauthenticated uploads can take.

This module is the part that knows no event loop: framing a request from the bytes received
so far (with gunicorn's own parser, whose parse the thread is given: the head is parsed once),
the chunked-body scanner, the body's spool and the deadlines.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gunicorn.http.body import Body as GunicornBody
from gunicorn.http.body import ChunkedReader, LengthReader
from gunicorn.http.errors import (
    ChunkMissingTerminator,
    InvalidChunkSize,
    InvalidHeader,
    LimitRequestHeaders,
    NoMoreData,
    UnsupportedTransferCoding,
)
from gunicorn.http.message import Request
from gunicorn.http.unreader import IterUnreader

from mockserver.memory import remember
from mockserver.settings import Http, Settings

SPOOL_BYTES = 1024 * 1024  # a body is kept in memory up to this size, then in a temp file
CHUNK_LINE_LIMIT = 4096  # bytes of a chunk-size line (with extensions) or of one trailer line
TRAILER_LIMIT = 64 * 1024  # bytes of a chunked body's trailer section


SNAPSHOT_PATH = "/__mock__/snapshot"
IMPORT_SUFFIX = "/contacts/import-contacts"  # the vendor API's upload: its own limit


@dataclass(frozen=True)
class FrontConfig:
    """The front's rules, from the settings (``http:`` and the body limits)."""

    headers_timeout: float
    body_grace_period: float
    body_min_rate: int
    send_timeout: float
    max_queued_requests: int
    retry_after: int
    max_buffered_bytes: int
    max_body: int  # the largest body any route accepts: larger ones are not read ahead
    max_snapshot_body: int = 0  # PUT /__mock__/snapshot's own limit (limits.maxSnapshotBytes)
    max_upload_body: int | None = None  # an import's limit (limits.maxUploadBytes)

    def max_body_for(self, head: Head) -> int:
        """The largest body the route of ``head`` accepts (a snapshot load may be larger, an
        import smaller: with ``Expect: 100-continue`` the client is not asked for a body its
        route refuses on its length)."""
        message = head.message
        if message.method == "PUT" and message.path == SNAPSHOT_PATH:
            return max(self.max_body, self.max_snapshot_body)
        if self.max_upload_body is not None and message.path.endswith(IMPORT_SUFFIX):
            return self.max_upload_body
        return self.max_body

    @classmethod
    def from_settings(cls, settings: Settings) -> FrontConfig:
        http: Http = settings.http
        limits = settings.limits
        max_body = max(limits.max_upload_bytes, limits.max_json_bytes + 1)
        return cls(
            headers_timeout=http.headers_timeout,
            body_grace_period=http.body_grace_period,
            body_min_rate=http.body_min_rate,
            send_timeout=http.send_timeout,
            max_queued_requests=http.max_queued_requests,
            retry_after=http.retry_after,
            max_buffered_bytes=max(http.max_buffered_bytes, max_body),  # the largest fits
            max_body=max_body,
            max_snapshot_body=limits.max_snapshot_bytes,  # past it: handed over cut, 413
            max_upload_body=limits.max_upload_bytes,
        )

    def too_slow_msg(self) -> str:
        return (
            f"The request body arrived too slowly: after {self.body_grace_period:g} s it must "
            f"average at least {self.body_min_rate} bytes per second"
        )

    def late_head_msg(self) -> str:
        return (
            "The request was not received in time: its request line and headers must arrive "
            f"within {self.headers_timeout:g} s"
        )

    def busy_buffering_msg(self) -> str:
        return (
            "The server is busy: too many request bodies are being received. "
            f"Retry after {self.retry_after} s."
        )

    def busy_msg(self) -> str:
        return (
            f"The server is busy: too many requests are waiting. Retry after {self.retry_after} s."
        )


@dataclass(frozen=True)
class Head:
    """A complete request head: where it ends and how its body is framed."""

    size: int  # bytes of the head, from the start of the buffer
    length: int | None  # the body's Content-Length; None when chunked
    expects_continue: bool  # Expect: 100-continue
    message: Request  # gunicorn's parse of it, which the thread is given with the body

    def with_body(self, chunks: Iterator[bytes]) -> Request:
        """The request, its body read from ``chunks`` (what the event loop received)."""
        request = self.message
        unreader = IterUnreader(chunks)
        request.unreader = unreader
        reader = ChunkedReader(request, unreader) if self.length is None else None
        request.body = GunicornBody(reader or LengthReader(unreader, self.length))
        request._expected_100_continue = False  # the event loop has answered it
        return request


TRUSTED_PEERS_KEPT = 256  # peer addresses whose trust for forwarding headers is remembered
_trusted_peers: dict[tuple[Any, str], bool] = {}


class _Request(Request):
    """gunicorn's request, its peer's trust decided once per peer address: gunicorn parses the
    address with ``ipaddress`` and matches it against ``forwarded_allow_ips`` for every request
    (a tenth of a small request's head parse), while the answer depends on the address and the
    worker's settings alone."""

    _closes: bool | None = None  # the client's Connection header lists "close"

    def should_close(self) -> bool:
        """gunicorn's answer, and ``close`` found as one option of a list (``Connection: TE,
        close``: RFC 9112 9.6), where gunicorn compares the whole value."""
        if self._closes is None:
            self._closes = any(
                option.strip(" \t").lower() == "close"
                for name, value in self.headers
                if name == "CONNECTION"
                for option in value.split(",")
            )
        return self._closes or super().should_close()

    def _peer_is_trusted_proxy(self) -> bool:
        peer = self.peer_addr
        if not isinstance(peer, tuple):
            return super()._peer_is_trusted_proxy()
        key = (self.cfg, peer[0])
        trusted = _trusted_peers.get(key)
        if trusted is None:
            trusted = super()._peer_is_trusted_proxy()
            remember(_trusted_peers, key, trusted, TRUSTED_PEERS_KEPT)
        return trusted


# The whole head, request line and header fields: ~800 KB within the per-field limits alone, which
# a thousand connections that never end their heads held at once (proxies in front of real
# services cap it lower still: nginx's default 4 x 8 KB, a cloud load balancer's 64 KB).
MAX_HEAD_BYTES = 64 * 1024


# RFC 9112 3.2 / RFC 3986 3.2.2: uri-host [ ":" port ], the host an IP literal or a reg-name
# (which may be empty).
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]*)(?::[0-9]*)?")


class HostRefused(InvalidHeader):
    """An HTTP/1.1 request without a Host header, or with one that is no host[:port]: RFC 9112
    (3.2) has a server answer it 400. (Two Host headers gunicorn refuses itself.)"""

    def __init__(self, missing: bool) -> None:
        super().__init__("Host")
        self.missing = missing


def _check_host(request: Request) -> None:
    hosts = [value for name, value in request.headers if name == "HOST"]
    if not hosts:
        if request.version >= (1, 1):
            raise HostRefused(missing=True)
    elif _HOST.fullmatch(hosts[0]) is None:
        raise HostRefused(missing=False)


def parse_head(cfg: Any, buf: bytes | bytearray, peer: Any, number: int) -> Head | None:
    """The head at the start of ``buf``, or None while it is incomplete.

    gunicorn's parser does the work, so the thread that parses the request again later agrees
    on every byte. Raises what gunicorn raises for a malformed or oversized head (the caller
    answers it with ``http_worker.refusal``).
    """
    if not buf:
        return None
    max_head = min(
        MAX_HEAD_BYTES,
        cfg.limit_request_line + 4 + cfg.limit_request_fields * (cfg.limit_request_field_size + 2),
    )
    if not _worth_parsing(buf, cfg.limit_request_line):
        if len(buf) > max_head:
            raise LimitRequestHeaders("max buffer headers")
        return None
    unreader = IterUnreader([bytes(buf)])
    try:
        request = _Request(cfg, unreader, peer, number)
    except NoMoreData:
        if len(buf) > max_head:
            raise LimitRequestHeaders("max buffer headers") from None
        return None
    except StopIteration:
        return None
    size = len(buf) - len(unreader.buf.getvalue())
    if size > max_head:
        raise LimitRequestHeaders("max buffer headers")
    _check_host(request)
    _check_transfer_coding(request)
    reader = request.body.reader
    length = None if isinstance(reader, ChunkedReader) else reader.length
    return Head(size, length, bool(getattr(request, "_expected_100_continue", False)), request)


def _check_transfer_coding(request: Request) -> None:
    """A request body's only transfer coding is ``chunked``: gunicorn takes ``gzip``,
    ``deflate`` or ``compress`` before it and reads the body as if they were not there (a plain
    body labelled gzip was stored); decoding them is not kore-mock's job (RFC 9112 6.1)."""
    for name, value in request.headers:
        if name == "TRANSFER-ENCODING" and value.strip(" \t").lower() != "chunked":
            raise UnsupportedTransferCoding(value)


def _worth_parsing(buf: bytes | bytearray, line_limit: int) -> bool:
    """Whether the parser can decide now: the head's end is in sight, a bare LF (refused at
    once), or a request line already over its limit."""
    if b"\r\n\r\n" in buf:
        return True
    if buf.count(b"\n") != buf.count(b"\r\n"):
        return True
    return b"\r\n" not in buf and len(buf) > line_limit + 2


class ChunkScanner:
    """Finds the end of a chunked body in the bytes as they arrive, without decoding them.

    ``feed`` returns how many of the bytes given belong to the body once its last chunk and
    trailer section are complete (None before), and raises a gunicorn parse error for framing
    that can never become valid. ``payload`` counts the body's data bytes so far.
    """

    def __init__(self) -> None:
        self.payload = 0
        self._state = "size"
        self._line = bytearray()
        self._left = 0  # data bytes left in the current chunk
        self._trailer = 0

    def feed(self, data: bytes | bytearray) -> int | None:
        with memoryview(data) as view:  # released even when a parse error is raised
            return self._feed(view)

    def _feed(self, view: memoryview) -> int | None:
        pos = 0
        while pos < len(view):
            if self._state == "data":
                take = min(self._left, len(view) - pos)
                pos += take
                self._left -= take
                self.payload += take
                if self._left == 0:
                    self._state = "crlf"
                continue
            end = bytes(view[pos : pos + CHUNK_LINE_LIMIT + 2]).find(b"\n")
            if end < 0:
                self._line += view[pos:]
                if len(self._line) > CHUNK_LINE_LIMIT:
                    raise InvalidChunkSize(b"a chunk line without its end")
                return None
            self._line += view[pos : pos + end + 1]
            pos += end + 1
            line, self._line = bytes(self._line), bytearray()
            if not line.endswith(b"\r\n") or len(line) > CHUNK_LINE_LIMIT + 2:
                raise InvalidChunkSize(b"a chunk line must end with CRLF")
            if self._line_done(line[:-2]):
                return pos
        return None

    def _line_done(self, line: bytes) -> bool:
        """One CRLF-terminated line of framing; True when it ended the body."""
        if self._state == "crlf":
            if line:
                raise ChunkMissingTerminator(line[:2])
            self._state = "size"
            return False
        if self._state == "trailer":
            self._trailer += len(line) + 2
            if self._trailer > TRAILER_LIMIT:
                raise LimitRequestHeaders("limit request trailer section size")
            return not line
        size = line.split(b";", 1)[0].rstrip(b" \t")
        if not size or any(c not in b"0123456789abcdefABCDEF" for c in size):
            raise InvalidChunkSize(size[:20])
        self._left = int(size, 16)
        self._state = "data" if self._left else "trailer"
        return False


class Body:
    """A request body as received: in memory, past ``SPOOL_BYTES`` in a temporary file."""

    def __init__(self) -> None:
        self.size = 0
        self._file: Any = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._file.write(data)
        self.size += len(data)

    def chunks(self, size: int = SPOOL_BYTES) -> Iterator[bytes]:
        self._file.seek(0)
        while chunk := self._file.read(size):
            yield chunk

    def close(self) -> None:
        self._file.close()


def body_deadline(started: float, received: int, grace: float, min_rate: int) -> float:
    """When a body that began at ``started`` and has ``received`` bytes is too slow: after the
    grace period, as soon as its average rate since ``started`` falls under ``min_rate``."""
    return started + max(grace, received / min_rate)
