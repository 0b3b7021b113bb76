"""One record per request, filled along the way, written to the journal when the answer leaves.

``begin_record`` (the first before-request hook) creates the request's ``RequestRecord``; each
step that learns something writes it there — the vendor hook the operation, namespace and any
fault or rate limit met, the view the caller and per-row report, ``error_response`` the error —
and ``write_journal`` (an after-request hook) turns it into the journal entry of a vendor
request. The record also holds the request's one read of the run-time state (``Runtime``).
The control plane (``/__mock__``) is never journaled.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Response, g, has_request_context, request

from mockserver.contacts.model import Namespace, now_iso
from mockserver.errors import ApiError
from mockserver.mock import current_mock
from mockserver.profile import Profile
from mockserver.redact import redacted, redacted_query

log = logging.getLogger("kore_mock")

JOURNAL_REPORT_CAP = 10_000  # per-row report entries kept per journal entry
# operations whose entry carries a per-row report (what was refused, and why)
REPORTING_OPERATIONS = frozenset(
    {"importContacts", "createContacts", "bulkUpdateContacts", "bulkDeleteContacts"}
)
CONTROL_PREFIX = "/__mock__"
_KEY = "kore_mock_record"  # the one attribute of ``flask.g`` the mock uses for it


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
    profile: Profile | None = None  # the tenant profile this request is answered under
    scenario: str | None = None  # the X-Mock-Scenario it names
    scopes: list[str] = field(default_factory=list)  # the scope keys it belongs to (scopes.py)

    def journal_entry(self, response: Response) -> dict[str, Any]:
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
            "namespace": None if self.namespace is None else _ns_dict(self.namespace),
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
        return redacted(entry)


def begin_record() -> None:
    """Before-request hook, registered first: the clock starts here."""
    setattr(g, _KEY, RequestRecord())


def current_record() -> RequestRecord:
    """The record of the request being served (made now if no hook made it yet)."""
    record = g.get(_KEY)
    if record is None:
        record = RequestRecord()
        setattr(g, _KEY, record)
    return record


def request_record() -> RequestRecord | None:
    """The current request's record, or None outside a request (``Runtime``'s scope)."""
    return current_record() if has_request_context() else None


def write_journal(response: Response) -> Response:
    """After-request hook: the journal entry of a vendor-path request; its id in a header."""
    if request.path.startswith(CONTROL_PREFIX):
        return response
    mock = current_mock()
    try:
        entry = current_record().journal_entry(response)
        entry_id = mock.store.journal_add(entry, keep=mock.settings.journal_size)
    except Exception:  # the journal must never break the API
        log.exception("could not write the journal entry")
        return response
    response.headers["X-Mock-Journal-Id"] = str(entry_id)
    return response


def _ns_dict(ns: Namespace) -> dict[str, str]:
    return {"accountId": ns.account_id, "streamId": ns.stream_id}
