"""Requests forwarded to a host as the client sent them, answers taken as the host gave them.

urllib3 rather than a higher-level client: the body goes both ways byte for byte (a gzip answer
stays gzip for the caller), no redirect is followed, no retry is made — the caller sees exactly
what the host did. Connections are pooled (one pool per host, shared by the proxy's threads).
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
                # the host's pool is given the target itself: the pool manager would parse a
                # whole URL and resolve its dot segments
                response = self._pool.connection_from_url(self._origin).urlopen(
                    sent.method,
                    target,
                    body=sent.body
                    if sent.body or sent.method in ("POST", "PUT", "PATCH")
                    else None,
                    headers=_headers(sent),
                    redirect=False,
                    preload_content=False,
                    decode_content=False,
                )
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

    def close(self) -> None:
        self._pool.clear()


def _headers(sent: HttpRequest) -> urllib3.HTTPHeaderDict:
    headers = urllib3.HTTPHeaderDict()
    for name, value in forwardable(sent.headers):
        headers.add(name, value)
    return headers
