"""Slow and abusive clients against `kore-mock serve --workers 1` (4 threads), over loopback.

64 clients hold connections open and trickle their requests — half of them the headers, half
the body after complete headers — while a normal client goes on working. Each slow client ends
with 408 in Kore's envelope, nothing of theirs is stored or journaled, the normal client's
requests all succeed, and the server's memory returns to where it was. A flood of requests
beyond the queue is answered 503 with Retry-After, and once it stops everything succeeds.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from mockserver.auth import mint_token
from mockserver.settings import DEV_APP, DEV_STREAM_ID
from mockserver.spec import API_PREFIX
from mockserver.store import open_store
from tests.hostile.live import LiveServer, read_response, request_head
from tests.server_process import ServerProcess

TOKEN = mint_token(DEV_APP)
ACCOUNT = DEV_APP.account_id
HEADERS = {"auth": TOKEN, "accountId": ACCOUNT}
SLOW = 64
HEADERS_TIMEOUT = 3  # s, the server's deadline for a head in these tests
GRACE = 3  # s before a body must reach the minimum rate
TRICKLE_EVERY = 0.1  # s between two bytes of a slow client
GIVE_UP = 30  # s: a slow client still unanswered by then has failed the test
BOUNDARY = "kore-slow"


def upload_body(number: str) -> bytes:
    csv = (
        "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension\r\n"
        f"slow,client,Mr,{number},+1,\r\n"
    )
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="result_file"; filename="c.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        f"{csv}\r\n--{BOUNDARY}--\r\n"
    ).encode()


class SlowClient:
    """One connection whose request (a valid import) goes out a byte every TRICKLE_EVERY s:
    from its first byte (``trickle="headers"``), or after headers sent at once (``"body"``)."""

    def __init__(self, port: int, index: int, trickle: str) -> None:
        self.stream = f"st-slow-client-{index:03d}"
        body = upload_body(f"2{index:02d}5550{100 + index:03d}")
        head = request_head(
            "POST",
            f"{API_PREFIX}/{self.stream}/contacts/import-contacts",
            [
                ("auth", TOKEN),
                ("accountId", ACCOUNT),
                ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),
                ("Content-Length", str(len(body))),
            ],
            host=f"127.0.0.1:{port}",
        )
        self.trickle = trickle
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        if trickle == "body":
            self._send_all(head)
            self.pending = body
        else:
            self.pending = head + body
        self.answer = b""
        self.closed = False

    def _send_all(self, data: bytes) -> None:
        self.sock.setblocking(True)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def tick(self) -> None:
        """Send one more byte (never the last: the request must not complete)."""
        if self.closed or len(self.pending) <= 1:
            return
        try:
            self.sock.send(self.pending[:1])
            self.pending = self.pending[1:]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.read()

    def read(self) -> None:
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self.closed = True
                self.sock.close()
                return
            self.answer += data

    @property
    def status(self) -> int | None:
        if not self.answer.startswith(b"HTTP/1.1 "):
            return None
        return int(self.answer.split(b" ", 2)[1])

    def envelope(self) -> dict:
        return json.loads(self.answer.partition(b"\r\n\r\n")[2])


def trickle(clients: list[SlowClient]) -> None:
    """Keep every slow client trickling until the server has answered and closed each one."""
    selector = selectors.DefaultSelector()
    for client in clients:
        selector.register(client.sock, selectors.EVENT_READ, client)
    deadline = time.monotonic() + GIVE_UP
    while any(not c.closed for c in clients) and time.monotonic() < deadline:
        for key, _ in selector.select(TRICKLE_EVERY):
            client = key.data
            client.read()
            if client.closed:
                selector.unregister(key.fileobj)
        for client in clients:
            client.tick()
    selector.close()
    for client in clients:
        if not client.closed:
            client.sock.close()


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (the gunicorn master and its worker)."""
    pids = [pid] + [
        int(entry)
        for entry in os.listdir("/proc")
        if entry.isdigit() and _parent(int(entry)) == pid
    ]
    total = 0
    for each in pids:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        total += int(
            next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]
        )
    return total


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


