"""Control-plane routes. Loopback callers only, unless an admin token is configured."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, request

from mockserver import __version__
from mockserver.errors import Forbidden, NotFound, ValidationError

PREFIX = "/__mock__"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

control = Blueprint("control", __name__, url_prefix=PREFIX)


def _mock() -> Any:
    return current_app.extensions["kore_mock"]


def _reply(body: Any, status: int = 200) -> Response:
    from mockserver.app import json_response

    return json_response(body, status)


@control.before_request
def _only_admins() -> None:
    token = _mock().settings.admin_token
    if token:
        given = request.headers.get("X-Mock-Admin-Token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Forbidden("The control plane needs the header X-Mock-Admin-Token")
    elif (request.remote_addr or "") not in LOOPBACK:
        raise Forbidden(
            "The control plane answers loopback callers only; start the server with an "
            "admin token to reach it from elsewhere"
        )


@control.get("/health")
def health() -> Response:
    mock = _mock()
    return _reply({"status": "ok", "version": __version__, "store": mock.store.url})


@control.get("/journal")
def journal() -> Response:
    args = request.args
    try:
        status = int(args["status"]) if "status" in args else None
        limit = int(args.get("limit", 100))
    except ValueError:
        raise ValidationError("status and limit must be integers") from None
    if not 1 <= limit <= 1000:
        raise ValidationError("limit must be between 1 and 1000")
    entries = _mock().store.journal_query(
        operation=args.get("operation"),
        status=status,
        since=args.get("since"),
        until=args.get("until"),
        limit=limit,
    )
    return _reply({"entries": entries})


@control.get("/journal/<int:entry_id>")
def journal_entry(entry_id: int) -> Response:
    entry = _mock().store.journal_get(entry_id)
    if entry is None:
        raise NotFound(f"No journal entry {entry_id}")
    return _reply(entry)
