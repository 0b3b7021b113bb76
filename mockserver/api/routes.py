"""Each operationId of openapi.yaml bound to its path; its view runs the request's walk.

``VendorRoutes`` matches a request to an operation (werkzeug's routing, one rule per operation of
the document). A view then goes: the tenant profile in force (one read) -> auth (401) -> JSON
body size (413) -> validation against openapi.yaml as the profile reads it (412/400/413/415) ->
account/stream check (401) -> handler -> service -> store -> response. Every error on the way
is an ``ApiError``, rendered once (``responses``). ``dispatch`` runs the views.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Request, Response
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, Map, Rule

from mockserver import body_limit
from mockserver.api.handlers import HANDLERS, Call
from mockserver.auth import authorize
from mockserver.contacts.model import Caller, Namespace
from mockserver.errors import BODY_OVER_LIMIT, PayloadTooLarge, ValidationError
from mockserver.journal import RequestRecord
from mockserver.memory import paused_gc, remember
from mockserver.mock import Mock
from mockserver.responses import contacts_response, json_response
from mockserver.settings import Limits
from mockserver.spec import VENDOR, json_body_operations
from mockserver.validation import validator_for

# operations that may carry thousands of rows: run without the cyclic GC (see memory.py)
BULK_OPERATIONS = {"importContacts", "createContacts", "bulkUpdateContacts", "bulkDeleteContacts"}

View = Callable[[Request, RequestRecord], Response]
MATCHES_KEPT = 1024  # (method, path) pairs whose match is kept; past it the memo starts over
MATCH_PATH_CHARS = 512  # a longer path is matched every time (never kept)


class VendorRoutes:
    """The vendor operations' paths: a request's operation and path parameters.

    Every rule also takes OPTIONS (answered with the methods its path allows) and, for GET, HEAD.
    Slashes are not merged: ``//`` in a path is no path of the API (404), not a redirect.
    """

    def __init__(self) -> None:
        found = VENDOR.operations()
        paths = [path for path, _, _ in found]
        self.map = Map(
            [
                Rule(_rule(path, paths), endpoint=operation_id, methods=[method, "OPTIONS"])
                for path, method, operation_id in found
            ],
            converters={"segment": _Segment},
            merge_slashes=False,
        )
        # no rule looks at the host, so one adapter serves every request (binding one to each
        # request's environ parsed its host and scheme for nothing)
        self._adapter = self.map.bind("vendor")
        # clients repeat the same few paths (one stream, one contact): a match is looked up
        # here before werkzeug's matcher walks its state machine again (a tenth of a list's time)
        self._matches: dict[tuple[str, str], tuple[Rule, dict[str, Any]]] = {}

    def match(self, method: str, path: str) -> tuple[Rule, dict[str, Any]]:
        """The rule ``method path`` takes and its path parameters (the caller's own dict);
        werkzeug's ``NotFound`` or ``MethodNotAllowed`` when there is none."""
        key = (method, path)
        found = self._matches.get(key)
        if found is None:
            found = self._adapter.match(path, method, return_rule=True)
            if len(path) <= MATCH_PATH_CHARS:
                remember(self._matches, key, found, MATCHES_KEPT)
        rule, args = found
        return rule, dict(args)

    def allowed_methods(self, path: str) -> list[str]:
        return self._adapter.allowed_methods(path)

    def operation_of(self, method: str, path: str) -> str | None:
        """The operationId ``method path`` is routed to (None: no operation)."""
        try:
            rule, _ = self.match(method, path)
        except HTTPException:
            return None
        return rule.endpoint


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


def views(mock: Mock) -> dict[str, View]:
    """operationId -> its view."""
    return {operation_id: _view(mock, operation_id) for operation_id in HANDLERS}


def _view(mock: Mock, operation_id: str) -> View:
    handler = HANDLERS[operation_id]
    bulk = operation_id in BULK_OPERATIONS

    def view(request: Request, record: RequestRecord) -> Response:
        if bulk:
            with paused_gc():
                return handle(request, record)
        return handle(request, record)

    def handle(request: Request, record: RequestRecord) -> Response:
        profile = record.profile = record.profile or mock.runtime.profile()
        app = mock.authenticator.app_for(request.headers.get("auth"), request.headers)
        record.caller = app.client_id
        claimed = record.namespace  # a well-formed accountId header's (the rate-limit hook's)
        if claimed is not None:  # entitled first, as a real host decides, then the request
            authorize(app, claimed.account_id, claimed.stream_id)
        _check_json_size(request, operation_id, mock.settings.limits)
        valid = validator_for(profile).validate(operation_id, request)
        ns = Namespace(valid.header["accountId"].lower(), valid.path["streamId"])
        authorize(app, ns.account_id, ns.stream_id)
        reply = handler(
            Call(
                ns=ns,
                caller=Caller.for_app(app.client_id),
                valid=valid,
                request=request,
                service=mock.service,
                limits=mock.settings.limits,
                profile=profile,
            )
        )
        record.report = reply.report
        if reply.contacts is not None:
            record.created = len(reply.contacts)
            return contacts_response(reply.contacts, reply.status, reply.headers)
        return json_response(reply.body, reply.status, reply.headers)

    view.__name__ = operation_id
    return view


def _check_json_size(request: Request, operation_id: str, limits: Limits) -> None:
    if operation_id not in json_body_operations():
        return  # no body to read (list, delete) or a multipart upload (import)
    limit = limits.max_json_bytes
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(
            f"The JSON body has {length} bytes; this server takes at most {limit}"
        )
    if request.environ.get(BODY_OVER_LIMIT):  # the server's front stopped reading it
        raise PayloadTooLarge(f"The JSON body has more than {limit} bytes, this server's limit")
    # A body without Content-Length (chunked) is read up to one byte past the limit, no further.
    body_limit.hold(request, limit)
    received = len(request.get_data())
    if received > limit:
        raise PayloadTooLarge(f"The JSON body has more than {limit} bytes, this server's limit")
    if length is not None and received < length:
        raise ValidationError(body_limit.ended_early(request))
