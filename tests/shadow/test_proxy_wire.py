"""`kore-mock proxy` on the wire: the request target goes to the host as the client sent it, a
large body goes whole (or is refused whole), and the proxy's own control plane answers while
requests wait on a slow host. The host here is a recording HTTP server on a loopback port."""

from __future__ import annotations

import http.client
import http.server
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from tests.live import serving
from tests.shadow.conftest import kore_mock_proxy

STREAM = "st-7dc994f0-4436-5134-9fa8-a94262500001"
CONTACTS = f"/agentassist/api/v1/public/{STREAM}/contacts"


class Host:
    """What the host received: each request's target and body length."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, int]] = []
        self.release = threading.Event()
        self.release.set()


@contextmanager
def recording_host() -> Iterator[tuple[str, Host]]:
    host = Host()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            size = 0
            while size < length:
                size += len(self.rfile.read(min(1 << 20, length - size)))
            host.received.append((self.command, self.path, size))
            host.release.wait(30)
            body = json.dumps({"results": [], "hasMore": False}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as server:
        try:
            yield f"http://127.0.0.1:{server.server_port}", host
        finally:
            host.release.set()  # a request held by the test lets the server shut down


@pytest.fixture(scope="module")
def proxied(tmp_path_factory) -> Iterator[tuple[str, Host]]:
    with (
        recording_host() as (upstream, host),
        kore_mock_proxy(upstream, "--port", "0", cwd=tmp_path_factory.mktemp("proxy-wire")) as url,
    ):
        yield url, host


def raw_get(url: str, target: str) -> int:
    """GET ``target`` exactly as written (requests and urllib3 would re-encode it)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", target)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("sent", "received"),
    [
        # an encoded slash stays one: the host decides what it means (it became a separator)
        (CONTACTS + "/abc%2Fdef", CONTACTS + "/abc%2Fdef"),
        # no dot segment resolved: a contact id could address any path of the tenant
        (CONTACTS + "/x/..%2F..%2F__mock__", CONTACTS + "/x/..%2F..%2F__mock__"),
        # the query as sent; only a % that starts no escape is escaped (every % was)
        (
            CONTACTS + "?skip=0&limit=%31%30&a=%2F&g=%zz",
            CONTACTS + "?skip=0&limit=%31%30&a=%2F&g=%25zz",
        ),
    ],
    ids=["encoded-slash", "dot-segments", "query"],
)
def test_the_host_gets_the_request_target_the_client_sent(proxied, sent, received):
    url, host = proxied
    before = len(host.received)
    assert raw_get(url, sent) == 200
    assert host.received[before:] == [("GET", received, 0)]


def test_a_body_over_the_servers_upload_limit_is_forwarded_whole_not_empty(proxied):
    """(Past 32 MiB, the proxy's HTTP front handed the app nothing: the host got an empty
    POST with Content-Length 0, and the caller its answer to it.)"""
    url, host = proxied
    body = b"a" * (40 * 1024 * 1024)
    before = len(host.received)
    for data in (body, iter([body])):  # with a Content-Length, then chunked
        answer = requests.post(url + CONTACTS, data=data, timeout=60)
        assert answer.status_code == 200, answer.text
    assert [size for _, _, size in host.received[before:]] == [len(body), len(body)]


def test_a_body_over_the_proxys_limit_is_413_and_nothing_reaches_the_host(proxied):
    url, host = proxied
    body = b"a" * (64 * 1024 * 1024 + 1)
    before = len(host.received)
    for data in (body, iter([body])):
        answer = requests.post(url + CONTACTS, data=data, timeout=60)
        assert answer.status_code == 413, answer.text
        assert "forwards bodies of up to" in answer.json()["errors"][0]["msg"]
    assert host.received[before:] == []


def test_the_proxys_control_plane_answers_while_requests_wait_on_a_slow_host(proxied):
    url, host = proxied
    host.release.clear()
    try:
        with ThreadPoolExecutor(8) as pool:
            waiting = [pool.submit(requests.get, url + CONTACTS, timeout=60) for _ in range(8)]
            health = requests.get(url + "/__mock__/health", timeout=5)
            assert health.status_code == 200
            assert requests.get(url + "/__mock__/shadow", timeout=5).status_code == 200
            host.release.set()
            assert [f.result().status_code for f in waiting] == [200] * 8
    finally:
        host.release.set()


def test_options_asterisk_is_answered_by_the_proxy_itself_not_a_502(proxied):
    """The asterisk form asks the server it is sent to (RFC 9112 3.2.4): the proxy answers as
    kore-mock serve does (it was a 502 saying the host did not answer, never having asked it)."""
    url, host = proxied
    before = len(host.received)
    address, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(address, int(port), timeout=30)
    try:
        connection.request("OPTIONS", "*")
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 404
    assert body["errors"][0]["code"] == 404
    assert len(host.received) == before
