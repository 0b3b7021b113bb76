"""Fault injection and Kore's rate limit, applied to vendor-API requests only.

``before_vendor_request`` is the one hook ``create_app`` installs. For a request routed to a
vendor operation it first counts the call against the account's per-minute rate limit (429
with ``Retry-After`` and Kore's message when spent), then applies the operation's fault: a
fixed or random delay, then either a dropped connection or an error status, each at its rate.
The control plane (``/__mock__``) and unknown paths are never touched.

Faults, the rate limit and its counters live in the store, so every worker process and every
server on one database applies the same ones.
"""

from __future__ import annotations

import contextlib
import errno
import math
import random
import socket
import time
from dataclasses import dataclass
from typing import Any

from flask import Response, g, request

from mockserver.api import HANDLERS
from mockserver.errors import InjectedFault, RateLimited, ValidationError
from mockserver.mock import Mock, current_mock

EVERY_OPERATION = "*"
RATE_WINDOW_SECONDS = 60
DROPPED_STATUS = 0  # journal status of a request whose connection was closed on purpose
_ACCOUNT_CHARS = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Fault:
    """What happens to every call of one operation (see the control OpenAPI's ``Fault``)."""

    latency_ms: int = 0
    latency_max_ms: int | None = None
    error_status: int | None = None
    error_rate: float = 1.0
    error_message: str | None = None
    drop_connection: bool = False
    drop_rate: float = 1.0

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> Fault:
        """A fault from a (schema-valid) request body; contradictions are a 400."""
        fault = cls(
            latency_ms=raw.get("latencyMs", 0),
            latency_max_ms=raw.get("latencyMaxMs"),
            error_status=raw.get("errorStatus"),
            error_rate=raw.get("errorRate", 1.0),
            error_message=raw.get("errorMessage"),
            drop_connection=raw.get("dropConnection", False),
            drop_rate=raw.get("dropRate", 1.0),
        )
        if fault.latency_max_ms is not None and fault.latency_max_ms < fault.latency_ms:
            raise ValidationError("latencyMaxMs must not be below latencyMs")
        if ("errorRate" in raw or "errorMessage" in raw) and fault.error_status is None:
            raise ValidationError("errorRate and errorMessage need an errorStatus")
        if "dropRate" in raw and not fault.drop_connection:
            raise ValidationError("dropRate needs dropConnection: true")
        if not (fault.latency_ms or fault.latency_max_ms or fault.error_status) and not (
            fault.drop_connection
        ):
            raise ValidationError(
                "The fault does nothing: give latencyMs, errorStatus or dropConnection"
            )
        return fault

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {}
        if self.latency_ms or self.latency_max_ms is not None:
            wire["latencyMs"] = self.latency_ms
        if self.latency_max_ms is not None:
            wire["latencyMaxMs"] = self.latency_max_ms
        if self.error_status is not None:
            wire["errorStatus"] = self.error_status
            wire["errorRate"] = self.error_rate
            if self.error_message:
                wire["errorMessage"] = self.error_message
        if self.drop_connection:
            wire["dropConnection"] = True
            wire["dropRate"] = self.drop_rate
        return wire

    def delay_ms(self, rng: random.Random) -> int:
        if self.latency_max_ms is None:
            return self.latency_ms
        return rng.randint(self.latency_ms, self.latency_max_ms)


def fault_for(faults: dict[str, dict[str, Any]], operation: str) -> Fault | None:
    """The operation's own fault, else the one for every operation, else None."""
    raw = faults.get(operation) or faults.get(EVERY_OPERATION)
    return None if raw is None else Fault.from_wire(raw)


_rng = random.Random()


def wall_clock() -> float:
    """Seconds since the epoch; rate-limit windows are whole minutes of it."""
    return time.time()


def before_vendor_request() -> Response | None:
    """Flask before-request hook: rate limit, then the operation's fault."""
    operation = request.endpoint
    if operation not in HANDLERS:
        return None
    g.operation = operation
    account = (request.headers.get("accountId") or "").strip().lower()
    if len(account) == 24 and _ACCOUNT_CHARS.issuperset(account):
        g.namespace = (account, (request.view_args or {}).get("streamId", ""))
    mock = current_mock()
    _count_against_rate_limit(mock, g.get("namespace"))
    fault = fault_for(mock.runtime.faults(), operation)
    return None if fault is None else _inject(fault)


def _count_against_rate_limit(mock: Mock, namespace: tuple[str, str] | None) -> None:
    """Kore counts calls per account; a malformed accountId is left to validation (400)."""
    limit = mock.runtime.rate_limit()
    if not limit.enabled or namespace is None:
        return
    account = namespace[0]
    now = wall_clock()
    window = int(now // RATE_WINDOW_SECONDS)
    hits = mock.store.counter_hit(f"rate:{account}", window)
    if hits > limit.per_minute:
        retry_after = max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now))
        g.journal_extra = {"rateLimited": True}
        raise RateLimited(headers={"Retry-After": str(retry_after)})


def _inject(fault: Fault) -> Response | None:
    applied: dict[str, Any] = {}
    delay = fault.delay_ms(_rng)
    if delay:
        time.sleep(delay / 1000)
        applied["latencyMs"] = delay
    if fault.drop_connection and _rng.random() < fault.drop_rate:
        g.journal_extra = {"fault": {**applied, "dropConnection": True}, "status": DROPPED_STATUS}
        return _dropped_connection()
    if fault.error_status is not None and _rng.random() < fault.error_rate:
        g.journal_extra = {"fault": {**applied, "errorStatus": fault.error_status}}
        raise InjectedFault(fault.error_status, fault.error_message)
    if applied:
        g.journal_extra = {"fault": applied}
    return None


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


def _dropped_connection() -> Response:
    return Response(_DroppedBody(request.environ), status=503, direct_passthrough=True)
