"""Latency that looks like a real service's: log-normal delays and a trickled response body.

The log-normal check here has a generous bound (the median of 200 calls within 20 % of the one
set); bench/latency_bench.py measures it closely over HTTP.
"""

from __future__ import annotations

import json
import socket
import statistics
import time

import pytest
import requests

from mockserver.app import create_app
from mockserver.settings import DEV_APP, Settings
from mockserver.testing import kore_mock
from tests.conftest import STREAM, Api, base
from tests.control.conftest import Control
from tests.live import threaded_server

LOG_NORMAL = {"medianMs": 40, "sigma": 0.5}


@pytest.fixture
def memory_app():
    app = create_app(Settings(db=":memory:"))
    yield app
    app.extensions["kore_mock"].store.close()


@pytest.fixture
def control(memory_app) -> Control:
    return Control(memory_app.test_client())


@pytest.fixture
def api(memory_app) -> Api:
    return Api(memory_app.test_client())


def test_log_normal_latency_over_200_requests_has_about_the_median_set(control, api):
    def timed(calls: int) -> list[float]:  # the bare test client: no response checks inside
        elapsed = []
        for _ in range(calls):
            started = time.perf_counter()
            assert api.client.get(base(), headers=api.headers()).status_code == 200
            elapsed.append((time.perf_counter() - started) * 1000)
        return elapsed

    floor = statistics.median(timed(50))  # the call itself, on this machine, now
    answer = control.set_fault("listContacts", latencyLogNormal=LOG_NORMAL).get_json()
    assert answer == {"latencyLogNormal": LOG_NORMAL}
    measured = statistics.median(timed(200)) - floor
    assert 0.8 * 40 <= measured <= 1.2 * 40, f"median {measured:.1f} ms above {floor:.1f}, set 40"
    entries = control.get("/__mock__/journal?operation=listContacts&limit=200").get_json()
    drawn = [e["fault"]["latencyMs"] for e in entries["entries"]]
    assert len(drawn) == 200 and len(set(drawn)) > 150
    # a long tail: P(delay > 2 x median) = P(Z > ln 2 / 0.5) = 8.3 %
    assert 0.02 <= sum(d > 80 for d in drawn) / 200 <= 0.2


def test_log_normal_draws_are_capped(control, api):
    control.set_fault("listContacts", latencyLogNormal={"medianMs": 5, "sigma": 3, "maxMs": 20})
    for _ in range(30):
        api.list()
    entries = control.get("/__mock__/journal?limit=30").get_json()["entries"]
    assert max(e["fault"]["latencyMs"] for e in entries) <= 20


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"latencyLogNormal": LOG_NORMAL, "latencyMs": 10}, "give one kind of delay"),
        ({"latencyLogNormal": LOG_NORMAL, "latencyMaxMs": 50}, "give one kind of delay"),
        ({"latencyLogNormal": {"medianMs": 0, "sigma": 0.5}}, "medianMs"),
        ({"latencyLogNormal": {"medianMs": 10}}, "sigma"),
        ({"latencyLogNormal": {"medianMs": 50, "sigma": 1, "maxMs": 10}}, "maxMs"),
        ({"trickle": {"totalMs": 100}}, "chunks"),
        ({"trickle": {"totalMs": 100, "chunks": 0}}, "chunks"),
    ],
)
def test_a_bad_latency_fault_is_refused_and_changes_nothing(control, fault, message):
    response = control.set_fault("listContacts", **fault)
    assert response.status_code == 400
    assert message in response.get_json()["errors"][0]["msg"]
    assert control.get("/__mock__/faults").get_json() == {"faults": {}}


