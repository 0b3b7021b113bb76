"""Recordings: what the proxy writes with --record, and what a replay reads."""

from __future__ import annotations

import gzip
import json

import pytest

from mockserver.redact import REDACTED
from mockserver.shadow.recording import (
    RecordingError,
    RecordingWriter,
    exchange,
    parse_lines,
    read_recording,
)
from mockserver.shadow.wire import HttpRequest, HttpResponse
from tests.shadow.conftest import Tenant, fictitious, person, shadowing

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNzLXgifQ.c2lnbmF0dXJl"


def test_every_exchange_through_the_proxy_is_one_line_without_credentials(divergent_host, tmp_path):
    file = tmp_path / "session.jsonl"
    with shadowing(divergent_host, record=str(file)) as (url, _):
        tenant = Tenant(url)
        number = fictitious()
        tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
        tenant.create(person("Alan", "Turing", fictitious()))
        tenant.http.get(
            tenant.base, params={"limit": 5, "token": "s3cret"}, headers=tenant.headers()
        )
    text = file.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["operation"] for line in lines] == [
        "importContacts",
        "createContacts",
        "listContacts",
    ]
    assert tenant.token not in text and "eyJ" not in text and "s3cret" not in text
    first = lines[0]
    assert first["request"]["headers"]["auth"] == REDACTED
    assert first["request"]["headers"]["accountId"] == "63c7ebae6a2aef36de8f0001"
    assert "result_file" in first["request"]["bodyText"]  # the upload, readable
    assert first["response"]["status"] == 400 and first["response"]["body"]["errors"]
    assert first["mock"]["status"] == 200 and first["differences"]
    assert lines[1]["request"]["body"][0]["firstName"] == "Alan"  # JSON bodies as JSON
    assert lines[2]["request"]["query"] == "limit=5&token=REDACTED"


def test_a_jwt_anywhere_in_a_body_is_redacted():
    sent = HttpRequest(
        "POST",
        "/x",
        headers=(("Content-Type", "application/json"), ("Authorization", "Bearer x")),
        body=json.dumps([{"firstName": JWT}]).encode(),
    )
    answer = HttpResponse(400, (("Content-Type", "text/plain"),), f"bad {JWT}".encode())
    record = exchange(1, None, sent, answer, source="upstream")
    assert record["request"]["body"] == [{"firstName": REDACTED}]
    assert record["request"]["headers"]["Authorization"] == REDACTED
    assert record["response"]["bodyText"] == f"bad {REDACTED}"


def test_a_recorded_exchange_reads_back_as_it_was_sent():
    body = b"--b\r\nContent-Disposition: form-data; name=result_file\r\n\r\na,b\r\n--b--\r\n"
    sent = HttpRequest(
        "POST",
        "/agentassist/api/v1/public/st-1/contacts/import-contacts",
        query="x=1",
        headers=(("Content-Type", "multipart/form-data; boundary=b"), ("accountId", "a" * 24)),
        body=body,
    )
    answer = HttpResponse(200, (("Content-Type", "application/json"),), b"[]")
    line = json.dumps(exchange(3, "importContacts", sent, answer, source="upstream"))
    (read,) = parse_lines([line], "rec.jsonl")
    assert read.seq == 3 and read.operation == "importContacts"
    assert read.request.body == body and read.request.query == "x=1"
    assert read.request.header("accountId") == "a" * 24
    assert read.response is not None and read.response.status == 200
    assert read.response.json() == []


def test_binary_bodies_survive_as_base64():
    sent = HttpRequest("POST", "/p", headers=(("Content-Type", "text/csv"),), body=b"\xff\x00\xfe")
    line = json.dumps(exchange(1, None, sent, HttpResponse(400), source="upstream"))
    (read,) = parse_lines([line], "rec.jsonl")
    assert read.request.body == b"\xff\x00\xfe"


