"""The vendor API's answers leave as werkzeug would send them (``api.dispatch.send`` skips
werkzeug's WSGI call only for answers it would not change)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Response
from werkzeug.test import EnvironBuilder

from mockserver.api.dispatch import send
from mockserver.contacts.model import Contact
from mockserver.responses import STREAM_CHUNK, contacts_response, json_response


def _contact(i: int) -> Contact:
    return Contact(
        f"{i:024x}", "acc", "st-1", "ACTIVE", "Ann", "Lee", "Ms", f"+9198{i:08d}", "+91", "",
        "o-1", "u-1", "a-1", None, None, "2026-12-06T00:00:00.000Z", "2026-12-06T00:00:00.000Z",
    )  # fmt: skip


def _answers() -> list[Response]:
    moved = json_response({"ok": True})
    moved.headers["Location"] = "/elsewhere"
    closing = json_response([])
    closing.call_on_close(lambda: None)
    return [
        json_response({"results": [], "total": 0}),
        json_response({"errors": [{"msg": "no", "code": 400}]}, 400),
        json_response([1], 201, {"X-Rejected-Count": "0"}),
        Response(status=204),
        Response("text, not bytes"),
        moved,
        closing,
        contacts_response([_contact(i) for i in range(STREAM_CHUNK + 3)]),
    ]


def _wsgi(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    started: list[Any] = []
    body = app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    data = b"".join(body)
    if hasattr(body, "close"):
        body.close()
    status, headers = started[0]
    return status, list(headers), data


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
@pytest.mark.parametrize("index", range(len(_answers())))
def test_an_answer_is_sent_as_werkzeug_sends_it(method, index):
    environ = EnvironBuilder(path="/agentassist/api/v1/public/st-1/contacts", method=method)
    expected = _wsgi(_answers()[index], environ.get_environ())
    got = _wsgi(lambda e, sr: send(_answers()[index], e, sr), environ.get_environ())
    assert got == expected