def raw_get(port: int, path: str, token: str) -> tuple[list[tuple[float, bytes]], float]:
    """A GET over a socket: every piece of the answer with when it arrived."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nauth: {token}\r\n"
        f"accountId: {DEV_APP.account_id}\r\nConnection: close\r\n\r\n"
    ).encode()
    pieces = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.perf_counter()
        sock.sendall(request)
        while chunk := sock.recv(65536):
            pieces.append((time.perf_counter() - started, chunk))
    return pieces, started


def test_trickle_sends_the_body_in_pieces_over_the_time_set(memory_app, control, api):
    control.set_fault("listContacts", trickle={"totalMs": 800, "chunks": 4})
    with threaded_server(memory_app) as url:
        port = int(url.rsplit(":", 1)[1])
        pieces, _ = raw_get(port, base(STREAM) + "?limit=10", api.token)
    raw = b"".join(chunk for _, chunk in pieces)
    head, body = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200")
    length = int(
        next(line for line in head.split(b"\r\n") if line.startswith(b"Content-Length")).split(
            b":"
        )[1]
    )
    assert len(body) == length and json.loads(body)["totalResults"] == 0
    first, last = pieces[0][0], pieces[-1][0]
    assert first >= 0.15  # status and headers wait for the first piece (800 / 4 ms)
    assert last >= 0.75
    arrivals = [t for t, chunk in pieces if chunk]
    assert len(arrivals) >= 3  # TCP may merge two, never all: they are 200 ms apart
    entry = control.get("/__mock__/journal?limit=1").get_json()["entries"][0]
    assert entry["fault"] == {"trickle": {"totalMs": 800, "chunks": 4}}


def test_a_trickle_with_more_chunks_than_bytes_still_ends_at_its_total(memory_app, control, api):
    # a 96-byte body in 1,000 slots of 0.5 ms: the pauses' overshoots added up to ~750 ms
    control.set_fault("listContacts", trickle={"totalMs": 500, "chunks": 1000})
    with threaded_server(memory_app) as url:
        port = int(url.rsplit(":", 1)[1])
        pieces, _ = raw_get(port, base(STREAM) + "?limit=10", api.token)
    first, last = pieces[0][0], pieces[-1][0]
    assert first >= 0.3 and 0.48 <= last < 0.68


def test_trickle_paces_an_injected_error_as_well(control, api):
    control.set_fault("listContacts", errorStatus=503, trickle={"totalMs": 300, "chunks": 3})
    started = time.perf_counter()
    response = api.client.get(base(), headers=api.headers())
    assert response.status_code == 503 and response.get_json()["errors"][0]["code"] == 503
    assert time.perf_counter() - started >= 0.29


def test_the_fixture_sets_log_normal_and_trickle_faults_and_checks_them():
    with kore_mock() as kore:
        kore.set_fault("listContacts", latencyLogNormal={"medianMs": 30, "sigma": 0.2})
        kore.set_fault("createContacts", trickle={"totalMs": 200, "chunks": 2})
        with pytest.raises(ValueError, match="sigma"):
            kore.set_fault("listContacts", latencyLogNormal={"medianMs": 30, "sigma": 9})
        started = time.perf_counter()
        answer = requests.get(kore.contacts_url, headers=kore.headers(), timeout=10)
        assert answer.status_code == 200
        assert time.perf_counter() - started >= 0.015


@pytest.mark.parametrize("scope", ["", f"?clientId={DEV_APP.client_id}"])
def test_a_trickle_of_1_0_chunks_trickles_the_answer(control, api, scope):
    # 1.0 passed the schema as an integer and then broke the pacing: 500 and a 200 journaled
    control.put(f"/__mock__/faults/*{scope}", json={"trickle": {"totalMs": 10.0, "chunks": 1.0}})
    response = api.client.get(base() + "?limit=1", headers=api.headers())
    assert response.status_code == 200 and response.get_json()["totalResults"] == 0
    entry = control.get("/__mock__/journal?limit=1").get_json()["entries"][0]
    assert entry["status"] == 200
    assert repr(entry["fault"]["trickle"]) == "{'totalMs': 10, 'chunks': 1}"
