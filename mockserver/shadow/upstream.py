"""Requests forwarded to a host as the client sent them, answers taken as the host gave them.

urllib3 rather than a higher-level client: the body goes both ways byte for byte (a gzip answer
stays gzip for the caller), no redirect is followed — the caller sees exactly what the host did.
Connections are pooled (one pool per host, shared by the proxy's threads). One retry only: a
connection the host (or a load balancer before it) closed or reset before any byte of an answer,
for a method HTTP calls idempotent — a pooled connection it had let go of, which no client of the
host would see; a create or an import is never sent twice.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import urllib3

from mockserver.shadow.wire import HttpRequest, HttpResponse, forwardable
from mockserver.turns import waiting

CONNECT_TIMEOUT = 10.0  # seconds
POOL_SIZE = 8  # connections kept per host (the proxy serves several threads)
SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# sent again (once) when the connection ended before any answer: RFC 9110's idempotent methods
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


class UpstreamError(RuntimeError):
    """The host did not answer (refused, timed out, TLS failure...); the message says why."""


class Upstream:
    def __init__(self, base_url: str, *, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the upstream must be an http(s) URL, not {base_url!r}")
        self.url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._prefix = parts.path.rstrip("/")
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=POOL_SIZE,
            retries=False,
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=timeout),
        )

    def send(self, sent: HttpRequest) -> HttpResponse:
        """One request to the host; its answer, body still content-encoded. The request target
        is the one the client sent (an encoded ``/`` stays encoded, no dot segment is resolved):
        only a ``%`` that starts no escape is escaped, as the target could not be sent with it."""
        prefix = quote(self._prefix.encode("latin-1"), safe=SAFE_PATH)
        if sent.raw_path is not None:
            path = sent.raw_path
        else:  # a request rebuilt from a recording: its decoded path
            path = quote(sent.path.encode("latin-1"), safe=SAFE_PATH)
        target = _LONE_PERCENT.sub("%25", prefix + path)
        if sent.query:
            target += "?" + _LONE_PERCENT.sub("%25", sent.query)
        try:
            with waiting():  # the pool's other threads may run requests meanwhile
                response = self._answer(sent, target)
                try:
                    body = response.read(decode_content=False)
                finally:
                    response.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            raise UpstreamError(
                f"{self.url} did not answer {sent.method} {sent.path}: {exc}"
            ) from None
        return HttpResponse(
            status=response.status,
            headers=tuple(response.headers.iteritems()),
            body=body,
            reason=response.reason or "",
        )

    def _answer(self, sent: HttpRequest, target: str) -> urllib3.BaseHTTPResponse:
        """The host's answer, its head read; sent again once when the connection ended before
        any of it and the method is idempotent (a stale pooled connection: urllib3 replaces one
        the host closed, not one it closes as the request arrives)."""
        # the host's pool is given the target itself: the pool manager would parse a whole URL
        # and resolve its dot segments
        pool = self._pool.connection_from_url(self._origin)
        body = sent.body if sent.body or sent.method in ("POST", "PUT", "PATCH") else None
        for attempt in (1, 2):
            try:
                return pool.urlopen(
                    sent.method,
                    target,
                    body=body,
                    headers=_headers(sent),
                    redirect=False,
                    preload_content=False,
                    decode_content=False,
                )
            except urllib3.exceptions.ProtocolError:  # closed or reset, no answer begun
                if attempt == 2 or sent.method not in IDEMPOTENT:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._pool.clear()


def _headers(sent: HttpRequest) -> urllib3.HTTPHeaderDict:
    headers = urllib3.HTTPHeaderDict()
    for name, value in forwardable(sent.headers):
        headers.add(name, value)
    return headers
