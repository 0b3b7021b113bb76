"""A body of exactly its route's limit is taken and one byte more is 413, naming the limit, over
`kore-mock serve` with a Content-Length or chunked: the vendor import (`maxUploadBytes`), the
control plane's seed (the same limit) and a JSON body (`maxJsonBytes`). An import over its limit
is refused on its head, even when the JSON limit is the larger one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from mockserver.auth import mint_token
from mockserver.settings import DEV_APP
from mockserver.spec import API_PREFIX
from tests.hostile.live import LiveServer, chunked, raw_exchange, request_head

UPLOAD = 4096  # smaller than the JSON limit: an import's own limit is the one the front keeps
JSON = 8192
HEADER = b"firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension,n"
BOUNDARY = "limitBoundary"
ACCOUNT = "63c7ebae6a2aef36de8f0001"  # the development app's


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    live = LiveServer(
        tmp_path_factory.mktemp("body-limits"),
        {"limits": {"maxUploadBytes": UPLOAD, "maxJsonBytes": JSON}},
    )
    yield live
    live.stop()


def upload_of(size: int, number: int) -> bytes:
    """A multipart import of exactly ``size`` bytes: one row, padded in an extra column."""
    start = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="result_file"; '
        'filename="c.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    row = HEADER + b"\na,b,Mr,%d,+91,," % number
    end = f"\r\n--{BOUNDARY}--\r\n".encode()
    body = start + row + b"z" * (size - len(start) - len(row) - len(end)) + end
    assert len(body) == size
    return body


def head_of(server: LiveServer, path: str, content_type: str, *framing: tuple[str, str]) -> bytes:
    """A POST's head as the development app sends it, with the body's framing headers."""
    headers = [
        ("auth", mint_token(DEV_APP)),
        ("accountId", ACCOUNT),
        ("Content-Type", content_type),
    ]
    return request_head("POST", path, [*headers, *framing], host=server.host)


def send(server: LiveServer, path: str, body: bytes, content_type: str, *, chunk: bool):
    framing = ("Transfer-Encoding", "chunked") if chunk else ("Content-Length", str(len(body)))
    head = head_of(server, path, content_type, framing)
    return raw_exchange(server.port, head, chunked(body, 1000) if chunk else body)


IMPORT = f"{API_PREFIX}/st-body-limits/contacts/import-contacts"
SEED = f"/__mock__/namespaces/{ACCOUNT}/st-body-limits-seed/seed"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


@pytest.mark.parametrize("chunk", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("path", [IMPORT, SEED], ids=["import", "seed"])
def test_an_upload_of_exactly_the_limit_is_taken_and_one_byte_more_is_413(server, path, chunk):
    number = 9100000000 + 10 * chunk + (path == SEED)
    taken = send(server, path, upload_of(UPLOAD, number), MULTIPART, chunk=chunk)
    assert taken.status == 200, taken.body
    assert str(number) in taken.body.decode()
    refused = send(server, path, upload_of(UPLOAD + 1, number + 5), MULTIPART, chunk=chunk)
    assert refused.status == 413, refused.body
    msg = refused.json()["errors"][0]["msg"]
    assert f"over this server's limit of {UPLOAD} bytes" in msg, msg


def test_an_import_over_its_limit_is_refused_on_its_head_not_asked_for(server):
    length = ("Content-Length", str(UPLOAD + 1))
    head = head_of(server, IMPORT, MULTIPART, length, ("Expect", "100-continue"))
    answer = raw_exchange(server.port, head)  # no body sent: the answer must not wait for it
    assert answer.status == 413
    assert (
        f"has {UPLOAD + 1} bytes, over this server's limit of {UPLOAD} bytes"
        in (answer.json()["errors"][0]["msg"])
    )


@pytest.mark.parametrize("extra", [1, 2, 5000])
def test_a_chunked_json_body_over_its_limit_names_the_limit(server, extra):
    item = {"firstName": "a", "lastName": "b", "salutation": "", "cellPhone": {}}
    body = json.dumps([item]).encode()
    body = body[:-1] + b" " * (JSON + extra - len(body)) + b"]"
    path = f"{API_PREFIX}/st-body-limits/contacts"
    answer = send(server, path, body, "application/json", chunk=True)
    assert answer.status == 413, answer.body
    msg = answer.json()["errors"][0]["msg"]
    assert str(JSON) in msg and str(JSON + 1) not in msg, msg


@pytest.mark.parametrize("chunk", [False, True], ids=["content-length", "chunked"])
def test_a_json_body_of_exactly_the_limit_is_taken_and_one_byte_more_is_413(server, chunk):
    def body_of(size: int, number: int) -> bytes:
        item = {
            "firstName": "a",
            "lastName": "b",
            "salutation": "",
            "cellPhone": {"phoneNumber": str(number), "countryCode": "+91", "extension": ""},
        }
        body = json.dumps([item]).encode()
        return body[:-1] + b" " * (size - len(body)) + b"]"

    path = f"{API_PREFIX}/st-body-limits-json/contacts"
    number = 9200000000 + chunk
    taken = send(server, path, body_of(JSON, number), "application/json", chunk=chunk)
    assert taken.status == 200, taken.body
    assert str(number) in taken.body.decode()
    refused = send(server, path, body_of(JSON + 1, number + 5), "application/json", chunk=chunk)
    assert refused.status == 413, refused.body
    assert str(JSON) in refused.json()["errors"][0]["msg"]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_large_body_to_the_snapshot_path_with_another_method_is_refused_on_its_head(
    server, method
):
    """Only PUT /__mock__/snapshot takes a body up to maxSnapshotBytes: another method there,
    with a body over every other limit, is answered on its head (405), not asked for its body."""
    head = request_head(
        method,
        "/__mock__/snapshot",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(JSON * 10)),
            ("Expect", "100-continue"),
        ],
        host=server.host,
    )
    answer = raw_exchange(server.port, head, timeout=8)  # no body sent
    assert answer.status == 405
    assert answer.json()["errors"][0]["code"] == 405


@pytest.mark.parametrize("over", ["import", "json"])
def test_a_body_over_its_limit_says_413_in_the_envelope_too(server, over):
    """The envelope's code follows the HTTP status (README, errors): a body over its limit is
    413 on the status line and in every entry."""
    if over == "import":  # refused on its length, the body not sent
        body = b""
        head = head_of(server, IMPORT, MULTIPART, ("Content-Length", str(UPLOAD + 1)))
    else:
        body = b"[" + b" " * (JSON - 1) + b"]"
        path = f"{API_PREFIX}/st-body-limits-code/contacts"
        head = head_of(server, path, "application/json", ("Content-Length", str(len(body))))
    answer = raw_exchange(server.port, head, body)
    assert answer.status == 413
    assert [e["code"] for e in answer.json()["errors"]] == [413]
