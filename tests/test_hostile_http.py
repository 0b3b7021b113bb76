"""The malformed-input corpus over real HTTP to `kore-mock serve` (gunicorn, its worker threads,
its limits), byte for byte: also what only a raw socket can send. Each case: a 4xx in Kore's
envelope, nothing stored, and the next good request on the same server succeeds. Uploads over
the size limit are refused before their body has been sent, let alone read."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from mockserver.auth import mint_token
from mockserver.settings import DEV_APP
from mockserver.spec import API_PREFIX
from mockserver.store import open_store
from tests.conftest import TEST_APPS
from tests.hostile.corpus import CASES, LIMITS, MB, MULTIPART, Case, good_csv, upload
from tests.hostile.live import (
    LiveServer,
    RawResponse,
    chunked,
    raw_exchange,
    read_response,
    request_head,
)
from tests.spec_check import assert_envelope, check_response

GUNICORN_STATUSES = {414, 417, 431}  # answered before the app: not per operation in the spec
TOKEN = mint_token(DEV_APP)
ACCOUNT = DEV_APP.account_id


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    settings = {
        "apps": [app.to_dict(with_secret=True) for app in TEST_APPS],
        "limits": LIMITS,
        "importPolicy": "reject",  # row-level cases refuse the file; file-level ones are alike
    }
    live = LiveServer(tmp_path_factory.mktemp("hostile-http"), settings)
    yield live
    live.stop()


def stream_for(case: Case) -> str:
    return f"st-http-{CASES.index(case):04d}"


def path_for(case: Case) -> str:
    return f"{API_PREFIX}/{stream_for(case)}/contacts{case.target}"


def send(server: LiveServer, case: Case) -> RawResponse:
    headers = case.headers_for(TOKEN, ACCOUNT)
    framing = {name.lower() for name, _ in headers} & {"content-length", "transfer-encoding"}
    body = case.body
    if case.raw_body is not None:
        body = case.raw_body
    elif case.chunked:
        headers.append(("Transfer-Encoding", "chunked"))
        body = chunked(case.body)
    elif not framing and (body or case.method in ("POST", "PUT", "DELETE")):
        headers.append(("Content-Length", str(case.declared_length or len(body))))
    head = request_head(case.method, path_for(case), headers, host=f"127.0.0.1:{server.port}")
    return raw_exchange(server.port, head, body, shutdown_write=case.declared_length is not None)


def stored(server: LiveServer) -> int:
    store = open_store(server.db)
    try:
        return sum(n["active"] + n["inactive"] for n in store.namespaces())
    finally:
        store.close()


def good_import(server: LiveServer, stream: str) -> requests.Response:
    return requests.post(
        f"{server.url}{API_PREFIX}/{stream}/contacts/import-contacts",
        headers={"auth": TOKEN, "accountId": ACCOUNT},
        files={"result_file": ("c.csv", good_csv("9811100001"), "text/csv")},
        timeout=30,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_request_over_http_is_refused_cleanly(server, case):
    before = stored(server)

    response = send(server, case)

    assert response.status == case.expected_over_http, response.body[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert_envelope(body)
    assert (case.http_says or case.says) in " | ".join(str(e) for e in body["errors"])
    if response.status not in GUNICORN_STATUSES:
        check_response(
            case.method,
            path_for(case).split("?")[0],
            response.status,
            {"Content-Type": response.headers["content-type"]},
            response.body,
        )
    assert stored(server) == before

    after = good_import(server, stream_for(case))
    assert after.status_code == 200, after.text
    assert len(after.json()) == 1


def _oversized_upload_head(server: LiveServer, length: int, *extra: tuple[str, str]) -> bytes:
    return request_head(
        "POST",
        f"{API_PREFIX}/st-http-oversized/contacts/import-contacts",
        [
            ("auth", TOKEN),
            ("accountId", ACCOUNT),
            ("Content-Type", MULTIPART),
            ("Content-Length", str(length)),
            *extra,
        ],
        host=f"127.0.0.1:{server.port}",
    )


def test_upload_over_the_limit_is_413_before_its_body_is_sent(server):
    before = stored(server)
    sent = upload(b"x" * (64 * 1024))  # 64 KB of the 50 MB the request announces
    response = raw_exchange(server.port, _oversized_upload_head(server, 50 * MB), sent)
    assert response.status == 413
    assert "limit of 6291456 bytes" in response.json()["errors"][0]["msg"]
    assert stored(server) == before
    assert good_import(server, "st-http-after-oversized").status_code == 200


def test_upload_over_the_limit_with_expect_100_continue_is_413_with_no_body_byte_sent(server):
    head = _oversized_upload_head(server, 50 * MB, ("Expect", "100-continue"))
    response = raw_exchange(server.port, head)  # no body byte is ever sent
    # a server waiting for the body would answer 408 when http.bodyGracePeriod (10 s) ran out
    assert response.status == 413
    assert_envelope(response.json())


def test_chunked_upload_over_the_limit_is_refused_while_the_client_is_still_sending(server):
    started = stored(server)
    head = request_head(
        "POST",
        f"{API_PREFIX}/st-http-chunked/contacts/import-contacts",
        [
            ("auth", TOKEN),
            ("accountId", ACCOUNT),
            ("Content-Type", MULTIPART),
            ("Transfer-Encoding", "chunked"),
        ],
        host=f"127.0.0.1:{server.port}",
    )
    # the limit and 256 KB more, and no last chunk: the body never ends, yet the answer comes
    body = chunked(upload(b"x" * (LIMITS["maxUploadBytes"] + 256 * 1024)), terminate=False)
    response = raw_exchange(server.port, head, body, timeout=30)
    assert response.status == 413
    assert_envelope(response.json())
    assert stored(server) == started


def test_after_the_corpus_the_log_has_no_tracebacks_and_no_tokens(server):
    requests.get(server.url + "/__mock__/health", timeout=5).raise_for_status()
    time.sleep(0.2)  # let the log lines of the last requests arrive
    output = server.output
    assert "Traceback" not in output
    assert "Error handling request" not in output
    assert TOKEN not in output
    assert TOKEN.split(".")[1] not in output  # not even the payload
    for app in TEST_APPS:
        assert app.client_secret not in output


def test_a_refusal_before_the_body_is_read_closes_the_connection_so_keep_alive_clients_go_on(
    server,
):
    session = requests.Session()
    session.headers.update({"auth": TOKEN, "accountId": ACCOUNT})
    url = f"{server.url}{API_PREFIX}/st-http-keepalive/contacts"
    listed = session.get(url, timeout=10)
    assert listed.headers["Connection"] == "keep-alive"
    for refused in (
        session.post(
            url,
            data=b"[" + b" " * 500_000 + b"]",
            timeout=30,
            headers={"Content-Type": "application/json"},
        ),  # over maxJsonBytes
        session.post(
            url + "/import-contacts",
            headers={"auth": "x"},
            timeout=30,
            files={"result_file": ("c.csv", b"x" * 500_000)},
        ),  # unauthenticated
    ):
        assert refused.status_code in (401, 413)
        assert refused.headers["Connection"] == "close"
        assert session.get(url, timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("version", "host_line", "status", "says"),
    [
        ("HTTP/1.1", b"", 400, "An HTTP/1.1 request needs a Host header"),
        ("HTTP/1.1", b"Host: a b/c@d\r\n", 400, "The Host header is not a host name"),
        ("HTTP/1.1", b"Host: \xc3\xa9.example\r\n", 400, "The Host header is not a host name"),
        ("HTTP/1.0", b"", 200, None),  # HTTP/1.0 has no Host header to require
        ("HTTP/1.1", b"Host: [::1]:8080\r\n", 200, None),
        ("HTTP/1.1", b"Host: \r\n", 200, None),  # an empty host is allowed (RFC 9112 3.2)
    ],
)
def test_an_http_1_1_request_without_a_usable_host_header_is_400(
    server, version, host_line, status, says
):
    """RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host header or
    with one that is no host[:port] (both were answered 200)."""
    head = (
        f"GET {API_PREFIX}/st-http-host/contacts {version}\r\n".encode()
        + host_line
        + f"auth: {TOKEN}\r\naccountId: {ACCOUNT}\r\nConnection: close\r\n\r\n".encode()
    )
    response = raw_exchange(server.port, head)
    assert response.status == status, response.body
    if says:
        assert response.json()["errors"][0]["msg"].startswith(says)


def list_head(stream: str, *, version: str = "HTTP/1.1", connection: str = "close") -> bytes:
    """The head of a list request, as bytes to send on a raw socket."""
    return (
        f"GET {API_PREFIX}/{stream}/contacts {version}\r\nHost: x\r\n"
        f"auth: {TOKEN}\r\naccountId: {ACCOUNT}\r\nConnection: {connection}\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("version", ["HTTP/1.0", "HTTP/1.1", "HTTP/1.9"])
def test_the_status_line_says_the_version_kore_mock_speaks(server, version):
    """(It echoed the client's: HTTP/1.9 200 OK.)"""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(list_head("st-http-version", version=version))
        assert sock.recv(12) == b"HTTP/1.1 200"


def test_a_non_ascii_header_value_is_quoted_back_as_the_client_sent_it(server):
    """(An accountId "é" sent in UTF-8 was quoted as "Ã©": WSGI's Latin-1 reading of its bytes.)"""
    head = request_head(
        "GET",
        f"{API_PREFIX}/st-http-accent/contacts",
        [("auth", TOKEN), ("accountId", "é".encode())],
        host=f"127.0.0.1:{server.port}",
    )
    response = raw_exchange(server.port, head)
    assert response.status == 412, response.body
    msg = " | ".join(e["msg"] for e in response.json()["errors"])
    assert 'accountId: "é"' in msg and "Ã" not in msg, msg


@pytest.mark.parametrize("coding", ["gzip, chunked", "deflate, chunked", "compress, chunked"])
def test_a_transfer_coding_before_chunked_is_400_and_stores_nothing(server, coding):
    """gunicorn took gzip, deflate or compress before chunked and read the body as if they were
    not there: a plain body labelled gzip was stored."""
    stream = "st-http-te-" + coding.split(",")[0]
    body = (
        b'[{"firstName":"a","lastName":"b","salutation":"Mr",'
        b'"cellPhone":{"phoneNumber":"9876543210","countryCode":"+91","extension":""}}]'
    )
    head = (
        f"POST {API_PREFIX}/{stream}/contacts HTTP/1.1\r\nHost: x\r\n"
        f"auth: {TOKEN}\r\naccountId: {ACCOUNT}\r\nContent-Type: application/json\r\n"
        f"Transfer-Encoding: {coding}\r\n\r\n"
    ).encode()
    response = raw_exchange(server.port, head, chunked(body))
    assert response.status == 400, response.body
    assert response.json()["errors"][0]["msg"] == (
        "The Transfer-Encoding is not supported; send chunked or a Content-Length"
    )
    listed = requests.get(
        f"{server.url}{API_PREFIX}/{stream}/contacts",
        headers={"auth": TOKEN, "accountId": ACCOUNT},
        timeout=10,
    )
    assert listed.json()["totalResults"] == 0


@pytest.mark.parametrize("connection", ["close", "TE, close", "close, TE", "keep-alive, Close"])
def test_close_among_the_connection_options_closes_the_connection_after_the_answer(
    server, connection
):
    """RFC 9112 9.6 (only a Connection header of exactly "close" closed it: a client reading to
    the end of the stream waited for the 5 s idle timeout)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(list_head("st-http-close", connection=connection))
        started = time.perf_counter()
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        waited = time.perf_counter() - started
    assert received.startswith(b"HTTP/1.1 200")
    assert b"\r\nConnection: close\r\n" in received
    assert waited < 2, waited


@pytest.mark.parametrize(("length", "status"), [(8188, 200), (8189, 431)])
def test_a_header_field_is_at_most_8190_bytes_with_its_line_end(server, length, status):
    """As the README and the 431 say: 8190 bytes of ``Name: value`` and its CRLF."""
    field = ("X-Big", "v" * (length - len("X-Big: ")))
    head = request_head(
        "GET",
        f"{API_PREFIX}/st-http-big-header/contacts",
        [("auth", TOKEN), ("accountId", ACCOUNT), field],
        host=f"127.0.0.1:{server.port}",
    )
    response = raw_exchange(server.port, head)
    assert response.status == status, response.body
    if status == 431:
        assert "8190 bytes each with its line end" in response.json()["errors"][0]["msg"]


def test_a_request_the_front_refuses_itself_is_answered_connection_close(server):
    """A head refused before the app (a malformed header: 400 from the worker) ends the
    connection: the answer says so, so a keep-alive client does not send its next request on it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"GET /__mock__/health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n"
            b"GET /__mock__/health HTTP/1.1\r\nHost: x\r\n\r\n"  # pipelined: never served
        )
        answer = read_response(sock)
        rest = sock.recv(65536)
    assert answer.status == 400
    assert answer.headers["connection"] == "close"
    assert answer.json()["errors"][0]["code"] == 400
    assert rest == b""


@pytest.mark.parametrize(
    ("coding", "number"), [("Chunked", "9811100301"), ("CHUNKED", "9811100302")]
)
def test_chunked_in_any_case_is_the_chunked_transfer_coding(server, coding, number):
    """Transfer-coding names are case-insensitive (RFC 9112 7): 'Chunked' is read as chunked
    and the contact is created, not refused as an unknown coding."""
    body = json.dumps(
        [
            {
                "firstName": "te",
                "lastName": coding,
                "salutation": "",
                "cellPhone": {"phoneNumber": number, "countryCode": "+91", "extension": ""},
            }
        ]
    ).encode()
    head = request_head(
        "POST",
        f"{API_PREFIX}/st-http-te/contacts",
        [
            ("auth", TOKEN),
            ("accountId", ACCOUNT),
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", coding),
        ],
        host=f"127.0.0.1:{server.port}",
    )
    answer = raw_exchange(server.port, head, chunked(body))
    assert answer.status == 200, answer.body[:300]
    assert [c["lastName"] for c in answer.json()] == [coding]
