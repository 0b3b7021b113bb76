"""Recordings: one JSON object per line, one line per exchange, in the order they happened.

    {"recording": "kore-mock/1", "seq": 1, "at": "2025-01-01T10:00:00.000Z",
     "source": "upstream", "operation": "importContacts",
     "request": {"method": "POST", "query": "",
                 "path": "/agentassist/api/v1/public/st-.../contacts/import-contacts",
                 "headers": {"accountId": "...", "auth": "REDACTED", ...},
                 "bodyText": "--boundary\\r\\n..."},
     "response": {"status": 400, "headers": {...}, "body": {"errors": [...]}},
     "mock": {"status": 200, "journalId": 7}, "differences": [...]}

- ``request`` is what the client sent; ``response`` is the answer of record — the upstream's in a
  proxy recording (``source: upstream``), the mock's in a journal export (``source: journal``).
- A body is ``body`` (JSON, when the message says it is JSON and parses), ``bodyText`` (UTF-8
  text: a multipart upload is readable and diffable), or ``bodyBase64``. A response body is kept
  without its content encoding. A journal export may lack a response body (``response`` has the
  status, ``"bodyNotKept": true``, and ``created`` / ``refused`` counts where it had them),
  or a request body (``request`` has ``"bodyNotKept": true``: over 1 MiB, or not read). An
  entry written by an older kore-mock kept no request at all: its ``request`` has only the
  method, path and query, and ``"bodyNotKept": true`` (no ``headers``); it cannot be replayed.
- Credentials never reach the file: the ``auth`` header and other credential headers become
  ``REDACTED``; anything shaped like a JWT, anywhere, too; and credential-named query
  parameters. A replay signs its own requests.
- ``mock`` and ``differences`` say what the proxy saw at the time; a replay ignores them.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mockserver.contacts.model import now_iso
from mockserver.json_body import MAX_DEPTH as MAX_BODY_DEPTH
from mockserver.json_body import depth_exceeds, is_integer
from mockserver.redact import redacted as without_jwts
from mockserver.redact import redacted_query, redacted_text
from mockserver.shadow.wire import (
    HttpRequest,
    HttpResponse,
    _is_json_type,
    forwardable,
    parse_json,
    redacted_headers,
)

FORMAT = "kore-mock/1"
# an exchange holds bodies of at most MAX_BODY_DEPTH levels (deeper ones are kept as text)
MAX_RECORD_DEPTH = MAX_BODY_DEPTH + 8
UNKEPT_RESPONSE_HEADERS = frozenset({"content-encoding", "date", "server"})


class RecordingError(ValueError):
    """A recording that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Recorded:
    """One exchange of a recording, ready to send again."""

    seq: int
    line: int
    operation: str | None
    source: str
    request: HttpRequest
    response: HttpResponse | None  # None: the recording kept no answer
    body_kept: bool = True  # False: compare the status and counts only
    request_kept: bool = True  # False: the journal did not keep the request's body...
    headers_kept: bool = True  # ...nor its headers (an older kore-mock's entry: no request)
    created: int | None = None  # journal exports: contacts the answer created, when known
    refused: int | None = None  # ...and rows it refused


