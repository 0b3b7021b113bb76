"""Every response body the mock sends: JSON, arrays of contacts, and errors in Kore's envelope.

``json_response`` encodes any JSON value; ``contacts_response`` streams a large array of
contacts; ``error_response`` renders an ``ApiError`` (the one place an error becomes a response).
``render_error`` makes every failure — an ``ApiError``, a werkzeug HTTP error, an unexpected
exception — go through ``error_response``, so no client ever sees a stack trace: the vendor API
calls it (``api.dispatch``), ``register_error_handlers`` has Flask call it for the rest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import orjson
from flask import Flask, Request, Response, request
from werkzeug.exceptions import ClientDisconnected, HTTPException

from mockserver import body_limit
from mockserver.contacts.model import Contact
from mockserver.errors import (
    ApiError,
    InsufficientStorage,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationError,
)
from mockserver.journal import current_record
from mockserver.memory import paused_gc
from mockserver.mock import Mock, current_mock
from mockserver.store.base import StoreFull, StoreUnavailable

log = logging.getLogger("kore_mock")

STREAM_CHUNK = 1_000  # contacts encoded at a time in a streamed array
STORE_RETRY_AFTER = 2  # seconds a client waits after the store did not answer
STORE_FULL_DETAIL = (
    "The store's disk is full: the request was not stored; send it again once the disk has room"
)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    try:
        payload = orjson.dumps(body)
    except TypeError:  # an integer over 64 bits (a huge ``skip`` echoed back)
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(payload, status=status, headers=headers, mimetype="application/json")


def contacts_response(
    contacts: list[Contact], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON array of contacts; a large one (imports can be 100k) encoded and sent a chunk at a
    time, a small one whole (with its Content-Length)."""
    if len(contacts) <= STREAM_CHUNK:
        return json_response([c.to_wire() for c in contacts], status, headers)

    def chunks() -> Iterator[bytes]:
        with paused_gc():
            yield b"["
            for start in range(0, len(contacts), STREAM_CHUNK):
                part = orjson.dumps([c.to_wire() for c in contacts[start : start + STREAM_CHUNK]])
                yield (b"," if start else b"") + part[1:-1]
            yield b"]"

    return Response(chunks(), status=status, headers=headers, mimetype="application/json")


def error_response(error: ApiError, mock: Mock) -> Response:
    """The one place an error becomes a response; a reading of the profile may decide it."""
    record = current_record()
    if error.reading is not None:
        profile = record.profile or mock.runtime.profile()
        error = error.resolved(profile.get(error.reading))
    record.error = _without_frames(error)
    return json_response(error.body(), error.status, error.headers)


def _without_frames(error: ApiError) -> ApiError:
    """The error as the journal keeps it: its body, not the frames it was raised through. Its
    traceback (and the exceptions before it) held the frames of the code that failed — a CSV
    parser's with every row it had read — in a cycle with the request's record, which only a
    full garbage collection freed: each refused 32 MiB upload kept ~560 MB until then."""
    error.__traceback__ = None
    error.__context__ = error.__cause__ = None
    return error


def render_error(error: Exception, mock: Mock, request: Request) -> Response:
    """The answer to any failure on a request's way (called while it is being handled)."""
    if isinstance(error, ApiError):
        return error_response(error, mock)
    if isinstance(error, HTTPException):
        return error_response(_from_werkzeug(error, request), mock)
    if isinstance(error, StoreFull):  # one line in the log, not a traceback a request
        log.warning("store full on %s %s: %s", request.method, request.path, error)
        return error_response(InsufficientStorage(detail=STORE_FULL_DETAIL), mock)
    if isinstance(error, StoreUnavailable):  # the database went away: 503, try again
        log.warning("store unavailable on %s %s: %s", request.method, request.path, error)
        unavailable = ServiceUnavailable(
            detail="the store (database) did not answer; try again",
            headers={"Retry-After": str(STORE_RETRY_AFTER)},
        )
        return error_response(unavailable, mock)
    if mock.closed:  # the request outlived its mock (a test's, ended): nothing to log
        return json_response(_STOPPED.body(), _STOPPED.status, _STOPPED.headers)
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(ApiError("Internal server error; the server log has the details"), mock)


_STOPPED = ServiceUnavailable(detail="this kore-mock has stopped (its test or block ended)")


def register_error_handlers(app: Flask) -> None:
    """Flask renders the failures of the requests it serves with ``render_error``."""

    @app.errorhandler(Exception)
    def failed(error: Exception) -> Response:
        return render_error(error, current_mock(), request)


def _from_werkzeug(error: HTTPException, request: Request) -> ApiError:
    code = error.code or 500
    if code == 404:
        return NotFound(f"No such path: {request.method} {request.path}")
    if code == 405:
        allowed = getattr(error, "valid_methods", None) or []
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        return MethodNotAllowed(headers=headers)
    if code == 413:
        return PayloadTooLarge(
            f"The request body is over this server's limit of {body_limit.limit_of(request)} bytes"
        )
    if isinstance(error, ClientDisconnected):
        return ValidationError(
            "The request body could not be read: it ended before its Content-Length, "
            "or its chunked encoding is malformed"
        )
    if 400 <= code < 500:
        result = ValidationError(error.description or "Bad request")
        result.status = result.code = code
        return result
    return ApiError()
