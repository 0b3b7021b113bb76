"""Before every vendor request: Kore's rate limit, then the operation's fault.

``before_vendor_request`` runs first on a request routed to a vendor operation (``dispatch``):
it names the operation, namespace, scenario and tenant profile in the request's record (and the
scopes it belongs to: its scenario, app and namespace), counts the call against the per-minute
rate limit of its account — or of its app, under the reading ``rateLimitScope: app`` (429 with
``Retry-After`` and Kore's message when spent; a rate limit set for a scope counts that scope's
calls apart), then applies the operation's fault (its scopes' first): a fixed, uniform or
log-normal delay, then either a dropped connection or an error status, each at its rate.
``trickle_response`` (the last step) sends the answer's body of a fault with ``trickle`` in
timed pieces. The control plane (``/__mock__``) and unknown paths are never touched.

Faults, the rate limit and its counters live in the store, so every worker process and every
server on one database applies the same ones.
"""

from __future__ import annotations

import contextlib
import errno
import math
import random
import re
import socket
import time
from typing import Any

from flask import Request, Response

from mockserver import scopes, turns
from mockserver.auth import claimed_app
from mockserver.contacts.model import Namespace
from mockserver.errors import ApiError, InjectedFault, RateLimited
from mockserver.faults import Fault
from mockserver.journal import RequestRecord
from mockserver.mock import Mock
from mockserver.profile import ACCOUNT_ID_FORMATS
from mockserver.runtime import RATE_LIMIT

RATE_WINDOW_SECONDS = 60
DROPPED_STATUS = 0  # journal status of a request whose connection was closed on purpose
_ACCOUNT_ID = {name: re.compile(pattern) for name, pattern in ACCOUNT_ID_FORMATS.items()}

_rng = random.Random()


def wall_clock() -> float:
    """Seconds since the epoch; rate-limit windows are whole minutes of it."""
    return time.time()


def name_request(mock: Mock, request: Request, record: RequestRecord, stream: str) -> None:
    """The request's scopes, tenant profile and, when its accountId is well-formed, namespace,
    in its record (its scenario is there from the start: ``journal.begin_record``)."""
    account = (request.environ.get("HTTP_ACCOUNTID") or "").strip().lower()
    # the scopes before the profile: a scope may set the profile (its accountIdFormat among them)
    named = Namespace(account, stream) if account else None
    record.scopes = scopes.candidates(record.scenario, _caller(mock, request), named)
    profile = record.profile = mock.runtime.profile()
    if _ACCOUNT_ID[profile.account_id_format].fullmatch(account):
        record.namespace = named


def before_vendor_request(
    mock: Mock, request: Request, record: RequestRecord, operation: str, stream: str
) -> Response | None:
    """Rate limit, then the operation's fault: an answer instead of the view's, or None."""
    record.operation = operation
    name_request(mock, request, record, stream)
    try:
        _count_against_rate_limit(mock, request, record)
        raw, origin = mock.runtime.fault_for(operation)
        if raw is None:
            return None
        return _inject(Fault.from_wire(raw), request, record, origin)
    finally:
        if record.met:  # a rate limit or fault met before the view: the journal names the app
            record.caller = _verified_caller(mock, request)


def _caller(mock: Mock, request: Request) -> str | None:
    """The calling app, when some scope names an app: its token checked as the view will
    (remembered, so the view's check costs nothing); None when it does not check out (the
    view answers 401 in its turn)."""
    if not any(key.startswith("clientId:") for key in mock.runtime.scoped()):
        return None
    return _verified_caller(mock, request)


def _verified_caller(mock: Mock, request: Request) -> str | None:
    """The app the request's token authenticates, checked as the view checks it (and
    remembered), or None when it does not check out."""
    try:
        return mock.authenticator.app_for(request.headers.get("auth"), request.headers).client_id
    except ApiError:
        return None


