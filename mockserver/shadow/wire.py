"""One HTTP exchange as bytes: the request a client sent, the answer a host gave.

Both proxy and replay work on these: a request is forwarded or replayed as the client sent it
(method, path, query, headers, body), and an answer is passed back as the host gave it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import orjson

from mockserver.json_body import nests_too_deep
from mockserver.memory import remember
from mockserver.redact import REDACTED, redacted_text

# Headers about one connection, never forwarded (RFC 9110 7.6.1), and what the proxy recomputes.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
# Headers that carry credentials: a recording keeps their name, never their value.
CREDENTIAL_HEADERS = frozenset(
    {"auth", "authorization", "cookie", "set-cookie", "x-mock-admin-token", "x-api-key"}
)
# Header names as the vendor docs spell them (WSGI servers hand them over upper-cased).
KNOWN_NAMES = {"ACCOUNTID": "accountId", "AUTH": "auth"}
REJECTED_ROWS_HEADER = "x-mock-rejected-rows"
JOURNAL_ID_HEADER = "x-mock-journal-id"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # as WSGI's PATH_INFO: percent-decoded, latin-1
    query: str = ""  # the raw query string, without '?'
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    raw_path: str | None = None  # the path as the client sent it, still percent-encoded

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    @property
    def content_type(self) -> str:
        return self.header("Content-Type") or ""

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        return parse_json(self.body) if _is_json_type(self.content_type) else None

    def with_changes(self, **changes: Any) -> HttpRequest:
        return replace(self, **changes)

    def with_header(self, name: str, value: str | None) -> HttpRequest:
        """The request with header ``name`` set to ``value`` (or removed when None)."""
        kept = tuple((k, v) for k, v in self.headers if k.lower() != name.lower())
        return replace(self, headers=kept if value is None else (*kept, (name, value)))

    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    @classmethod
    def from_environ(cls, environ: dict[str, Any], body: bytes) -> HttpRequest:
        headers = [
            (_header_name(key[5:]), value)
            for key, value in environ.items()
            if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        return cls(
            method=environ["REQUEST_METHOD"].upper(),
            path=environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            query=environ.get("QUERY_STRING", ""),
            headers=tuple(headers),
            body=body,
            raw_path=_raw_path(environ.get("RAW_URI") or environ.get("REQUEST_URI")),
        )


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""  # as it came over the wire (still content-encoded, if it was)
    reason: str = ""

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    def decoded_body(self) -> bytes | None:
        """The body without its content encoding; None for an encoding this code cannot undo."""
        encoding = (self.header("Content-Encoding") or "identity").strip().lower()
        if encoding in ("", "identity"):
            return self.body
        try:
            if encoding in ("gzip", "x-gzip"):
                return zlib.decompress(self.body, wbits=31)
            if encoding == "deflate":
                try:
                    return zlib.decompress(self.body)
                except zlib.error:
                    return zlib.decompress(self.body, wbits=-15)
        except zlib.error:
            return None
        return None

    def json(self) -> Any:
        """The body as JSON; None when there is none; the text when it is not JSON."""
        body = self.decoded_body()
        if not body:
            return None
        parsed = parse_json(body)
        if parsed is not None:
            return parsed
        return NotJson(body.decode("utf-8", "replace"))

    @property
    def status_line(self) -> str:
        return f"{self.status} {self.reason}".strip()


@dataclass(frozen=True)
class NotJson:
    """A body that is not JSON (an HTML error page, plain text...)."""

    text: str = field(repr=False)

    def __str__(self) -> str:
        return f"a non-JSON body ({len(self.text)} characters)"


def parse_json(body: bytes) -> Any:
    """``body`` as JSON; None when it is not JSON, or nested deeper than any body of the API
    (a hostile client's 100,000 brackets stay text, they never recurse)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:  # also invalid UTF-8, NaN, integers over 64 bits
        return None
    return None if nests_too_deep(body, document) else document


def forwardable(headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """The end-to-end headers of a message: what a proxy passes on."""
    return [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]


# Clients send the same few header sets over and over (one token, one accountId): the redacted
# form of a small set is kept, up to this many sets, so a journal entry does not redo it.
REDACTED_SETS_KEPT = 256
REDACTED_SET_BYTES = 4096  # a set larger than this (characters) is redacted every time
_redacted_sets: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}


def redacted_headers(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Headers a recording may keep: credentials and anything shaped like a JWT hidden."""
    kept = _redacted_sets.get(headers)
    if kept is None:
        kept = _redacted_header_set(headers)
        if sum(len(k) + len(v) for k, v in headers) <= REDACTED_SET_BYTES:
            remember(_redacted_sets, headers, kept, REDACTED_SETS_KEPT)
    return dict(kept)  # the caller's own copy


def _redacted_header_set(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for raw_name, value in forwardable(headers):
        name = KNOWN_NAMES.get(raw_name.upper(), raw_name)
        shown = REDACTED if name.lower() in CREDENTIAL_HEADERS else redacted_text(value)
        kept[name] = f"{kept[name]}, {shown}" if name in kept else shown
    return kept


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers if k.lower() == wanted), None)


def _header_name(environ_key: str) -> str:
    return KNOWN_NAMES.get(environ_key) or environ_key.replace("_", "-").title()


def _is_json_type(content_type: str) -> bool:
    mimetype = content_type.split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or mimetype.endswith("+json")


def _raw_path(target: str | None) -> str | None:
    """The path of a request target as sent (origin form ``/p?q``, or absolute form)."""
    if not target:
        return None
    if not target.startswith("/"):
        target = urlsplit(target).path or "/"
    return target.split("?", 1)[0]