class NormalClient(threading.Thread):
    """Lists, creates and imports in a loop until told to stop; records every answer."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.contacts = f"{url}{API_PREFIX}/{DEV_STREAM_ID}/contacts"
        self.session = requests.Session()
        self.session.headers.update(HEADERS)
        self.stop = threading.Event()
        self.statuses: Counter[int | str] = Counter()
        self.during: list[float] = []  # when each answer arrived

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                if n % 5 == 0:
                    number = f"30{n % 10}5550{100 + n % 100:03d}"
                    response = self.session.post(
                        self.contacts,
                        json=[
                            {
                                "firstName": "normal",
                                "lastName": f"n{n}",
                                "salutation": "Mr",
                                "cellPhone": {
                                    "phoneNumber": number,
                                    "countryCode": "+1",
                                    "extension": "",
                                },
                            }
                        ],
                        timeout=10,
                    )
                else:
                    response = self.session.get(self.contacts, timeout=10)
                self.statuses[response.status_code] += 1
            except requests.RequestException as exc:
                self.statuses[type(exc).__name__] += 1
            self.during.append(time.monotonic())
            time.sleep(0.02)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> LiveServer:
    settings = {
        "http": {"headersTimeout": HEADERS_TIMEOUT, "bodyGracePeriod": GRACE, "bodyMinRate": 1024}
    }
    live = LiveServer(tmp_path_factory.mktemp("slow-clients"), settings, workers=1)
    yield live
    live.stop()


def test_64_slow_clients_get_408_while_a_normal_client_goes_on_being_answered(server):
    normal = NormalClient(server.url)
    normal.start()
    try:
        warm_up = [SlowClient(server.port, 900, "headers"), SlowClient(server.port, 901, "body")]
        trickle(warm_up)  # the 408 paths have run once before memory is measured
        time.sleep(0.5)
        before = rss_kib(server.process.pid)
        floor_began = time.monotonic()
        time.sleep(2)  # the normal client's pace with no slow client: the floor
        floor_ended = time.monotonic()

        clients = [SlowClient(server.port, i, "headers" if i % 2 else "body") for i in range(SLOW)]
        began = time.monotonic()
        trickle(clients)
        ended = time.monotonic()
        time.sleep(0.5)
        after = rss_kib(server.process.pid)
    finally:
        normal.stop.set()
        normal.join(15)

    # every slow client was answered 408 in Kore's envelope, then its connection closed
    for client in clients:
        assert client.closed, f"{client.trickle}-trickling client never answered"
        assert client.status == 408, (client.trickle, client.answer[:300])
        body = client.envelope()
        assert body["errors"][0]["code"] == 408
        wanted = "headers must arrive" if client.trickle == "headers" else "too slowly"
        assert wanted in body["errors"][0]["msg"]
    # ... not before the deadline it was given
    assert ended - began >= min(HEADERS_TIMEOUT, GRACE)

    # the normal client was answered all along: every request succeeded, and while the 64
    # were connected it went at least a quarter of its own pace without them (same test)
    assert set(normal.statuses) == {200}, normal.statuses
    floor = sum(floor_began <= t <= floor_ended for t in normal.during) / (
        floor_ended - floor_began
    )
    meanwhile = [t for t in normal.during if began <= t <= ended]
    assert meanwhile and len(meanwhile) / (ended - began) >= floor / 4, (len(meanwhile), floor)

    # nothing of the slow clients' requests is stored or journaled
    store = open_store(server.db)
    try:
        streams = {n["streamId"] for n in store.namespaces()}
    finally:
        store.close()
    assert not [s for s in streams if s.startswith("st-slow-client")]
    journal = requests.get(f"{server.url}/__mock__/journal?limit=1000", timeout=10).json()
    assert not [e for e in journal["entries"] if "st-slow-client" in e["path"]]

    # the server's memory is back where it was (allocator noise aside)
    assert after <= before + 2048, f"RSS {before} KiB before, {after} KiB after"
    print(
        f"\nslow clients: RSS {before} KiB before, {after} KiB after; normal client "
        f"{floor:.0f}/s alone, {len(meanwhile) / (ended - began):.0f}/s with the 64 connected"
    )


QUEUE = 4  # maxQueuedRequests of the overload server
FLOOD = 40


@pytest.fixture(scope="module")
def small_queue(tmp_path_factory) -> LiveServer:
    settings = {"http": {"maxQueuedRequests": QUEUE, "retryAfter": 2}}
    live = LiveServer(tmp_path_factory.mktemp("overload"), settings, workers=1)
    yield live
    live.stop()


def test_a_flood_past_the_queue_gets_503_with_retry_after_and_then_everything_succeeds(
    small_queue,
):
    contacts = f"{small_queue.url}{API_PREFIX}/{DEV_STREAM_ID}/contacts"
    faults = f"{small_queue.url}/__mock__/faults/listContacts"
    requests.put(faults, json={"latencyMs": 500}, timeout=10).raise_for_status()
    barrier = threading.Barrier(FLOOD)

    def one(_: int) -> requests.Response:
        barrier.wait(30)
        return requests.get(contacts, headers=HEADERS, timeout=60)

    with ThreadPoolExecutor(FLOOD) as pool:
        answers = list(pool.map(one, range(FLOOD)))
    statuses = Counter(r.status_code for r in answers)
    print(f"\nflood of {FLOOD} against a queue of {QUEUE}: {dict(statuses)}")
    assert set(statuses) <= {200, 503}, statuses  # no other 5xx, nothing lost
    assert statuses[503] >= FLOOD - 4 - QUEUE - 2, statuses  # 4 threads + the queue, roughly
    assert statuses[200] >= 4, statuses
    for refused in (r for r in answers if r.status_code == 503):
        assert refused.headers["Retry-After"] == "2"
        assert refused.json() == {
            "errors": [
                {
                    "msg": "The server is busy: too many requests are waiting. Retry after 2 s.",
                    "code": 503,
                }
            ]
        }

    requests.delete(faults, timeout=10).raise_for_status()
    session = requests.Session()
    session.headers.update(HEADERS)
    assert all(session.get(contacts, timeout=10).status_code == 200 for _ in range(20))
    with ThreadPoolExecutor(4) as pool:  # as many clients at once as there are threads
        assert {r.status_code for r in pool.map(lambda _: session.get(contacts), range(30))} == {
            200
        }


SEND_TIMEOUT = 1  # s, the sendTimeout of the slow-reader server
EXPORTED = 15_000  # contacts: their JSON export (~9 MB) is more than socket buffers hold (~3 MB)


@pytest.fixture(scope="module")
def impatient(tmp_path_factory) -> LiveServer:
    live = LiveServer(
        tmp_path_factory.mktemp("slow-readers"), {"http": {"sendTimeout": SEND_TIMEOUT}}
    )
    yield live
    live.stop()


def test_clients_that_read_nothing_of_a_large_answer_are_cut_off_and_free_their_threads(
    impatient,
):
    ns = f"{impatient.url}/__mock__/namespaces/{ACCOUNT}/{DEV_STREAM_ID}"
    rows = "".join(f"big,r{i},Mr,{7000000000 + i},+91,\n" for i in range(EXPORTED))
    seeded = requests.post(
        ns + "/seed",
        data=(
            "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,"
            "cellPhoneExtension\n" + rows
        ).encode(),
        headers={"Content-Type": "text/csv"},
        timeout=120,
    )
    assert seeded.json()["createdCount"] == EXPORTED
    whole = len(requests.get(ns + "/export?format=json", timeout=120).content)
    whole = len(requests.get(ns + "/export?format=json", timeout=120).content)
    head = request_head(
        "GET",
        f"/__mock__/namespaces/{ACCOUNT}/{DEV_STREAM_ID}/export?format=json",
        [],
        host=f"127.0.0.1:{impatient.port}",
    )
    readers = []
    for _ in range(4):  # as many as the worker has threads
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", impatient.port))
        sock.sendall(head)
        readers.append(sock)
    try:
        cut = f"it read none of its answer for {SEND_TIMEOUT:g} s"
        deadline = time.monotonic() + 120
        while impatient.output.count(cut) < len(readers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert impatient.output.count(cut) == len(readers), impatient.output[-2000:]
        # every thread had been writing to a client that reads nothing: sendTimeout gave them back
        listed = requests.get(
            f"{impatient.url}{API_PREFIX}/{DEV_STREAM_ID}/contacts", headers=HEADERS, timeout=60
        )
        assert listed.status_code == 200
        # ... and those clients got part of their answer, then the connection was closed
        for sock in readers:
            sock.settimeout(30)
            received = 0
            while chunk := _recv_or_reset(sock):
                received += len(chunk)
            assert 0 < received < whole, (received, whole)
    finally:
        for sock in readers:
            sock.close()


def test_clients_that_read_nothing_do_not_hold_up_the_others_for_their_send_timeout(server):
    """More clients than the worker has threads pipeline requests and read none of the answers:
    every thread waited on one of them for sendTimeout (30 s), every other request with it."""
    one = f"GET /{'n' * 4000} HTTP/1.1\r\nHost: x\r\n\r\n".encode()  # a 404 echoing it
    hogs = []
    for _ in range(6):  # the worker has 4 threads
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.send(one * 1500)  # ~6 MB: as much as the kernel takes
        hogs.append(sock)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until the server reads no more of any hog's
            time.sleep(0.5)  # requests: its answers fill the buffers, its thread waits
            taken = 0
            for sock in hogs:
                with contextlib.suppress(BlockingIOError):
                    taken += sock.send(one * 16)
            if not taken:
                break
        started = time.monotonic()
        listed = requests.get(
            f"{server.url}{API_PREFIX}/{DEV_STREAM_ID}/contacts", headers=HEADERS, timeout=60
        )
        assert listed.status_code == 200
        assert time.monotonic() - started < 5
    finally:
        for sock in hogs:
            sock.close()


def _recv_or_reset(sock: socket.socket) -> bytes:
    try:
        return sock.recv(1 << 20)
    except ConnectionResetError:
        return b""


def _import_head(port: int, stream: str, length: int | None, *extra: tuple[str, str]) -> bytes:
    framing = [("Content-Length", str(length))] if length is not None else []
    return request_head(
        "POST",
        f"{API_PREFIX}/{stream}/contacts/import-contacts",
        [
            ("auth", TOKEN),
            ("accountId", ACCOUNT),
            ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),
            *framing,
            *extra,
        ],
        host=f"127.0.0.1:{port}",
    )


def test_pipelined_requests_on_one_connection_are_all_answered_in_order(server):
    body = upload_body("2125550199")
    host = f"127.0.0.1:{server.port}"
    pipelined = (
        _import_head(server.port, "st-pipelined", len(body))
        + body
        + request_head(
            "GET", f"{API_PREFIX}/st-pipelined/contacts", list(HEADERS.items()), host=host
        )
        + request_head(
            "GET",
            f"{API_PREFIX}/st-pipelined/contacts?limit=1",
            [*HEADERS.items(), ("Connection", "close")],
            host=host,
        )
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(pipelined)  # all three at once, in one segment
        answers = b""
        while chunk := sock.recv(65536):
            answers += chunk
    assert answers.count(b"HTTP/1.1 200 OK\r\n") == 3, answers[:500]
    assert answers.count(b'"phoneNumber":"+12125550199"') == 3  # imported, then listed twice


def test_chunked_and_expect_100_continue_uploads_are_read_whole_and_imported(server):
    chunked_body = upload_body("2135550199")
    pieces = [chunked_body[i : i + 50] for i in range(0, len(chunked_body), 50)]
    response = requests.post(
        f"{server.url}{API_PREFIX}/st-chunked-ok/contacts/import-contacts",
        headers={**HEADERS, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        data=iter(pieces),  # a generator: requests sends it chunked
        timeout=30,
    )
    assert response.status_code == 200 and len(response.json()) == 1

    body = upload_body("2145550199")
    head = _import_head(server.port, "st-continue", len(body), ("Expect", "100-continue"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head)
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"  # before any body byte
        sock.sendall(body)
        answer = read_response(sock)
    assert answer.status == 200 and len(answer.json()) == 1


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(server):
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=HEADERS_TIMEOUT * 10) as sock:
        assert sock.recv(65536) == b""
    assert time.monotonic() - began >= HEADERS_TIMEOUT - 0.5  # not before its deadline


BUDGET = 300_000  # maxBufferedBytes of the budget server (its largest body: 200,000)


@pytest.fixture(scope="module")
def small_budget(tmp_path_factory) -> LiveServer:
    settings = {
        "http": {"maxBufferedBytes": BUDGET, "headersTimeout": 30, "bodyGracePeriod": 30},
        "limits": {"maxUploadBytes": 200_000, "maxJsonBytes": 100_000},
    }
    live = LiveServer(tmp_path_factory.mktemp("budget"), settings, workers=1)
    yield live
    live.stop()


def test_bodies_past_the_buffer_budget_get_503_before_a_byte_of_them_is_read(small_budget):
    port = small_budget.port
    holding = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        # an upload that announces 200,000 bytes and sends a few: 200,000 of the budget held
        holding.sendall(_import_head(port, "st-budget-a", 200_000) + b"--kore")
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as second:
            second.sendall(_import_head(port, "st-budget-b", 150_000))  # would pass 300,000
            refused = read_response(second)
        assert refused.status == 503 and refused.headers["retry-after"] == "1"
        assert "too many request bodies" in refused.json()["errors"][0]["msg"]
        # requests without a body, and bodies that fit, go on
        small = upload_body("2155550199")
        assert requests.get(f"{small_budget.url}/__mock__/health", timeout=10).status_code == 200
        fits = requests.post(
            f"{small_budget.url}{API_PREFIX}/st-budget-c/contacts/import-contacts",
            headers={**HEADERS, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            data=small,
            timeout=30,
        )
        assert fits.status_code == 200
    finally:
        holding.close()
    # the held upload's bytes are given back when its client leaves
    time.sleep(0.5)
    body = upload_body("2165550199").ljust(150_000, b"\n")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as third:
        third.sendall(_import_head(port, "st-budget-d", len(body)) + body)
        assert read_response(third).status != 503


def _slow_lists(tmp_path: Path, latency_ms: int) -> tuple[ServerProcess, str]:
    """A one-worker server whose list answers wait ``latency_ms`` (a fault), and its list URL."""
    server = ServerProcess(str(tmp_path / "stop.db"), tmp_path, workers=1).start()
    faults = f"{server.url}/__mock__/faults/listContacts"
    requests.put(faults, json={"latencyMs": latency_ms}, timeout=10).raise_for_status()
    return server, f"{server.url}{API_PREFIX}/{DEV_STREAM_ID}/contacts"


def _timed_stop(server: ServerProcess) -> float:
    """Seconds a graceful stop (SIGTERM) of ``server`` took; killed if it did not end."""
    started = time.monotonic()
    try:
        server.stop()
        return time.monotonic() - started
    finally:
        if server.process.poll() is None:
            server.kill()


def test_an_open_connection_that_sent_nothing_does_not_hold_up_a_stop(tmp_path):
    # it held the graceful stop for the headers timeout (10 s): docker stop's grace, then SIGKILL
    server = ServerProcess(str(tmp_path / "stop.db"), tmp_path, workers=1).start()
    silent = socket.create_connection(("127.0.0.1", server.port))
    kept_alive = requests.Session()
    try:
        assert kept_alive.get(server.url + "/__mock__/health").status_code == 200
        time.sleep(0.3)  # the worker has accepted the silent connection
        assert _timed_stop(server) < 5
    finally:
        if server.process.poll() is None:
            server.kill()
        silent.close()
        kept_alive.close()


def test_connections_part_way_through_a_request_do_not_hold_up_a_stop_but_a_request_served_does(
    tmp_path,
):
    # a half-sent head or an upload still arriving held the stop for its deadline: `docker stop`
    # with one in flight ended in SIGKILL after 10 s (exit 137)
    server, contacts = _slow_lists(tmp_path, 2000)
    half_head = socket.create_connection(("127.0.0.1", server.port))
    half_head.sendall(b"GET /__mock__/health HTTP/1.1\r\nHo")
    uploading = socket.create_connection(("127.0.0.1", server.port))
    uploading.sendall(_import_head(server.port, "st-stop-upload", 10_000) + b"--x" * 100)
    with ThreadPoolExecutor(1) as pool:
        served = pool.submit(requests.get, contacts, headers=HEADERS, timeout=30)
        time.sleep(0.5)  # the worker has read all three and is serving the list
        took = _timed_stop(server)
        assert served.result().status_code == 200  # given the rest of the grace
    assert took < 5, f"the stop took {took:.1f} s"
    assert server.process.returncode == 0, server.output()
    for sock in (half_head, uploading):
        assert _recv_or_reset(sock) == b""  # dropped without an answer
        sock.close()


def test_a_request_served_past_the_grace_ends_before_a_container_runtime_kills_the_server(
    tmp_path,
):
    # graceful_timeout was 10 s, docker's and podman's stop timeout: SIGKILL came first
    server, contacts = _slow_lists(tmp_path, 30_000)
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(requests.get, contacts, headers=HEADERS, timeout=60)
        time.sleep(0.5)
        took = _timed_stop(server)
        with pytest.raises(requests.RequestException):
            held.result()
    assert took < 9.5, f"the stop took {took:.1f} s"
    assert server.process.returncode == 0, server.output()


def test_a_stop_after_a_request_that_waited_is_prompt(tmp_path):
    # a request that waits (a latency fault, the proxy's call to its host) passes the event loop
    # to another thread, and the main thread, which alone runs Python's signal handlers, then
    # followed without a timeout: SIGTERM was handled when the arbiter killed the worker, 8 s on
    server, contacts = _slow_lists(tmp_path, 200)
    try:
        assert requests.get(contacts, headers=HEADERS, timeout=30).status_code == 200
        time.sleep(0.5)
        took = _timed_stop(server)
    finally:
        if server.process.poll() is None:
            server.kill()
    assert took < 4, f"the stop took {took:.1f} s"
    assert server.process.returncode == 0, server.output()


def test_a_snapshot_larger_than_the_buffer_budget_loads_on_an_idle_server(small_budget):
    """A body alone always fits (README: the budget is never below the largest body a route
    accepts): a snapshot past maxBufferedBytes is loaded, not told to retry a 503 forever."""
    url = f"http://127.0.0.1:{small_budget.port}/__mock__/snapshot"
    saved = requests.get(url, timeout=30).content.rstrip()
    body = saved[:-1] + b" " * (BUDGET + 100_000) + b"}"
    loaded = requests.put(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert loaded.status_code == 200, loaded.text[:300]


def test_the_next_request_on_a_kept_alive_connection_must_send_its_head_in_time_too(server):
    """A kept-alive connection's next request, begun and never finished, gets the same 408 after
    headersTimeout as a new connection's first one: it is not held open for ever."""
    host = f"127.0.0.1:{server.port}"
    with socket.create_connection(("127.0.0.1", server.port), timeout=HEADERS_TIMEOUT * 5) as sock:
        sock.sendall(request_head("GET", "/__mock__/health", [], host=host))
        assert read_response(sock).status == 200  # the connection is kept alive
        began = time.monotonic()
        sock.sendall(b"GET /__mock__/health HTTP/1.1\r\nHo")  # the next head, never finished
        answer = read_response(sock)
    took = time.monotonic() - began
    assert answer.status == 408
    assert "headers must arrive" in answer.json()["errors"][0]["msg"]
    assert took >= HEADERS_TIMEOUT - 0.5  # not before its deadline


