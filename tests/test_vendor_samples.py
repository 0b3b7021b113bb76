"""The vendor's own sample requests work against ``kore-mock serve`` as Kore.ai prints them.

Each sample of the contacts pages (``tests/vendor_docs.py``: the seven operations, the import page
in both of its copies, and the create page's older revision) is sent with real curl — the command
as printed, with its header names and casing, ``Content-Type: application/json`` on GET and
DELETE without a body, the body text as printed — to a server started with no settings file.
Only placeholders (``{{host}}``, ``<token>``...), redacted digits (``xxxxx``, filled with
fictitious numbers) and ids (of contacts made first) are filled in, each replacement checked to
hit the printed text. Every answer must succeed with the documented response shape (every field
of the page's sample response, of the same JSON type) and validate against ``openapi.yaml``.

Tokens are signed the way Kore's JWT page says: HS256 over ``{"sub": ..., "appId": <client id>}``
with the app's client secret, no ``exp``. Accounts other than the development app's (the update
sample's, the create page's ``123456789``) get an app through the control plane, as a user with
that account would have one.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from requests.structures import CaseInsensitiveDict

from tests import vendor_docs as docs
from tests.live import kore_mock_serve
from tests.spec_check import check_response

# The development app, as the README documents it (the server's built-in app, no settings file).
DEV_CLIENT_ID = "cs-kore-mock-dev"
DEV_CLIENT_SECRET = "kore-mock-development-secret-not-for-production"
DEV_ACCOUNT = "63c7ebae6a2aef36de8f0001"  # the import sample's 63c7ebae6a2aef36de8fxxxx, filled
UPDATE_ACCOUNT = "65f7d49a5dd06e2cefa00001"  # the update sample's 65f7d49a5dd06e2cefaxxxxx
CREATE_ACCOUNT = "123456789"  # as the create page prints it
PREFIX = "/agentassist/api/v1/public"
CURL = shutil.which("curl")

pytestmark = pytest.mark.skipif(
    CURL is None and os.environ.get("CI") != "true", reason="curl is not installed"
)


def docs_jwt(client_id: str, secret: str) -> str:
    """The token of Kore's JWT generation page: HS256, ``sub`` and ``appId``, nothing else."""
    return jwt.encode({"sub": "1234567890", "appId": client_id}, secret, algorithm="HS256")


