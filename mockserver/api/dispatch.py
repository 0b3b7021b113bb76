"""The vendor API's requests, served in their fixed steps, without Flask's per-request machinery.

A vendor request always takes the same steps (ARCHITECTURE.md, "One request, step by step"):
the journal record, routing, the rate limit and faults, the view, an error rendered in Kore's
envelope, the journal entry, a trickle. Flask would wrap them in an app and a request context, a
session, signals and its hook and error-handler lookups — a quarter of a small request's
instructions — and its proxies (``flask.request``) cost a lookup per use. ``VendorDispatch`` is
WSGI middleware in front of the Flask app: every request under the vendor API's prefix is
served here, its request and ``Mock`` handed down explicitly; every other request (the control
plane, the console, any other path) goes on to Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Request, Response
from werkzeug.exceptions import HTTPException

from mockserver.api.hooks import before_vendor_request, name_request, trickle_response
from mockserver.api.routes import VendorRoutes, views
from mockserver.journal import begin_record, end_record, write_journal
from mockserver.mock import Mock
from mockserver.responses import render_error
from mockserver.spec import API_PREFIX

WsgiApp = Any


class VendorDispatch:
    def __init__(self, app: WsgiApp, mock: Mock, request_class: type[Request] = Request) -> None:
        """``app``: the WSGI app that serves every other path (Flask's ``wsgi_app``)."""
        self.app = app
        self.mock = mock
        self.request_class = request_class
        self.routes = VendorRoutes()
        self.views = views(mock)
        self.prefix = API_PREFIX + "/"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.app(environ, start_response)
        return send(self.serve(environ), environ, start_response)

    def serve(self, environ: dict[str, Any]) -> Response:
        mock = self.mock
        request = self.request_class(environ)
        request.max_content_length = mock.settings.limits.max_upload_bytes
        record = begin_record(request)
        try:
            try:
                try:
                    rule, args = self.routes.match(request.method, request.path)
                except HTTPException:  # a wrong path or method: journaled in its namespace
                    name_request(mock, request, record, self._stream_of(request.path))
                    raise
                request.url_rule, request.view_args = rule, args
                if request.method == "OPTIONS":  # no operation: not counted, faulted or
                    name_request(mock, request, record, args.get("streamId", ""))  # verified
                    response = _allowed(self.routes.allowed_methods(request.path))
                else:
                    operation = rule.endpoint
                    response = before_vendor_request(
                        mock, request, record, operation, args.get("streamId", "")
                    )
                    if response is None:
                        response = self.views[operation](request, record)
            except Exception as error:
                response = render_error(error, mock, request)
            response = write_journal(mock, request, record, response)
            return trickle_response(record, response)
        finally:
            end_record()
            request.close()  # an upload's spooled file (Flask closes its own requests' files)

    def _stream_of(self, path: str) -> str:
        """The segment of a vendor path where its streamId is (the journal names a namespace
        only for a well-formed one)."""
        return path[len(self.prefix) :].partition("/")[0]


def _allowed(methods: Iterable[str]) -> Response:
    """The answer to OPTIONS: the path's methods in ``Allow``, no body (so no content type)."""
    response = Response()
    response.allow.update(methods)
    del response.headers["Content-Type"]
    return response


def send(response: Response, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """``response`` as WSGI: as werkzeug sends it, without its work when it would change
    nothing: a body held whole with its Content-Length, a status with a body, no location header
    to rewrite, nothing to run when it is closed, not the answer to a HEAD. Most answers are;
    werkzeug's WSGI call copies and walks the headers and wraps the body in a closing iterator
    for each (1-2 % of a small request)."""
    status = response.status_code
    if (
        type(response.response) is list
        and 200 <= status < 300
        and status != 204
        and not response.direct_passthrough
        and not getattr(response, "_on_close", True)  # werkzeug's callbacks on close
        and environ["REQUEST_METHOD"] != "HEAD"
    ):
        headers = response.headers.to_wsgi_list()
        names = {name.lower() for name, _ in headers}
        if "content-length" in names and not names & _REWRITTEN:
            start_response(response.status, headers)
            return response.response
    return response(environ, start_response)


_REWRITTEN = frozenset({"location", "content-location"})  # werkzeug makes them absolute URIs
