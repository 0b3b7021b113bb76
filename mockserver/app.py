"""``create_app(settings)``: the Flask mock, its routes taken from openapi.yaml.

A request flows one way: route (404/405) -> auth (401) -> validation against openapi.yaml
(400/413/415) -> account/stream check (401) -> handler -> service -> store -> response.
Every error on the way is an ``ApiError`` rendered once, in Kore's envelope.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.routing import BaseConverter, Map

from mockserver import api
from mockserver.auth import Authenticator, authorize
from mockserver.contacts.model import Caller, Namespace, now_iso
from mockserver.contacts.rules import ItemRules
from mockserver.contacts.service import ContactsService
from mockserver.control.faults import before_vendor_request
from mockserver.control.routes import control
from mockserver.errors import PayloadTooLarge, ValidationError
from mockserver.memory import paused_gc
from mockserver.mock import Mock, current_mock
from mockserver.redact import redacted, redacted_query
from mockserver.responses import contacts_response, json_response, register_error_handlers
from mockserver.runtime import Runtime
from mockserver.settings import Settings
from mockserver.spec import items_check, json_body_operations, operations
from mockserver.store import open_store
from mockserver.store.base import Store
from mockserver.validation import shared_validator

log = logging.getLogger("kore_mock")

JOURNAL_REPORT_CAP = 10_000  # per-row report entries kept per journal entry
# operations that may carry thousands of rows: run without the cyclic GC (see memory.py)
BULK_OPERATIONS = {"importContacts", "createContacts", "bulkUpdateContacts", "bulkDeleteContacts"}


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> Flask:
    settings = settings or Settings()
    store = store or open_store(settings.db)
    runtime = Runtime(settings, store)
    mock = Mock(
        settings=settings,
        store=store,
        runtime=runtime,
        service=ContactsService(store, ItemRules(items_check("ContactInput"))),
        validator=shared_validator(),
        authenticator=Authenticator(runtime.apps),
    )
    app = Flask("mockserver")
    app.config["MAX_CONTENT_LENGTH"] = settings.limits.max_upload_bytes
    mock.attach(app)
    _bind_operations(app, mock)
    app.register_blueprint(control)
    register_error_handlers(app)
    app.before_request(_start_clock)
    app.before_request(before_vendor_request)  # rate limit and faults
    app.after_request(_journal)
    return app


class _Segment(BaseConverter):
    """A path parameter that never takes a literal segment of a sibling path.

    OpenAPI matches concrete paths before templated ones, so ``PUT .../contacts/import-contacts``
    is a wrong method on the import path (405), not an update of a contact ``import-contacts``.
    """

    def __init__(self, url_map: Map, *literals: str) -> None:
        super().__init__(url_map)
        self.regex = "(?!(?:" + "|".join(re.escape(lit) for lit in literals) + ")$)[^/]+"


def _rule(path: str, paths: list[str]) -> str:
    """The werkzeug rule of an OpenAPI path; parameters exclude their siblings' literal segments."""
    segments = path.split("/")
    rule = list(segments)
    for index, segment in enumerate(segments):
        if not segment.startswith("{"):
            continue
        literals = sorted(
            {
                other[index]
                for other in (p.split("/") for p in paths)
                if len(other) == len(segments)
                and other[:index] == segments[:index]
                and other[index + 1 :] == segments[index + 1 :]
                and not other[index].startswith("{")
            }
        )
        name = segment[1:-1]
        args = ",".join(repr(lit) for lit in literals)
        rule[index] = f"<segment({args}):{name}>" if literals else f"<{name}>"
    return "/".join(rule)


def _bind_operations(app: Flask, mock: Mock) -> None:
    app.url_map.converters["segment"] = _Segment
    paths = [path for path, _, _ in operations()]
    for path, method, operation_id in operations():
        rule = _rule(path, paths)
        app.add_url_rule(
            rule,
            endpoint=operation_id,
            view_func=_view(mock, operation_id),
            methods=[method],
        )


def _view(mock: Mock, operation_id: str) -> Any:
    handler = api.HANDLERS[operation_id]

    def view(**_path: str) -> Response:
        if operation_id in BULK_OPERATIONS:
            with paused_gc():
                return handle()
        return handle()

    def handle() -> Response:
        g.operation = operation_id
        app = mock.authenticator.app_for(request.headers.get("auth"))
        g.caller = app.client_id
        _check_json_size(operation_id, mock.settings)
        valid = mock.validator.validate(operation_id, request)
        account_id = valid.header["accountId"].lower()
        stream_id = valid.path["streamId"]
        g.namespace = (account_id, stream_id)
        authorize(app, account_id, stream_id)
        reply = handler(
            api.Call(
                ns=Namespace(account_id, stream_id),
                caller=Caller.for_app(app.client_id),
                valid=valid,
                request=request,
                service=mock.service,
                limits=mock.settings.limits,
                import_policy=mock.runtime.import_policy,
            )
        )
        g.report = reply.report
        if reply.contacts is not None:
            return contacts_response(reply.contacts, reply.status, reply.headers)
        return json_response(reply.body, reply.status, reply.headers)

    view.__name__ = operation_id
    return view


def _check_json_size(operation_id: str, settings: Settings) -> None:
    if operation_id not in json_body_operations():
        return  # no body to read (list, delete) or a multipart upload (import)
    limit = settings.limits.max_json_bytes
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(
            f"The JSON body has {length} bytes; this server takes at most {limit}"
        )
    # A body without Content-Length (chunked) is read up to one byte past the limit, no further.
    request.max_content_length = limit + 1
    received = len(request.get_data())
    if received > limit:
        raise PayloadTooLarge(f"The JSON body has more than {limit} bytes, this server's limit")
    if length is not None and received < length:
        raise ValidationError(
            f"The request body ended after {received} of its {length} bytes (Content-Length)"
        )


def _start_clock() -> None:
    g.started = time.perf_counter()


def _journal(response: Response) -> Response:
    if request.path.startswith("/__mock__"):
        return response
    mock = current_mock()
    error = g.get("error")
    report = g.get("report") or getattr(error, "report", [])
    entry: dict[str, Any] = {
        "at": now_iso(),
        "method": request.method,
        "path": request.path,
        "query": redacted_query(request.query_string),
        "operation": g.get("operation"),
        "status": response.status_code,
        "latencyMs": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 3),
        "caller": g.get("caller"),
        "namespace": _ns_dict(g.get("namespace")),
    }
    entry.update(g.get("journal_extra") or {})  # the fault or rate limit met, if any
    if g.get("operation") in (
        "importContacts",
        "createContacts",
        "bulkUpdateContacts",
        "bulkDeleteContacts",
    ):
        entry["rejectedCount"] = len(report)
        entry["report"] = report[:JOURNAL_REPORT_CAP]
        entry["reportTruncated"] = len(report) > JOURNAL_REPORT_CAP
    if error is not None:
        entry["errors"] = error.body()["errors"][:JOURNAL_REPORT_CAP]
    try:
        entry_id = mock.store.journal_add(redacted(entry), keep=mock.settings.journal_size)
    except Exception:  # the journal must never break the API
        log.exception("could not write the journal entry")
        return response
    response.headers["X-Mock-Journal-Id"] = str(entry_id)
    return response


def _ns_dict(ns: tuple[str, str] | None) -> dict[str, str] | None:
    return None if ns is None else {"accountId": ns[0], "streamId": ns[1]}
