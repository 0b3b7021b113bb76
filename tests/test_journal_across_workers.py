"""A request answered by one worker is in the journal when the control plane is asked through
another worker right after the answer: `serve --workers 2`, both backends, not timed.

Which worker serves a keep-alive connection is gunicorn's choice (the workers race to accept);
the test finds out from /proc which worker holds the server side of each connection, then
alternates: a create through worker A, at once a verify (and a read of the entry by its id)
through worker B, and the other way round. And many clients on both workers at once, with a
reader of the journal meanwhile: every answer's entry is there once.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from pathlib import Path

import pytest

from mockserver.auth import mint_token
from mockserver.settings import DEV_APP
from tests.conftest import STREAM, person
from tests.server_process import ServerProcess

ROUNDS = 60
HEADERS = {
    "auth": mint_token(DEV_APP),
    "accountId": DEV_APP.account_id,
    "Content-Type": "application/json",
}
CONTACTS = f"/agentassist/api/v1/public/{STREAM}/contacts"


def worker_of(connection: http.client.HTTPConnection, workers: list[int], port: int) -> int:
    """The worker pid holding the accepted socket of ``connection`` (Linux /proc)."""
    client_port = connection.sock.getsockname()[1]
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if (
                int(local.split(":")[1], 16) == port
                and int(remote.split(":")[1], 16) == client_port
            ):
                inode = fields[9]
    assert inode is not None, "the server side of the connection is not in /proc/net/tcp"
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if re.fullmatch(rf"socket:\[{inode}\]", str(fd.readlink())):
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker holds socket {inode}")


def exchange(
    connection: http.client.HTTPConnection, method: str, path: str, body: object = None
) -> tuple[int, dict[str, str], object]:
    connection.request(
        method, path, body=None if body is None else json.dumps(body), headers=HEADERS
    )
    response = connection.getresponse()
    payload = response.read()
    return response.status, dict(response.headers), json.loads(payload) if payload else None


@pytest.fixture
def two_workers(db_url, tmp_path):
    server = ServerProcess(db_url, tmp_path, workers=2).start()
    yield server
    server.stop()


def test_a_request_through_one_worker_is_in_the_journal_when_another_worker_is_asked(two_workers):
    server = two_workers
    workers = server.worker_pids()
    assert len(workers) == 2
    by_worker: dict[int, http.client.HTTPConnection] = {}
    opened = []
    for _ in range(64):  # until each worker holds one of our keep-alive connections
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        opened.append(connection)
        assert exchange(connection, "GET", "/__mock__/health")[0] == 200
        by_worker.setdefault(worker_of(connection, workers, server.port), connection)
        if len(by_worker) == 2:
            break
    assert len(by_worker) == 2, "every connection went to one worker"
    first, second = by_worker.values()

    try:
        for i in range(ROUNDS):
            writer, reader = (first, second) if i % 2 == 0 else (second, first)
            status, headers, _ = exchange(
                writer, "POST", CONTACTS, [person(f"w{i}", "doe", f"98{i:08d}")]
            )
            assert status == 200
            entry_id = headers["X-Mock-Journal-Id"]

            status, _, verdict = exchange(
                reader,
                "POST",
                "/__mock__/journal/verify",
                {"operation": "createContacts", "count": i + 1},
            )
            assert status == 200, verdict
            assert verdict["verified"] is True
            status, _, entry = exchange(reader, "GET", f"/__mock__/journal/{entry_id}")
            assert status == 200
            assert entry["operation"] == "createContacts"
            assert entry["status"] == 200
    finally:
        for connection in opened:
            connection.close()


CLIENTS, REQUESTS_EACH = 6, 40


def test_every_answer_of_concurrent_clients_is_in_the_journal_once_while_it_is_read(two_workers):
    """Clients on both workers, and a reader counting the journal meanwhile (each read drains
    the SQLite journal's log while the workers append to it): every answer's entry is there,
    once, under the id its answer gave."""
    server = two_workers
    given: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def client(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            for _ in range(REQUESTS_EACH):
                status, headers, _ = exchange(connection, "GET", f"{CONTACTS}?limit=1")
                if status != 200:
                    failures.append(f"client {n}: {status}")
                given.append(int(headers["X-Mock-Journal-Id"]))
        finally:
            connection.close()

    def reader() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            while not stop.is_set():
                exchange(connection, "POST", "/__mock__/journal/verify", {"atLeast": 0})
        finally:
            connection.close()

    watcher = threading.Thread(target=reader)
    watcher.start()
    clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    stop.set()
    watcher.join()

    assert not failures
    assert len(set(given)) == CLIENTS * REQUESTS_EACH  # no id given twice
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        status, _, verdict = exchange(
            connection,
            "POST",
            "/__mock__/journal/verify",
            {"operation": "listContacts", "count": CLIENTS * REQUESTS_EACH},
        )
        assert status == 200, verdict
        status, _, page = exchange(
            connection, "GET", "/__mock__/journal?operation=listContacts&limit=1000"
        )
    finally:
        connection.close()
    assert sorted(entry["id"] for entry in page["entries"]) == sorted(given)