def test_a_kept_alive_connection_left_idle_is_closed_by_the_server(server):
    """An answered keep-alive connection that sends nothing more is closed after the server's
    keep-alive time (5 s), without an answer: idle clients do not hold its connections for ever."""
    host = f"127.0.0.1:{server.port}"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request_head("GET", "/__mock__/health", [], host=host))
        answer = read_response(sock)
        assert answer.status == 200 and answer.headers["connection"] == "keep-alive"
        began = time.monotonic()
        assert _recv_or_reset(sock) == b""  # closed, nothing sent
    assert time.monotonic() - began < 20


def test_a_client_that_reads_nothing_is_cut_off_once_its_send_timeout_is_over(impatient):
    """sendTimeout (1 s here) is how long a write waits for a client that reads nothing: the
    connection is closed then, not some multiple of it later."""
    cut = f"it read none of its answer for {SEND_TIMEOUT:g} s"
    before = impatient.output.count(cut)
    one = f"GET /{'n' * 4000} HTTP/1.1\r\nHost: x\r\n\r\n".encode()  # a 404 echoing it
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", impatient.port))
    sock.setblocking(False)
    try:
        began = time.monotonic()
        with contextlib.suppress(BlockingIOError):
            sock.send(one * 1500)  # ~6 MB of requests; their answers fill every buffer
        while impatient.output.count(cut) == before and time.monotonic() - began < 30:
            time.sleep(0.1)
        took = time.monotonic() - began
    finally:
        sock.close()
    assert impatient.output.count(cut) > before, impatient.output[-2000:]
    assert took < SEND_TIMEOUT + 6, took


