"""Limits and safe defaults of `kore-mock serve`, end to end: the settings file's `limits:` apply
over HTTP, the server binds loopback unless told otherwise, and no client secret or token ever
reaches the server's output or the request journal."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mockserver.auth import mint_token
from mockserver.settings import App, Limits, Settings, from_dict
from mockserver.spec import API_PREFIX
from tests.hostile.live import LiveServer, raw_exchange, request_head

SECRET = "s3cr3t-of-the-limits-test-app-0123456789"
APP = App("cs-limits", SECRET, "bbbbbbbbbbbbbbbbbbbbbbbb", name="limits test app")
LIMITS = {"maxUploadBytes": 200_000, "maxImportRows": 3, "maxJsonItems": 2, "maxJsonBytes": 4096}
HEADER = "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    settings = {"apps": [APP.to_dict(with_secret=True)], "limits": LIMITS}
    live = LiveServer(tmp_path_factory.mktemp("limits"), settings)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def token() -> str:
    return mint_token(APP)


def contacts_url(server: LiveServer, stream: str = "st-limits") -> str:
    return f"{server.url}{API_PREFIX}/{stream}/contacts"


def headers(token: str) -> dict[str, str]:
    return {"auth": token, "accountId": APP.account_id}


def rows(count: int, first: int = 9800000000) -> str:
    return "\n".join([HEADER, *(f"a,b,Mr,{first + i},+91," for i in range(count))]) + "\n"


def item(number: int) -> dict:
    return {
        "firstName": "a",
        "lastName": "b",
        "salutation": "",
        "cellPhone": {"phoneNumber": str(number), "countryCode": "+91", "extension": ""},
    }


def error(response: requests.Response) -> str:
    return response.json()["errors"][0]["msg"]


def test_default_limits_are_the_documented_ones():
    assert Settings().limits == Limits(
        max_upload_bytes=32 * 1024 * 1024,
        max_import_rows=200_000,
        max_json_items=1000,
        max_json_bytes=2 * 1024 * 1024,
    )
    assert from_dict({"limits": {"maxJsonItems": 5}}).limits == Limits(max_json_items=5)


def test_settings_file_limits_apply_over_http(server, token):
    url, auth = contacts_url(server), headers(token)
    upload = requests.post(
        url + "/import-contacts",
        headers=auth,
        files={"result_file": ("c.csv", "x" * 200_001, "text/csv")},
        timeout=30,
    )
    assert upload.status_code == 413 and "200000 bytes" in error(upload)

    too_many_rows = requests.post(
        url + "/import-contacts",
        headers=auth,
        files={"result_file": ("c.csv", rows(4))},
        timeout=30,
    )
    assert too_many_rows.status_code == 413 and "more than 3 data rows" in error(too_many_rows)
    at_the_limit = requests.post(
        url + "/import-contacts",
        headers=auth,
        files={"result_file": ("c.csv", rows(3))},
        timeout=30,
    )
    assert at_the_limit.status_code == 200 and len(at_the_limit.json()) == 3

    too_many_items = requests.post(
        url, headers=auth, json=[item(9700000000 + i) for i in range(3)], timeout=30
    )
    assert too_many_items.status_code == 413 and "at most 2" in error(too_many_items)
    two = requests.post(
        url, headers=auth, json=[item(9700000000 + i) for i in range(2)], timeout=30
    )
    assert two.status_code == 200

    big = requests.post(
        url, headers=auth, json=[{**item(9700000009), "firstName": "a" * 5000}], timeout=30
    )
    assert big.status_code == 413 and "4096" in error(big)
    stored = requests.get(url + "?limit=100", headers=auth, timeout=30).json()["results"]
    assert len(stored) == 5

    # bulk update and bulk delete take at most maxJsonItems items too, and change nothing over it
    ids = [c["id"] for c in stored[:3]]
    renamed = [{"id": i, "firstName": "Renamed"} for i in ids]
    over = requests.put(url + "/bulk-update", headers=auth, json=renamed, timeout=30)
    assert over.status_code == 413 and "at most 2" in error(over)
    gone = requests.delete(url + "/bulk-delete", headers=auth, json={"ids": ids}, timeout=30)
    assert gone.status_code == 413 and "at most 2" in error(gone)
    after = requests.get(url + "?limit=100", headers=auth, timeout=30).json()["results"]
    assert after == stored


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the LISTEN sockets on ``port``, from /proc/net/tcp and tcp6."""
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def test_serve_binds_loopback_unless_told_otherwise(server):
    assert Settings().host == "127.0.0.1"
    assert server.host == "127.0.0.1"
    assert listening_addresses(server.port) == {"127.0.0.1"}


def test_serve_binds_the_address_it_is_told(tmp_path):
    live = LiveServer(tmp_path, {}, args=("--host", "127.0.0.2"))
    try:
        assert listening_addresses(live.port) == {"127.0.0.2"}
        assert requests.get(live.url + "/__mock__/health", timeout=5).status_code == 200
    finally:
        live.stop()


def test_secrets_and_tokens_never_reach_the_server_output_or_the_journal(server, token):
    url, auth = contacts_url(server, "st-secrets"), headers(token)
    forged = mint_token(App(APP.client_id, "not-" + SECRET, APP.account_id))
    requests.get(url, headers=auth, timeout=10).raise_for_status()
    requests.post(url, headers=auth, json=[item(9600000000)], timeout=10).raise_for_status()
    assert requests.get(url, headers=headers(forged), timeout=10).status_code == 401
    assert requests.get(url + f"?auth={token}&skip=0", headers=auth, timeout=10).status_code == 200
    assert requests.get(url, headers={**auth, "accountId": token}, timeout=10).status_code == 412
    # refused by gunicorn itself: a header line that carries the token, then a NUL byte
    head = request_head(
        "GET",
        f"{API_PREFIX}/st-secrets/contacts",
        [("auth", token.encode() + b"\x00"), ("accountId", APP.account_id)],
        host=f"127.0.0.1:{server.port}",
    )
    assert raw_exchange(server.port, head).status == 400

    journal = requests.get(server.url + "/__mock__/journal?limit=1000", timeout=10).json()
    written = json.dumps(journal) + server.output
    assert journal["entries"], "the journal recorded the requests"
    for secret in (SECRET, token, forged, *token.split(".")[1:], *forged.split(".")[1:]):
        assert secret not in written
    assert "auth=REDACTED&skip=0" in json.dumps(journal)
