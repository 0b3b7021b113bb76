"""A pooled connection the host lets go of: an idempotent request is sent again on a new one,
a create never twice. The host here answers the first request of each connection and closes the
connection on the second, as a load balancer that drops idle keep-alive connections does."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mockserver.shadow.upstream import Upstream, UpstreamError
from mockserver.shadow.wire import HttpRequest

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += conn.recv(65536)
    return head.split(b"\r\n", 1)[0]


@contextmanager
def host_closing_each_second_request() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    done = threading.Event()

    def serve_connection(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            for number in (1, 2):
                line = _read_request(conn)
                if line is None:
                    return
                received.append(line)
                if number == 1:
                    conn.sendall(ANSWER)  # kept alive: no Connection: close

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve_connection, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    finally:
        done.set()
        thread.join()
        listener.close()


def request(method: str, body: bytes = b"") -> HttpRequest:
    headers = (("Content-Type", "application/json"),) if body else ()
    return HttpRequest(method, "/agentassist/api/v1/public/st-x/contacts", "", headers, body)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_idempotent_request_on_a_connection_the_host_let_go_is_sent_again(method):
    with host_closing_each_second_request() as (url, received):
        upstream = Upstream(url, timeout=10)
        try:
            body = b"{}" if method == "PUT" else b""
            assert upstream.send(request(method, body)).status == 200
            assert upstream.send(request(method, body)).status == 200  # on the pooled connection
        finally:
            upstream.close()
    assert len(received) == 3  # the second, lost with its connection, sent again on a new one


def test_a_create_on_a_connection_the_host_let_go_is_a_failure_and_never_sent_twice():
    with host_closing_each_second_request() as (url, received):
        upstream = Upstream(url, timeout=10)
        try:
            assert upstream.send(request("POST", b"[]")).status == 200
            with pytest.raises(UpstreamError, match="did not answer POST"):
                upstream.send(request("POST", b"[]"))
        finally:
            upstream.close()
    assert len(received) == 2