def test_a_body_gets_its_whole_grace_period_from_the_end_of_its_head(server):
    """The body's grace is counted from when the head ended, not from the connection: a client
    that took 2 s to send its head (within headersTimeout) still has GRACE seconds for its body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=GIVE_UP) as sock:
        time.sleep(HEADERS_TIMEOUT - 1)  # slow to begin, but the head is in time
        sock.sendall(_import_head(server.port, "st-late-head", 10_000) + b"--kore")
        began = time.monotonic()
        answer = read_response(sock)
    took = time.monotonic() - began
    assert answer.status == 408
    assert "too slowly" in answer.json()["errors"][0]["msg"]
    assert took >= GRACE - 0.5, took


def test_a_stalled_body_gets_its_408_after_the_body_grace_period_not_the_headers_timeout(tmp_path):
    """bodyGracePeriod is its own setting: a body that stops after its head gets 408 once the
    grace (2 s) is over, though the head's deadline (headersTimeout, 30 s) is far away."""
    settings = {"http": {"headersTimeout": 30, "bodyGracePeriod": 2, "bodyMinRate": 1024}}
    live = LiveServer(tmp_path, settings, workers=1)
    try:
        with socket.create_connection(("127.0.0.1", live.port), timeout=60) as sock:
            sock.sendall(_import_head(live.port, "st-grace", 10_000) + b"--kore")
            began = time.monotonic()
            answer = read_response(sock)
        took = time.monotonic() - began
    finally:
        live.stop()
    assert answer.status == 408
    assert "after 2 s it must average at least 1024 bytes" in answer.json()["errors"][0]["msg"]
    assert 1.5 <= took < 15, took