def test_a_recording_with_unicode_line_separators_in_its_strings_reads_back(tmp_path):
    """U+2028, U+0085 and the like are raw inside a line's JSON strings (a name the vendor API
    took): they split the line when the file was read with str.splitlines()."""
    name = "Ann\u2028e\x85\u2029\x0b\x0c\x1c"
    body = json.dumps([{"firstName": name}], ensure_ascii=False).encode()
    sent = HttpRequest("POST", "/p", headers=(("Content-Type", "application/json"),), body=body)
    writer = RecordingWriter(tmp_path / "rec.jsonl")
    writer.write(exchange(1, "createContacts", sent, HttpResponse(200), source="upstream"))
    writer.write(exchange(2, "createContacts", sent, HttpResponse(200), source="upstream"))
    writer.close()
    read = read_recording(tmp_path / "rec.jsonl")
    assert [r.seq for r in read] == [1, 2]
    assert json.loads(read[0].request.body)[0]["firstName"] == name


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not a JSON object"),
        ('{"seq": 1}', "not an exchange"),
        ('{"recording": "kore-mock/1", "request": {"method": "GET"}}', "a path starting with /"),
        (
            '{"recording": "kore-mock/1", "request": {"method": "GET", "path": "/x", '
            '"bodyBase64": "%%%"}}',
            "not base64",
        ),
    ],
)
def test_a_broken_line_is_named_with_its_number(tmp_path, line, problem):
    file = tmp_path / "rec.jsonl"
    file.write_text("\n" + line + "\n")
    with pytest.raises(RecordingError, match=rf"rec.jsonl:2: .*{problem}"):
        read_recording(file)


@pytest.mark.parametrize(
    "line",
    [
        "[" * 1000 + "]" * 1000,  # a RecursionError traceback (900 levels were refused cleanly)
        '{"recording": "kore-mock/1", "request": {"method": "GET", "path": "/x", "body": '
        + "[" * 990
        + "]" * 990
        + "}}",
    ],
)
def test_a_line_nested_too_deep_is_a_clear_error(tmp_path, line):
    file = tmp_path / "rec.jsonl"
    file.write_text(line + "\n")
    with pytest.raises(RecordingError, match=r"rec.jsonl:1: nested more than 24 levels deep"):
        read_recording(file)


def test_a_missing_recording_is_a_clear_error(tmp_path):
    with pytest.raises(RecordingError, match="cannot read"):
        read_recording(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Cookie", "session=abc123"),
        ("X-Api-Key", "k-123456"),
        ("X-Mock-Admin-Token", "admin-123456"),
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz"),
    ],
)
def test_a_credential_header_of_any_kind_is_recorded_redacted(name, value):
    sent = HttpRequest(
        "GET", "/x", headers=(("accountId", "63c7ebae6a2aef36de8f0001"), (name, value))
    )
    answer = HttpResponse(200, (("Set-Cookie", "sid=s3cr3t; HttpOnly"),), b"")
    record = exchange(1, None, sent, answer, source="upstream")
    written = json.dumps(record)
    assert value not in written and "s3cr3t" not in written
    kept = record["request"]["headers"]
    assert kept.get(name, REDACTED) == REDACTED  # redacted, or (hop-by-hop) not kept at all
    assert record["response"]["headers"]["Set-Cookie"] == REDACTED


def test_a_gzip_answer_is_recorded_as_the_json_it_holds():
    """A tenant behind a CDN gzips its JSON (requests asks for it): the recording keeps the
    answer without its content encoding, so that a replay compares it field by field."""
    page = {"results": [], "total": 0}
    answer = HttpResponse(
        200,
        (("Content-Type", "application/json"), ("Content-Encoding", "gzip")),
        gzip.compress(json.dumps(page).encode()),
    )
    record = exchange(1, "listContacts", HttpRequest("GET", "/x"), answer, source="upstream")
    assert record["response"]["body"] == page
    assert "Content-Encoding" not in record["response"]["headers"]
