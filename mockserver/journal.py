"""One record per request, filled along the way, written to the journal when the answer leaves.

``begin_record`` (a request's first step) creates the request's ``RequestRecord``; each step
that learns something writes it there — the vendor hook the operation, namespace and any fault
or rate limit met, the view the caller and per-row report, ``error_response`` the error — and
``write_journal`` (the step after the answer is made) turns it into the journal entry of a
vendor request. The record also holds the request's one read of the run-time state
(``Runtime``). The control plane (``/__mock__``) is never journaled.

The vendor API runs these steps itself (``api.dispatch``); ``register`` makes Flask run them
for every other path (an unknown one is journaled too).
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Request, Response, request

from mockserver import scopes
from mockserver.contacts.model import Namespace, now_iso
from mockserver.errors import ApiError
from mockserver.mock import Mock, current_mock
from mockserver.profile import Profile
from mockserver.redact import redacted, redacted_query
from mockserver.settings import is_stream_id
from mockserver.shadow.recording import encode_text
from mockserver.shadow.wire import redacted_headers
from mockserver.store.base import StoreUnavailable
from mockserver.validation import DECLARED_TYPE

log = logging.getLogger("kore_mock")

JOURNAL_REPORT_CAP = 10_000  # per-row report entries kept per journal entry
# operations whose entry carries a per-row report (what was refused, and why)
REPORTING_OPERATIONS = frozenset(
    {"importContacts", "createContacts", "bulkUpdateContacts", "bulkDeleteContacts"}
)
CONTROL_PREFIX = "/__mock__"
# The record of the request this thread is serving: set by ``begin_record``, cleared by
# ``end_record`` (a context variable, not ``flask.g``: it is read a dozen times per request).
_record: ContextVar[RequestRecord | None] = ContextVar("kore_mock_record", default=None)
# bodies kept in an entry, so that the journal exports as a replayable recording (redacted)
REQUEST_BODY_CAP = 1024 * 1024  # bytes; a larger request is journaled without its body
RESPONSE_BODY_CAP = 64 * 1024  # bytes; a larger (or streamed) answer: its status and counts
# answers kept without their body: list pages are the most frequent and largest answers, and a
# replay needs only the answers that carry ids (saves) or changed contacts
UNKEPT_ANSWERS = frozenset({"listContacts"})


@dataclass
class RequestRecord:
    started: float = field(default_factory=time.perf_counter)
    operation: str | None = None  # the vendor operationId the request was routed to
    namespace: Namespace | None = None  # (accountId, streamId), once the accountId is well-formed
    caller: str | None = None  # clientId of the authenticated app
    report: list[dict[str, Any]] | None = None  # per-row report of a save or bulk operation
    error: ApiError | None = None  # the error answered, if any
    met: dict[str, Any] = field(default_factory=dict)  # the fault or rate limit met, if any
    state: dict[str, Any] | None = None  # this request's read of the run-time state
    created: int | None = None  # contacts a create / import stored
    body: KeptBody | None = None  # the request body as the app read it (vendor paths)
    profile: Profile | None = None  # the tenant profile this request is answered under
    scenario: str | None = None  # the X-Mock-Scenario it names
    scopes: list[str] = field(default_factory=list)  # the scope keys it belongs to (scopes.py)

    def journal_entry(self, request: Request, response: Response) -> dict[str, Any]:
        error = self.error
        report = self.report or getattr(error, "report", [])
        entry: dict[str, Any] = {
            "at": now_iso(),
            "method": request.method,
            "path": request.path,
            "query": redacted_query(request.query_string),
            "operation": self.operation,
            "status": response.status_code,
            "latencyMs": round((time.perf_counter() - self.started) * 1000, 3),
            "caller": self.caller,
            "namespace": _ns_dict(self.namespace) if self._in_a_namespace() else None,
        }
        if self.scenario is not None:
            entry["scenario"] = self.scenario
        entry.update(self.met)
        if self.operation in REPORTING_OPERATIONS:
            entry["rejectedCount"] = len(report)
            entry["report"] = report[:JOURNAL_REPORT_CAP]
            entry["reportTruncated"] = len(report) > JOURNAL_REPORT_CAP
        if error is not None:
            entry["errors"] = error.body()["errors"][:JOURNAL_REPORT_CAP]
        entry = redacted(entry)
        # the bodies are redacted as text, once (a JSON walk of them cost more than the rest)
        entry["request"] = self._request_kept(request)
        entry["response"] = _response_kept(
            response, self.created, keep_body=self.operation not in UNKEPT_ANSWERS
        )
        return entry

    def _in_a_namespace(self) -> bool:
        """A well-formed accountId (the hook's check) in front of a well-formed stream id: a
        malformed one (a NUL in it: PostgreSQL's text refuses it, and a snapshot would not load
        back) is refused 401 and names no namespace."""
        return self.namespace is not None and is_stream_id(self.namespace.stream_id)

    def _request_kept(self, request: Request) -> dict[str, Any]:
        """Headers (credentials redacted) and body: what a replay of the entry sends."""
        headers = tuple(request.headers.items())
        declared = request.environ.get(DECLARED_TYPE)
        if declared is not None:  # read as another type (validation): keep what was sent
            headers = tuple(
                (name, declared if name == "Content-Type" else value) for name, value in headers
            )
        kept: dict[str, Any] = {"headers": redacted_headers(headers)}
        body = self.body
        if body is None or not body.whole:
            return {**kept, "bodyNotKept": True} if request.content_length else kept
        return {**kept, **encode_text(body.kept)}


def begin_record(request: Request) -> RequestRecord:
    """A request's first step: the clock starts here; a journaled request's body is kept as
    the app reads it."""
    record = RequestRecord()
    _record.set(record)
    if not request.path.startswith(CONTROL_PREFIX):
        environ = request.environ
        # every journaled request names its scenario, a wrong path or method too
        record.scenario = scopes.scenario_of(environ.get(scopes.SCENARIO_ENVIRON))
        record.body = environ["wsgi.input"] = KeptBody(
            environ["wsgi.input"], REQUEST_BODY_CAP, request.content_length
        )
    return record


class KeptBody:
    """A request's input stream that keeps what is read of it, up to ``cap`` bytes."""

    def __init__(self, stream: Any, cap: int, length: int | None = None) -> None:
        self._stream = stream
        self._cap = cap
        self._length = length  # Content-Length, when the request has one
        self._kept = bytearray()
        self._over = False
        self._ended = False

    @property
    def kept(self) -> bytes:
        return bytes(self._kept)

    @property
    def whole(self) -> bool:
        """Whether ``kept`` is the whole body: read to its end, and not over the cap."""
        if self._over:
            return False
        return self._ended or (self._length is not None and len(self._kept) >= self._length)

    def _keep(self, data: bytes, size: Any) -> bytes:
        if not data and size != 0:
            self._ended = True
        elif not self._over:
            if len(self._kept) + len(data) > self._cap:
                self._over = True
                self._kept.clear()
            else:
                self._kept += data
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._keep(self._stream.read(size), size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._keep(self._stream.readline(size), size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines = self._stream.readlines(hint)
        for line in lines:
            self._keep(line, None)
        self._keep(b"", None)
        return lines

    def __iter__(self) -> KeptBody:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def end_record(_error: BaseException | None = None) -> None:
    """Teardown hook: the request is over, its record is no longer current."""
    _record.set(None)


def current_record() -> RequestRecord:
    """The record of the request being served (made now if no hook made it yet)."""
    record = _record.get()
    if record is None:
        record = RequestRecord()
        _record.set(record)
    return record


def request_record() -> RequestRecord | None:
    """The current request's record, or None outside a request (``Runtime``'s scope)."""
    return _record.get()


def write_journal(
    mock: Mock, request: Request, record: RequestRecord, response: Response
) -> Response:
    """The journal entry of a request outside the control plane; its id in a header."""
    if request.path.startswith(CONTROL_PREFIX):
        return response
    try:
        entry = record.journal_entry(request, response)
        entry_id = mock.store.journal_add(entry, keep=mock.settings.journal_size)
    except StoreUnavailable as exc:  # a full disk, a lost database: one line, no traceback
        log.warning(
            "could not write the journal entry of %s %s: %s", request.method, request.path, exc
        )
        return response
    except Exception:  # the journal must never break the API
        if not mock.closed:  # a request that outlived its mock has no journal to write
            log.exception("could not write the journal entry")
        return response
    response.headers["X-Mock-Journal-Id"] = str(entry_id)
    return response


def register(app: Flask) -> None:
    """Flask runs the journal's steps around every request it serves (the control plane, whose
    requests are never journaled, and paths outside the vendor API)."""

    def begin() -> None:
        begin_record(request)

    def write(response: Response) -> Response:
        return write_journal(current_mock(), request, current_record(), response)

    app.before_request(begin)  # first: the request's clock starts here
    app.after_request(write)
    app.teardown_request(end_record)


def _response_kept(
    response: Response, created: int | None, *, keep_body: bool = True
) -> dict[str, Any]:
    """Headers and body of the answer, or (a list page, streamed, over the cap) its counts."""
    kept: dict[str, Any] = {"headers": redacted_headers(tuple(response.headers.items()))}
    if created is not None:
        kept["created"] = created
    too_big = response.is_streamed or (response.content_length or 0) > RESPONSE_BODY_CAP
    if too_big or not keep_body:
        return {**kept, "bodyNotKept": True}
    return {**kept, **encode_text(response.get_data())}


def _ns_dict(ns: Namespace) -> dict[str, str]:
    return {"accountId": ns.account_id, "streamId": ns.stream_id}