def test_at_most_max_queued_requests_wait_for_a_thread_and_the_next_one_gets_503(small_queue):
    """Requests sent one after another while every thread is held (a 5 s latency fault): the
    worker's 4 threads take 4, QUEUE more wait, and each one past them is answered 503 at once
    (README: a request that finds maxQueuedRequests others waiting -> 503)."""
    contacts = f"{small_queue.url}{API_PREFIX}/{DEV_STREAM_ID}/contacts"
    faults = f"{small_queue.url}/__mock__/faults/listContacts"
    requests.put(faults, json={"latencyMs": 5000}, timeout=10).raise_for_status()
    sent = 4 + QUEUE + 3
    answers: list = [None] * sent

    def one(i: int) -> None:
        answers[i] = requests.get(contacts, headers=HEADERS, timeout=60)

    try:
        threads = []
        for i in range(sent):  # in order, each read by the worker before the next is sent
            threads.append(threading.Thread(target=one, args=(i,)))
            threads[-1].start()
            time.sleep(0.2)
        for thread in threads:
            thread.join(60)
    finally:
        requests.delete(faults, timeout=10).raise_for_status()
    statuses = [a.status_code for a in answers]
    assert Counter(statuses) == {200: 4 + QUEUE, 503: 3}, statuses  # in whatever order they came
    assert all(a.headers["Retry-After"] == "2" for a in answers if a.status_code == 503)


