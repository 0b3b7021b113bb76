"""The gateway that carries the suite's requests to a host: faithful, throttled, patient."""

from __future__ import annotations

import contextlib
import json
import threading

from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from contract_tests import gateway as gateway_module
from contract_tests.gateway import HttpGateway
from mockserver.testing import serve_wsgi

host = serve_wsgi


@Request.application
def echo(request: Request) -> Response:
    seen = {
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode(),
        "auth": request.headers.get("auth"),
        "type": request.content_type,
        "body": request.get_data(as_text=True),
    }
    return Response(json.dumps(seen), content_type="application/json", headers={"X-Seen": "1"})


def test_gateway_forwards_the_request_and_the_answer_unchanged():
    with host(echo) as url:
        client = Client(HttpGateway(url, rate_per_minute=0))
        response = client.put(
            "/agentassist/api/v1/public/st-1/contacts/bulk-update",
            query_string="skip=0&limit=5",
            headers={"auth": "token"},
            json=[{"id": "x"}],
        )
    assert response.status_code == 200 and response.headers["X-Seen"] == "1"
    assert response.get_json() == {
        "method": "PUT",
        "path": "/agentassist/api/v1/public/st-1/contacts/bulk-update",
        "query": "skip=0&limit=5",
        "auth": "token",
        "type": "application/json",
        "body": '[{"id": "x"}]',
    }


def limited_once(calls: list[str], retry_after: str):
    """A host that answers its first request 429 with ``retry_after``, and the next ones 200."""

    @Request.application
    def limited(request: Request) -> Response:
        calls.append(request.path)
        if len(calls) == 1:
            return Response("{}", status=429, headers={"Retry-After": retry_after})
        return Response("[]", content_type="application/json")

    return limited


def test_gateway_waits_for_retry_after_and_sends_again_after_a_429():
    calls: list[str] = []
    with host(limited_once(calls, "0")) as url:
        response = Client(HttpGateway(url, rate_per_minute=0)).get("/x")
    assert response.status_code == 200
    assert calls == ["/x", "/x"]


def test_a_retry_after_of_an_hour_is_waited_at_most_a_minute(monkeypatch):
    """README: a 429 is waited out (Retry-After, at most 60 s) and sent again."""
    calls: list[str] = []
    slept: list[float] = []
    monkeypatch.setattr(gateway_module.time, "sleep", slept.append)
    with host(limited_once(calls, "3600")) as url:
        gateway = HttpGateway(url, rate_per_minute=0)
        response = Client(gateway).get("/x")
    assert response.status_code == 200 and calls == ["/x", "/x"]
    assert slept == [60.0] and gateway.waited_on_429 == 60.0


def test_gateway_holds_requests_beyond_the_budget_per_minute():
    with host(echo) as url:
        gateway = HttpGateway(url, rate_per_minute=3)
        client = Client(gateway)
        for _ in range(3):
            assert client.get("/x").status_code == 200
        done = threading.Event()

        def fourth() -> None:
            with contextlib.suppress(OSError):  # the host is gone once the budget allows it
                client.get("/x")
            done.set()

        threading.Thread(target=fourth, daemon=True).start()
        assert not done.wait(1.0), "a 4th request went out within the minute"