def _count_against_rate_limit(mock: Mock, request: Request, record: RequestRecord) -> None:
    """Kore counts calls per account (the docs also say "account/application": the reading
    ``rateLimitScope``); a malformed accountId is left to validation. A rate limit set for a
    scope counts that scope's calls apart."""
    limit, origin = mock.runtime.get_with_origin(RATE_LIMIT)
    if not limit.enabled or record.namespace is None:
        return
    key = f"rate:{record.namespace.account_id}"
    if record.profile is not None and record.profile.rate_limit_scope == "app":
        key = f"rate:app:{claimed_app(request.headers.get('auth')) or '-'}"
    now = wall_clock()
    window = int(now // RATE_WINDOW_SECONDS)
    if origin is not None:
        key = f"rate:{origin}:{key.removeprefix('rate:')}"
    hits = mock.store.counter_hit(key, window)
    if hits > limit.per_minute:
        retry_after = max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now))
        record.met = {"rateLimited": True}
        raise RateLimited(headers={"Retry-After": str(retry_after)})


def _inject(
    fault: Fault, request: Request, record: RequestRecord, origin: str | None
) -> Response | None:
    applied: dict[str, Any] = {}
    met = {} if origin is None else {"scope": scopes.Scope.from_key(origin).to_wire()}
    delay = fault.delay_ms(_rng)
    if delay or fault.log_normal is not None:  # a log-normal draw may round to 0
        turns.sleep(delay / 1000)  # the worker's other threads serve requests meanwhile
        applied["latencyMs"] = delay
    if fault.drop_connection and _rng.random() < fault.drop_rate:
        record.met = {
            "fault": {**applied, "dropConnection": True, **met},
            "status": DROPPED_STATUS,
        }
        return _dropped_connection(request)
    if fault.trickle is not None:
        applied["trickle"] = fault.trickle.to_wire()
    if fault.error_status is not None and _rng.random() < fault.error_rate:
        record.met = {"fault": {**applied, "errorStatus": fault.error_status, **met}}
        raise InjectedFault(fault.error_status, fault.error_message)
    if applied:
        record.met = {"fault": {**applied, **met}}
    return None


def trickle_response(record: RequestRecord, response: Response) -> Response:
    """The last step: a trickle fault met by this request paces its answer's body."""
    trickle = record.met.get("fault", {}).get("trickle")
    if trickle is None:
        return response
    response.response = _TrickledBody(response.response, trickle["totalMs"], trickle["chunks"])
    response.direct_passthrough = True  # the pieces go out as they are; Content-Length stays
    return response


class _TrickledBody:
    """The body in up to ``chunks`` pieces: each sent after ``total_ms / chunks`` ms."""

    def __init__(self, body: Any, total_ms: int, chunks: int) -> None:
        self.body = body
        self.pause = total_ms / chunks / 1000
        self.chunks = chunks

    def __iter__(self) -> Any:
        data = b"".join(
            part.encode() if isinstance(part, str) else bytes(part) for part in self.body
        )
        size = max(1, math.ceil(len(data) / self.chunks))
        pieces = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        # each piece at its own time from the start (slept one pause at a time, the pauses'
        # overshoots added up: 1,000 pauses of 0.5 ms took 750 ms, not 500); a short body keeps
        # the time anyway, its first piece in the slot that makes the last one come at the end
        start = time.monotonic()
        first_slot = self.chunks - len(pieces) + 1
        for slot, piece in enumerate(pieces, first_slot):
            turns.sleep(max(0.0, start + slot * self.pause - time.monotonic()))
            yield piece

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


class _DroppedBody:
    """A response body that closes the client's socket and aborts instead of yielding bytes.

    Servers send status and headers with the first body chunk, so nothing reaches the client.
    gunicorn (``gunicorn.socket``) and werkzeug's server (``werkzeug.socket``) expose the socket:
    it is shut down so the client sees the connection close. Both servers treat the EPIPE that
    follows as a client that went away and close the connection quietly; a server without a
    socket in the environ (a test client) lets the error reach the caller.
    """

    def __init__(self, environ: dict[str, Any]) -> None:
        self.sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")

    def __iter__(self) -> _DroppedBody:
        return self

    def __next__(self) -> bytes:
        if isinstance(self.sock, socket.socket):
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
        raise BrokenPipeError(errno.EPIPE, "kore-mock fault: connection dropped on purpose")


def _dropped_connection(request: Request) -> Response:
    return Response(_DroppedBody(request.environ), status=503, direct_passthrough=True)