def test_expect_100_continue_is_answered_once_and_then_the_answer_follows(server):
    """The event loop answers 'Expect: 100-continue' before the body; once the body is read
    the next thing on the wire is the final answer, not a second 100 Continue."""
    body = upload_body("2175550199")
    head = _import_head(
        server.port,
        "st-continue-once",
        len(body),
        ("Expect", "100-continue"),
        ("Connection", "close"),
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head)
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n"), rest[:200]


def test_a_body_refused_past_the_buffer_budget_as_it_arrives_gets_its_503_and_a_clean_close(
    small_budget,
):
    """Most clients send the body right behind the head: the 503 is written while its bytes are
    still arriving, and the connection drains them before it closes (RFC 9112 9.6), so the client
    reads its answer and then an orderly end, not a connection reset."""
    port = small_budget.port
    holding = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        holding.sendall(_import_head(port, "st-budget-e", 200_000) + b"--kore")
        time.sleep(0.5)  # 200,000 of the 300,000 held
        body = upload_body("2185550199").ljust(150_000, b"\n")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as second:
            second.sendall(_import_head(port, "st-budget-f", len(body)) + body)
            refused = read_response(second)
            after = second.recv(65536)  # a reset raises ConnectionResetError here
    finally:
        holding.close()
    assert refused.status == 503 and refused.headers["retry-after"] == "1"
    assert after == b""
