"""gunicorn's threaded worker, answering the requests gunicorn itself refuses in Kore's envelope.

Some requests never reach the app: gunicorn refuses a request line or headers over its limits, a
malformed header or request line, an unknown transfer coding. Its own answer is an HTML page;
this worker gives the same refusal as every other error of the mock: JSON
``{"errors": [{"msg", "code"}]}``, a 4xx for anything a client sent. Its log line names the
problem and the client address, never a header's value (that may be a token).
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

from gunicorn import util
from gunicorn.http import errors as http
from gunicorn.workers.gthread import ThreadWorker

from mockserver.errors import envelope

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,40}")


class EnvelopeWorker(ThreadWorker):
    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = _guarded_body(self.wsgi)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, msg = refusal(exc, self.cfg)
        if status >= 500:
            self.log.exception("Error handling request")
        else:
            where = addr[0] if addr else "?"
            self.log.warning("Refused a request from %s: %s %s", where, status, msg)
        try:
            util.write_nonblock(client, render(status, msg))
        except Exception:
            self.log.debug("Failed to send the error response.")


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


def refusal(exc: BaseException, cfg: Any) -> tuple[int, str]:
    """(HTTP status, message) for an error gunicorn raised while reading a request."""
    if isinstance(exc, http.LimitRequestLine):
        return 414, f"The request line is longer than this server's {cfg.limit_request_line} bytes"
    if isinstance(exc, http.LimitRequestHeaders):
        return 431, (
            f"The request headers are over this server's limits: at most "
            f"{cfg.limit_request_fields} fields of at most {cfg.limit_request_field_size} bytes"
        )
    if isinstance(exc, http.InvalidHeaderName | http.InvalidHeader | http.ObsoleteFolding):
        name = getattr(exc, "hdr", "")
        named = f" ({name})" if isinstance(name, str) and _HEADER_NAME.fullmatch(name) else ""
        return 400, f"A request header is malformed or not allowed{named}"
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


def render(status: int, msg: str) -> bytes:
    body = json.dumps(envelope([{"msg": msg}], status), separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body