def exchange(
    seq: int,
    operation: str | None,
    sent: HttpRequest,
    answer: HttpResponse,
    *,
    source: str,
    mock: dict[str, Any] | None = None,
    differences: list[dict[str, Any]] | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """One exchange as a recording line holds it (credentials redacted)."""
    record: dict[str, Any] = {
        "recording": FORMAT,
        "seq": seq,
        "at": at or now_iso(),
        "source": source,
        "operation": operation,
        "request": {
            "method": sent.method,
            "path": sent.path,
            "query": redacted_query(sent.query.encode("latin-1")),
            "headers": redacted_headers(sent.headers),
            **encode_body(sent.body, sent.content_type),
        },
        "response": response_record(answer),
    }
    if mock is not None:
        record["mock"] = mock
    if differences is not None:
        record["differences"] = differences
    return record


def journal_exchange(entry: dict[str, Any]) -> dict[str, Any]:
    """A journal entry (``journal.RequestRecord.journal_entry``) as a recording line: the
    request as the app sent it, the mock's answer as the answer of record."""
    request = as_json_body(entry.get("request") or {"bodyNotKept": True})  # older entries: none
    response = as_json_body(entry.get("response") or {"bodyNotKept": True})
    answer: dict[str, Any] = {"status": entry["status"], **response}
    if "rejectedCount" in entry:
        answer["refused"] = entry["rejectedCount"]
    return {
        "recording": FORMAT,
        "seq": entry["id"],
        "at": entry["at"],
        "source": "journal",
        "operation": entry.get("operation"),
        "request": {
            "method": entry["method"],
            "path": entry["path"],
            "query": entry.get("query") or "",
            **request,
        },
        "response": answer,
    }


def response_record(answer: HttpResponse) -> dict[str, Any]:
    body = answer.decoded_body()
    headers = {
        k: v
        for k, v in redacted_headers(answer.headers).items()
        if k.lower() not in UNKEPT_RESPONSE_HEADERS
    }
    kept = {"status": answer.status, "headers": headers}
    if body is None:  # an encoding this code cannot undo: keep it as it came
        return {**kept, **encode_body(answer.body, "")}
    return {**kept, **encode_body(body, answer.header("Content-Type") or "")}


def encode_text(body: bytes) -> dict[str, Any]:
    """``bodyText`` (JWTs redacted) or ``bodyBase64``; {} when empty. What the journal keeps of
    a body on every request: no JSON parse (the export makes JSON bodies ``body``)."""
    if not body:
        return {}
    try:
        return {"bodyText": redacted_text(body.decode("utf-8"))}
    except UnicodeDecodeError:
        return {"bodyBase64": base64.b64encode(body).decode("ascii")}


def as_json_body(record: dict[str, Any]) -> dict[str, Any]:
    """A kept body of a JSON message (``bodyText``) as ``body`` when it parses."""
    content_type = next(
        (v for k, v in (record.get("headers") or {}).items() if k.lower() == "content-type"), ""
    )
    if "bodyText" not in record or not _is_json_type(content_type):
        return record
    parsed = parse_json(record["bodyText"].encode("utf-8"))
    if parsed is None:
        return record
    return {**{k: v for k, v in record.items() if k != "bodyText"}, "body": parsed}


def encode_body(body: bytes, content_type: str) -> dict[str, Any]:
    """``body`` / ``bodyText`` / ``bodyBase64`` (see the module docstring); {} when empty."""
    if not body:
        return {}
    if _is_json_type(content_type):
        parsed = parse_json(body)
        if parsed is not None:
            return {"body": without_jwts(parsed)}
    try:
        return {"bodyText": without_jwts(body.decode("utf-8"))}
    except UnicodeDecodeError:
        return {"bodyBase64": base64.b64encode(body).decode("ascii")}


def decode_body(record: dict[str, Any], where: str) -> bytes:
    if "body" in record:
        return json.dumps(record["body"], ensure_ascii=False, separators=(",", ":")).encode()
    if "bodyText" in record:
        if not isinstance(record["bodyText"], str):
            raise RecordingError(f"{where}: bodyText must be a string")
        return record["bodyText"].encode("utf-8")
    if "bodyBase64" in record:
        try:
            return base64.b64decode(record["bodyBase64"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise RecordingError(f"{where}: bodyBase64 is not base64") from None
    return b""


class RecordingWriter:
    """Appends exchanges to a file, one line each, flushed as it goes (safe across threads)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._file: IO[str] = self.path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_recording(path: str | Path) -> list[Recorded]:
    """Every exchange of a recording file, in order; ``RecordingError`` naming the bad line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordingError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{path} is not UTF-8 text (a recording is JSON lines)") from None
    # JSON lines end at "\n" only: str.splitlines() also breaks at U+2028, U+0085 and the like,
    # which a JSON string may hold raw (a name the vendor API took)
    return list(parse_lines(text.split("\n"), str(path)))


def parse_lines(lines: list[str], name: str) -> Iterator[Recorded]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            record = json.loads(line)
            too_deep = _nests_too_deep(line, record)
        except ValueError as exc:
            raise RecordingError(f"{where}: not a JSON object ({exc})") from None
        except RecursionError:
            too_deep = True
        if too_deep:
            raise RecordingError(
                f"{where}: nested more than {MAX_RECORD_DEPTH} levels deep; not an exchange of "
                f"a kore-mock recording ({FORMAT})"
            )
        yield _recorded(record, number, where)


def _nests_too_deep(line: str, record: Any) -> bool:
    """A line with no more ``[`` and ``{`` than the limit cannot nest deeper: not walked."""
    openings = line.count("[") + line.count("{")
    return openings > MAX_RECORD_DEPTH and depth_exceeds(record, MAX_RECORD_DEPTH)


def _recorded(record: Any, number: int, where: str) -> Recorded:
    if not isinstance(record, dict) or record.get("recording") != FORMAT:
        raise RecordingError(f"{where}: not an exchange of a kore-mock recording ({FORMAT})")
    request = record.get("request")
    if not isinstance(request, dict):
        raise RecordingError(f"{where}: the exchange has no request")
    method, path = request.get("method"), request.get("path")
    if not isinstance(method, str) or not isinstance(path, str) or not path.startswith("/"):
        raise RecordingError(f"{where}: the request needs a method and a path starting with /")
    headers = request.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise RecordingError(f"{where}: request headers must be a mapping of strings")
    sent = HttpRequest(
        method=method.upper(),
        path=path,
        query=str(request.get("query") or ""),
        headers=tuple(forwardable(tuple(headers.items()))),
        body=decode_body(request, where),
    )
    response = record.get("response")
    answer = None
    if isinstance(response, dict) and isinstance(response.get("status"), int):
        answer_headers = response.get("headers") or {}
        if not isinstance(answer_headers, dict):
            raise RecordingError(f"{where}: response headers must be a mapping")
        answer = HttpResponse(
            status=response["status"],
            headers=tuple((str(k), str(v)) for k, v in answer_headers.items()),
            body=decode_body(response, where),
        )
    elif response is not None:
        raise RecordingError(f"{where}: the response needs a status")
    seq = record.get("seq")
    return Recorded(
        seq=seq if isinstance(seq, int) else number,
        line=number,
        operation=record.get("operation") if isinstance(record.get("operation"), str) else None,
        source=str(record.get("source") or "upstream"),
        request=sent,
        response=answer,
        body_kept=not (isinstance(response, dict) and response.get("bodyNotKept") is True),
        request_kept=request.get("bodyNotKept") is not True,
        headers_kept="headers" in request,
        created=_count(response, "created"),
        refused=_count(response, "refused"),
    )


def _count(response: Any, key: str) -> int | None:
    value = response.get(key) if isinstance(response, dict) else None
    return value if is_integer(value) else None