@dataclass
class Server:
    url: str

    def add_app(self, account: str) -> str:
        """An app of ``account`` (scope Configuration, every stream); its docs-style token."""
        client_id = f"cs-docs-sample-{account}"
        reply = requests.post(
            f"{self.url}/__mock__/apps",
            json={"clientId": client_id, "accountId": account, "scopes": ["Configuration"]},
            timeout=30,
        )
        assert reply.status_code == 201, reply.text
        return docs_jwt(client_id, reply.json()["clientSecret"])

    def create(self, stream: str, account: str, token: str, numbers: list[str]) -> list[str]:
        """Contacts made first through the API (the samples address their ids)."""
        items = [
            {
                "firstName": "made",
                "lastName": f"first{i}",
                "salutation": "Mx",
                "cellPhone": {"phoneNumber": n, "countryCode": "+91", "extension": ""},
            }
            for i, n in enumerate(numbers)
        ]
        reply = requests.post(
            f"{self.url}{PREFIX}/{stream}/contacts",
            headers={"auth": token, "accountId": account},
            json=items,
            timeout=30,
        )
        assert reply.status_code == 200 and len(reply.json()) == len(numbers), reply.text
        return [c["id"] for c in reply.json()]

    def listed(self, stream: str, account: str, token: str) -> list[dict[str, Any]]:
        reply = requests.get(
            f"{self.url}{PREFIX}/{stream}/contacts",
            headers={"auth": token, "accountId": account},
            params={"limit": 100},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["results"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``kore-mock serve`` as a user starts it: no settings file, no KORE_MOCK_* variables."""
    workdir = tmp_path_factory.mktemp("vendor-samples")
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("KORE_MOCK_")]:
            env.delenv(name)
        with kore_mock_serve(cwd=workdir) as url:
            yield Server(url)


@pytest.fixture
def dev_token() -> str:
    return docs_jwt(DEV_CLIENT_ID, DEV_CLIENT_SECRET)


_streams = iter(range(1, 10_000))


@pytest.fixture
def stream() -> str:
    """A stream of its own per test, so that the samples' numbers never meet."""
    return f"st-7dc994f0-4436-5134-9fa8-a9426251{next(_streams):04d}"


@dataclass
class Answer:
    status: int
    headers: CaseInsensitiveDict[str]
    raw: bytes
    method: str
    path: str
    trace: str  # curl's -v output: what it sent

    def json(self) -> Any:
        return json.loads(self.raw)


def run_sample(
    sample: docs.Sample, server: Server, fills: dict[str, str], tmp_path: Path
) -> Answer:
    """Run the sample's curl command, as printed but for its corrections and ``fills``."""
    text = sample.request
    for correction in sample.corrections:
        assert correction.printed in text, f"{sample.name}: not as printed: {correction.why}"
        text = text.replace(correction.printed, correction.runnable)
    base = urlsplit(server.url)
    host = "https://{{host}}" if "https://{{host}}" in text else "https://{host}"
    fills = {host: server.url, **fills}
    for printed, value in fills.items():
        assert printed in text, f"{sample.name}: {printed!r} is not in the printed request"
        text = text.replace(printed, value)
    assert "\\" not in text.replace("\\\n", ""), "only line continuations may hold backslashes"
    argv = shlex.split(text.replace("\\\n", " "))
    assert argv[0] == "curl", argv
    url = next(arg for arg in argv if arg.startswith(server.url))
    method = argv[argv.index("--request") + 1] if "--request" in argv else "GET"
    head, body = tmp_path / f"{id(sample)}.head", tmp_path / f"{id(sample)}.body"
    output = ["-sS", "-v", "-D", str(head), "-o", str(body), "-w", "%{http_code}"]
    done = subprocess.run(
        [CURL or "curl", *output, *argv[1:]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"curl failed: {done.stderr}"
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for line in head.read_text("latin-1").splitlines()[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip()] = value.strip()
    assert urlsplit(url).netloc == base.netloc
    return Answer(
        status=int(done.stdout),
        headers=headers,
        raw=body.read_bytes(),
        method=method,
        path=urlsplit(url).path,
        trace=done.stderr,
    )


def assert_succeeds_as_documented(answer: Answer, sample: docs.Sample, *, exact=False) -> Any:
    """200, valid against openapi.yaml, and every field of the sample response there."""
    assert answer.status == 200, (answer.status, answer.raw[:2000])
    check_response(answer.method, answer.path, answer.status, dict(answer.headers), answer.raw)
    body = answer.json()
    assert_shape(body, json.loads(sample.response), "response", exact=exact)
    return body


def assert_shape(actual: Any, documented: Any, where: str, *, exact: bool = False) -> None:
    """``actual`` has every field of ``documented`` with the same JSON type, recursively (with
    ``exact``, no other fields either). Array items are held to what all documented items have."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        missing = sorted(documented.keys() - actual.keys())
        assert not missing, f"{where}: documented field(s) missing: {missing}"
        if exact:
            extra = sorted(actual.keys() - documented.keys())
            assert not extra, f"{where}: field(s) the sample does not show: {extra}"
        for key, value in documented.items():
            assert_shape(actual[key], value, f"{where}.{key}", exact=exact)
    elif isinstance(documented, list):
        assert isinstance(actual, list), f"{where}: {actual!r} is not an array"
        if documented and all(isinstance(item, dict) for item in documented):
            common = set.intersection(*(set(item) for item in documented))
            model = {key: documented[0][key] for key in common}
            for index, item in enumerate(actual):
                assert_shape(item, model, f"{where}[{index}]", exact=False)
    else:
        assert type(actual) is type(documented), f"{where}: {actual!r} is not like {documented!r}"


# -- import ------------------------------------------------------------------------------------


def sample_csv(tmp_path: Path) -> Path:
    """The sample response's two contacts, in the page's six columns."""
    path = tmp_path / "sample.csv"
    path.write_text(
        "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension\n"
        "john,doe,Mr,9876500001,+91,+\n"
        "jane,doe,Mrs,1234500002,+91,91\n"
    )
    return path


@pytest.mark.parametrize("sample", [docs.IMPORT_SEED, docs.IMPORT_BROWSER], ids=["seed", "browser"])
def test_the_import_sample_uploads_its_file_although_it_declares_json(
    sample: docs.Sample, server: Server, stream: str, dev_token: str, tmp_path: Path
) -> None:
    csv = sample_csv(tmp_path)
    fills = {
        "{{IID}}": stream,
        "63c7ebae6a2aef36de8fxxxx": DEV_ACCOUNT,
        "<token>": dev_token,
        "/home/johnsmith/Documents/john/sample.csv": str(csv),
    }
    if sample is docs.IMPORT_BROWSER:
        fills |= {"%xxxxx'": "%7D'", "84573c68xxxx": "84573c680001"}
    answer = run_sample(sample, server, fills, tmp_path)
    # what the issue is about: curl keeps the declared JSON type and adds the form's boundary
    assert "content-type: application/json;charset=utf-8; boundary=" in answer.trace.lower()
    created = assert_succeeds_as_documented(answer, sample)
    assert [(c["fullName"], c["salutation"]) for c in created] == [
        ("john doe", "Mr"),
        ("jane doe", "Mrs"),
    ]
    assert [c["cellPhone"] for c in created] == [
        {"phoneNumber": "+919876500001", "countryCode": "+91", "extension": "+"},
        {"phoneNumber": "+911234500002", "countryCode": "+91", "extension": "91"},
    ]
    assert {c["status"] for c in created} == {"ACTIVE"}
    assert {c["accountId"] for c in created} == {DEV_ACCOUNT}
    assert answer.headers["X-Mock-Rejected-Rows"] == "0"
    assert [c["id"] for c in server.listed(stream, DEV_ACCOUNT, dev_token)] == [
        c["id"] for c in created
    ]


# -- create ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", [docs.CREATE, docs.CREATE_OLDER], ids=["page", "older"])
def test_the_create_sample_creates_its_contact(
    sample: docs.Sample, server: Server, stream: str, tmp_path: Path
) -> None:
    token = create_token(server)
    fills = {
        "{{streamId}}": stream,
        "{jwt-code}": token,
        "98765xxxxx": "9876500003",
    }
    answer = run_sample(sample, server, fills, tmp_path)
    [contact] = assert_succeeds_as_documented(answer, sample)
    assert contact["fullName"] == "John Doe" and contact["salutation"] == "Mr"
    assert contact["cellPhone"] == {
        "phoneNumber": "+919876500003",
        "countryCode": "+91",
        "extension": "+",
    }
    assert contact["status"] == "ACTIVE" and contact["accountId"] == CREATE_ACCOUNT
    assert contact["instanceBotId"] == stream
    assert [c["id"] for c in server.listed(stream, CREATE_ACCOUNT, token)] == [contact["id"]]


_create_tokens: dict[str, str] = {}


def create_token(server: Server) -> str:
    """The create page's account gets one app per server; both create tests use it."""
    if server.url not in _create_tokens:
        _create_tokens[server.url] = server.add_app(CREATE_ACCOUNT)
    return _create_tokens[server.url]


# -- list --------------------------------------------------------------------------------------


def test_the_list_sample_lists_the_stream_with_a_json_content_type_and_no_body(
    server: Server, stream: str, dev_token: str, tmp_path: Path
) -> None:
    ids = server.create(stream, DEV_ACCOUNT, dev_token, ["9550100004", "2445600005"])
    fills = {"{{streamId}}": stream, "{{accountId}}": DEV_ACCOUNT, "{{jwt_token}}": dev_token}
    answer = run_sample(docs.LIST, server, fills, tmp_path)
    page = assert_succeeds_as_documented(answer, docs.LIST)
    assert [c["id"] for c in page["results"]] == ids
    assert (page["skip"], page["limit"], page["hasMore"]) == (0, 10, False)
    assert (page["totalPages"], page["totalResults"]) == (1, 2)


# -- update ------------------------------------------------------------------------------------


def test_the_update_sample_updates_the_contact_made_first(
    server: Server, stream: str, tmp_path: Path
) -> None:
    token = server.add_app(UPDATE_ACCOUNT)
    [contact_id] = server.create(stream, UPDATE_ACCOUNT, token, ["9550100006"])
    fills = {
        "{{streamId}}": stream,
        "{{id}}": contact_id,
        "65f7d49a5dd06e2cefaxxxxx": UPDATE_ACCOUNT,
        "{{jwt_token}}": token,
        "95501xxxxx": "9550100007",
    }
    answer = run_sample(docs.UPDATE, server, fills, tmp_path)
    contact = assert_succeeds_as_documented(answer, docs.UPDATE)
    assert contact["id"] == contact_id and contact["fullName"] == "john doe"
    assert contact["salutation"] == "mr"
    assert contact["cellPhone"] == {
        "phoneNumber": "+919550100007",
        "countryCode": "+91",
        "extension": "+",
    }
    assert server.listed(stream, UPDATE_ACCOUNT, token) == [contact]


# -- bulk update -------------------------------------------------------------------------------


def test_the_bulk_update_sample_updates_both_contacts_although_it_sends_full_names(
    server: Server, stream: str, dev_token: str, tmp_path: Path
) -> None:
    first, second = server.create(stream, DEV_ACCOUNT, dev_token, ["9550100008", "9550100009"])
    fills = {
        "{{streamId}}": stream,
        "{{accountId}}": DEV_ACCOUNT,
        "{{jwt_token}}": dev_token,
        "6964af60450340957c6xxxxx": first,
        "6964af806fc554153c0xxxxx": second,
        '"24456xxxxx"': '"2445600010"',
        '"244567xxxxx"': '"24456700011"',
    }
    answer = run_sample(docs.BULK_UPDATE, server, fills, tmp_path)
    outcome = assert_succeeds_as_documented(answer, docs.BULK_UPDATE)
    assert (outcome["totalRequested"], outcome["successful"], outcome["failed"]) == (2, 2, 0)
    assert outcome["failedRecords"] == []
    records = outcome["successfulRecords"]
    assert [(r["id"], r["contact"]["_id"]) for r in records] == [(first, first), (second, second)]
    assert [r["contact"]["fullName"] for r in records] == ["john doee", "jane do"]
    assert [r["contact"]["cellPhone"]["phoneNumber"] for r in records] == [
        "+912445600010",
        "+9124456700011",
    ]
    listed = server.listed(stream, DEV_ACCOUNT, dev_token)
    assert [(c["id"], c["fullName"]) for c in listed] == [
        (first, "john doee"),
        (second, "jane do"),
    ]


# -- delete ------------------------------------------------------------------------------------


def test_the_delete_sample_soft_deletes_and_answers_like_the_page(
    server: Server, stream: str, dev_token: str, tmp_path: Path
) -> None:
    [contact_id] = server.create(stream, DEV_ACCOUNT, dev_token, ["2445600012"])
    fills = {
        "{{streamId}}": stream,
        "{{id}}": contact_id,
        "{{accountId}}": DEV_ACCOUNT,
        "{{jwt_token}}": dev_token,
    }
    answer = run_sample(docs.DELETE, server, fills, tmp_path)
    # exactly the sample's fields: the deleted contact shows no updatedBy / updatedByAId
    contact = assert_succeeds_as_documented(answer, docs.DELETE, exact=True)
    assert contact["id"] == contact_id and contact["status"] == "INACTIVE"
    assert server.listed(stream, DEV_ACCOUNT, dev_token) == []


# -- bulk delete -------------------------------------------------------------------------------


def test_the_bulk_delete_sample_deletes_both_ids(
    server: Server, stream: str, dev_token: str, tmp_path: Path
) -> None:
    first, second = server.create(stream, DEV_ACCOUNT, dev_token, ["2445600013", "2445600014"])
    fills = {
        "{{streamId}}": stream,
        "{{accountId}}": DEV_ACCOUNT,
        "{{jwt_token}}": dev_token,
        "6960cbe9b155d194e2fxxxxx": first,
        "6960cc07b155d194e2fxxxxx": second,
    }
    answer = run_sample(docs.BULK_DELETE, server, fills, tmp_path)
    outcome = assert_succeeds_as_documented(answer, docs.BULK_DELETE)
    assert (outcome["totalRequested"], outcome["successful"], outcome["failed"]) == (2, 2, 0)
    assert outcome["successfulRecords"] == [{"id": first}, {"id": second}]
    assert server.listed(stream, DEV_ACCOUNT, dev_token) == []
