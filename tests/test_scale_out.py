"""Acceptance: `kore-mock serve --workers 4` over real HTTP, on SQLite and on PostgreSQL.

- concurrency: 8 clients import overlapping CSV files while others create and update by JSON;
  the duplicate-number rule holds and every refused row is reported;
- crash: kill -9 of every server process in the middle of a 100,000-row import; after a restart
  the import is wholly there or wholly absent, and every acknowledged write is there;
- restart: data survives a graceful restart.

Each test prints its figures (run with ``-s`` to see them).
"""

from __future__ import annotations

import queue
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from mockserver.auth import mint_token
from mockserver.contacts.model import Namespace
from mockserver.settings import DEV_APP
from mockserver.store import open_store
from mockserver.store.postgres import namespace_lock_key
from tests.conftest import HEADER, STREAM, person
from tests.server_process import ServerProcess
from tests.spec_check import check_response

ACCOUNT = DEV_APP.account_id  # the server runs with its built-in development app
OTHER_STREAM = "st-0c0c0c0c-2222-4333-8444-555555555555"
TIMEOUT = 120  # seconds, for any one request

IMPORTERS = 8
ROWS_PER_FILE = 2000
SHARED_NUMBERS = ROWS_PER_FILE // 2  # half of every file is the same numbers
JSON_CREATORS = 2
JSON_BATCHES = 5
JSON_BATCH = 100
UPDATERS = 2
MOVE_TARGETS = 60  # numbers that updaters move contacts to; they collide on purpose

CRASH_ROWS = 100_000


def number(pool: int, index: int) -> str:
    """Ten digits; each pool of numbers is disjoint from the others."""
    return f"{pool}{index:07d}"


def key(digits: str) -> str:
    return "+91" + digits


def csv_bytes(rows: list[tuple[str, str, str]]) -> bytes:
    lines = [HEADER, *(f"{first},{last},Mr,{digits},+91," for first, last, digits in rows)]
    return ("\n".join(lines) + "\n").encode()


def backend_of(db_url: str) -> str:
    return "postgresql" if db_url.startswith("postgresql://") else "sqlite"


def report(name: str, **figures: Any) -> None:
    print(f"\n[{name}] " + ", ".join(f"{k}={v}" for k, v in figures.items()))


class HttpApi:
    """The vendor API over real HTTP; one session per thread, small answers checked."""

    def __init__(self, url: str, stream: str = STREAM) -> None:
        self.url = url
        self.base = f"/agentassist/api/v1/public/{stream}/contacts"
        self.headers = {"auth": mint_token(DEV_APP), "accountId": ACCOUNT}
        self._local = threading.local()

    def call(self, method: str, path: str, *, check: bool = True, **kw: Any) -> requests.Response:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        response = session.request(
            method, self.url + path, headers=self.headers, timeout=TIMEOUT, **kw
        )
        if check:
            check_response(
                method, path.split("?")[0], response.status_code, response.headers, response.content
            )
        return response

    def import_csv(self, data: bytes, *, check: bool = True) -> requests.Response:
        files = {"result_file": ("contacts.csv", data, "text/csv")}
        return self.call("POST", self.base + "/import-contacts", files=files, check=check)

    def create(self, items: list[dict[str, Any]]) -> requests.Response:
        return self.call("POST", self.base, json=items)

    def update(self, contact_id: str, patch: dict[str, Any]) -> requests.Response:
        return self.call("PUT", f"{self.base}/{contact_id}", json=patch)

    def delete(self, contact_id: str) -> requests.Response:
        return self.call("DELETE", f"{self.base}/{contact_id}")

    def total(self) -> int:
        return self.call("GET", self.base + "?limit=1").json()["totalResults"]

    def active(self) -> dict[str, dict[str, Any]]:
        """Every ACTIVE contact by id, page by page."""
        found: dict[str, dict[str, Any]] = {}
        skip = 0
        while True:
            page = self.call("GET", f"{self.base}?skip={skip}&limit=100").json()
            found.update((c["id"], c) for c in page["results"])
            if not page["hasMore"]:
                return found
            skip += 100

    def journal(self, response: requests.Response) -> dict[str, Any]:
        entry_id = response.headers["X-Mock-Journal-Id"]
        return requests.get(f"{self.url}/__mock__/journal/{entry_id}", timeout=TIMEOUT).json()


@pytest.fixture
def server(db_url: str, tmp_path) -> Iterator[ServerProcess]:
    """`kore-mock serve --workers 4` on a fresh store of each backend."""
    process = ServerProcess(db_url, tmp_path).start()
    yield process
    if process.process is not None and process.process.poll() is None:
        process.kill()


# -- concurrency ---------------------------------------------------------------------------


@dataclass
class Save:
    """One create/import request: what it sent and what it answered."""

    sent: list[str]  # number keys, in request order
    response: requests.Response
    created: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Update:
    """One PUT: the number the contact has after it (moved, or refused and unchanged)."""

    contact_id: str
    response: requests.Response
    number: str
    moved: bool


def test_concurrent_imports_creates_and_updates_never_store_a_number_twice(server, db_url):
    api = HttpApi(server.url)
    shared = [number(700, i) for i in range(SHARED_NUMBERS)]
    moves = [key(number(730, i)) for i in range(MOVE_TARGETS)]
    to_update: queue.Queue[dict[str, Any] | None] = queue.Queue()
    start = threading.Barrier(IMPORTERS + JSON_CREATORS + UPDATERS)

    def importer(i: int) -> list[Save]:
        own = [number(710 + i, n) for n in range(ROWS_PER_FILE - SHARED_NUMBERS)]
        digits = shared + own
        random.Random(i).shuffle(digits)
        data = csv_bytes([(f"imp{i}", f"row{r}", d) for r, d in enumerate(digits, 1)])
        start.wait(TIMEOUT)
        response = api.import_csv(data)
        return [Save([key(d) for d in digits], response)]

    def creator(j: int) -> list[Save]:
        pick = random.Random(100 + j)
        saves = []
        start.wait(TIMEOUT)
        for b in range(JSON_BATCHES):
            own = [number(720 + j, b * JSON_BATCH + n) for n in range(JSON_BATCH // 2)]
            digits = own + pick.sample(shared, JSON_BATCH // 2)
            pick.shuffle(digits)
            response = api.create([person(f"json{j}", f"b{b}", d) for d in digits])
            saves.append(Save([key(d) for d in digits], response))
            for contact in response.json():  # only their own numbers: nobody else sends those
                if contact["cellPhone"]["phoneNumber"] in {key(d) for d in own}:
                    to_update.put(contact)
        return saves

    def updater(u: int) -> list[Update]:
        pick = random.Random(200 + u)
        done = []
        start.wait(TIMEOUT)
        while (contact := to_update.get(timeout=TIMEOUT)) is not None:
            before = contact["cellPhone"]["phoneNumber"]
            if pick.random() < 0.5:
                response = api.update(contact["id"], {"firstName": f"renamed{u}"})
                done.append(Update(contact["id"], response, before, moved=False))
                continue
            target = pick.choice(moves)
            patch = {"cellPhone": {"phoneNumber": target[3:], "countryCode": "+91"}}
            response = api.update(contact["id"], patch)
            moved = response.status_code == 200
            done.append(Update(contact["id"], response, target if moved else before, moved))
        return done

    began = time.perf_counter()
    with ThreadPoolExecutor(IMPORTERS + JSON_CREATORS + UPDATERS) as pool:
        imports = [pool.submit(importer, i) for i in range(IMPORTERS)]
        creates = [pool.submit(creator, j) for j in range(JSON_CREATORS)]
        updates = [pool.submit(updater, u) for u in range(UPDATERS)]
        try:
            saves = [s for f in imports + creates for s in f.result(TIMEOUT * 2)]
        finally:
            for _ in updates:
                to_update.put(None)  # the updaters stop when the queue is drained
        updated = [item for f in updates for item in f.result(TIMEOUT * 2)]
    elapsed = time.perf_counter() - began

    # every row was created or reported as refused, in the header and in the journal
    created_numbers: list[str] = []
    refused = 0
    for save in saves:
        assert save.response.status_code == 200, save.response.text
        save.created = save.response.json()
        numbers = [c["cellPhone"]["phoneNumber"] for c in save.created]
        rejected = int(save.response.headers["X-Mock-Rejected-Rows"])
        entry = api.journal(save.response)
        assert len(numbers) + rejected == len(save.sent)
        assert entry["rejectedCount"] == rejected == len(entry["report"])
        assert sorted(numbers + [r["number"] for r in entry["report"]]) == sorted(save.sent)
        assert {r["reason"] for r in entry["report"]} <= {"DUPLICATE_EXISTING"}
        created_numbers += numbers
        refused += rejected

    # one contact per distinct number sent: none stored twice, none lost
    sent = {n for save in saves for n in save.sent}
    assert len(created_numbers) == len(sent)
    assert set(created_numbers) == sent

    # a refused row names the contact that really holds the number
    holder_of = {c["id"]: c["cellPhone"]["phoneNumber"] for s in saves for c in s.created}
    for save in saves:
        for row in api.journal(save.response)["report"]:
            assert holder_of[row["holderId"]] == row["number"]

    # updates: 200, or 409 naming the number; the listing shows exactly what they answered
    for u in updated:
        assert u.response.status_code in (200, 409), u.response.text
        if u.response.status_code == 409:
            assert "already belongs to contact" in u.response.json()["errors"][0]["msg"]
    expected = {c["id"]: c["cellPhone"]["phoneNumber"] for s in saves for c in s.created}
    expected.update((u.contact_id, u.number) for u in updated)
    listed = api.active()
    final = {contact_id: c["cellPhone"]["phoneNumber"] for contact_id, c in listed.items()}
    assert final == expected
    assert not [n for n, count in Counter(final.values()).items() if count > 1]

    if db_url.startswith("postgresql://"):  # requests really were served by several processes
        assert _postgres_clients(db_url) >= 2
    report(
        "concurrency",
        backend=backend_of(db_url),
        workers=len(server.worker_pids()),
        clients=IMPORTERS + JSON_CREATORS + UPDATERS,
        rows_sent=sum(len(s.sent) for s in saves),
        distinct_numbers=len(sent),
        created=len(created_numbers),
        refused=refused,
        updates=len(updated),
        moved=sum(u.moved for u in updated),
        conflicts=sum(u.response.status_code == 409 for u in updated),
        seconds=round(elapsed, 2),
    )


def _postgres_clients(url: str) -> int:
    """How many server processes hold connections to the database."""
    with psycopg.connect(url) as conn:
        (count,) = conn.execute(
            "SELECT COUNT(DISTINCT application_name) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE 'kore-mock[%%'"
        ).fetchone()
    return count


# -- crash ---------------------------------------------------------------------------------


def test_kill_9_during_a_large_import_keeps_it_whole_or_absent_and_acknowledged_writes_stay(
    server, db_url, tmp_path
):
    api = HttpApi(server.url)
    other = HttpApi(server.url, OTHER_STREAM)
    ns = Namespace(ACCOUNT, STREAM)

    # acknowledged before the import: creates, renames, deletes
    stored = api.create([person("before", str(n), number(800, n)) for n in range(100)]).json()
    for contact in stored[:10]:
        assert api.update(contact["id"], {"firstName": "renamed"}).status_code == 200
    for contact in stored[10:20]:
        assert api.delete(contact["id"]).status_code == 200
    expected = {c["id"]: c["firstName"] for c in stored[20:]} | {
        c["id"]: "renamed" for c in stored[:10]
    }

    # acknowledged during the import: small creates in another stream, until the kill
    acknowledged: list[str] = []
    stop = threading.Event()

    def other_writer() -> None:
        for batch in range(10_000):
            if stop.is_set():
                return
            items = [person("during", str(n), number(810, batch * 5 + n)) for n in range(5)]
            try:
                response = other.create(items)
            except (requests.RequestException, AssertionError):
                return  # the server is gone
            if response.status_code != 200:
                return
            acknowledged.extend(c["id"] for c in response.json())

    digits = [number(900, n) for n in range(CRASH_ROWS)]
    data = csv_bytes([("big", str(n), d) for n, d in enumerate(digits, 1)])
    answer: list[Any] = []

    def big_import() -> None:
        try:
            answer.append(api.import_csv(data, check=False))
        except requests.RequestException as exc:
            answer.append(exc)

    writer = threading.Thread(target=other_writer)
    importer = threading.Thread(target=big_import)
    with _import_transaction(db_url, ns) as storing:
        writer.start()
        began = time.perf_counter()
        importer.start()
        in_transaction = _wait_until(storing, TIMEOUT)
        killed_at = time.perf_counter() - began
        server.kill()
    stop.set()
    importer.join(TIMEOUT)
    writer.join(TIMEOUT)
    assert in_transaction, "the import's write transaction was never seen"

    restarted = ServerProcess(db_url, tmp_path, port=server.port)
    began = time.perf_counter()
    restarted.start()
    restart_seconds = time.perf_counter() - began
    try:
        api, other = HttpApi(restarted.url), HttpApi(restarted.url, OTHER_STREAM)
        store = open_store(db_url)
        try:
            with store.read() as tx:
                held = tx.holders(ns, [key(d) for d in digits])
                active = {c.id: c.first_name for c in tx.active(ns) if c.first_name != "big"}
        finally:
            store.close()
        assert len(held) in (0, CRASH_ROWS), f"{len(held)} of {CRASH_ROWS} rows survived"
        if backend_of(db_url) == "sqlite":
            with sqlite3.connect(db_url) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert active == expected  # every acknowledged create, rename and delete
        assert set(acknowledged) <= set(other.active())
        assert api.total() == len(expected) + len(held)
        # the namespace is writable again and the import's numbers are all free or all held
        retry = api.create([person("after", "crash", digits[0])]).json()
        assert len(retry) == (0 if held else 1)
    finally:
        restarted.stop()
    report(
        "crash",
        backend=backend_of(db_url),
        workers=server.workers,
        rows=CRASH_ROWS,
        killed_after_s=round(killed_at, 2),
        import_answered=bool(answer) and isinstance(answer[0], requests.Response),
        import_outcome="present" if held else "absent",
        acknowledged_before=len(stored) + 20,  # creates, renames, deletes
        acknowledged_during=len(acknowledged),
        restart_s=round(restart_seconds, 2),
    )


@contextmanager
def _import_transaction(url: str, ns: Namespace) -> Iterator[Callable[[], bool]]:
    """A probe: is the big import inside its write transaction, storing rows right now?"""
    if url.startswith("postgresql://"):
        unsigned = namespace_lock_key(ns) & 0xFFFFFFFFFFFFFFFF
        with psycopg.connect(url, autocommit=True) as conn:

            def copying() -> bool:  # it holds the namespace lock and COPY is running
                return bool(
                    conn.execute(
                        "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s"
                        " AND l.objid = %s AND a.query LIKE 'COPY contacts%%'",
                        (unsigned >> 32, unsigned & 0xFFFFFFFF),
                    ).fetchone()
                )

            yield copying
        return
    wal = Path(url + "-wal")
    floor = wal.stat().st_size + 8 * 1024 * 1024  # small writes stay far below
    conn = sqlite3.connect(url, timeout=0, isolation_level=None)

    def inserting() -> bool:  # a writer holds the lock and has spilled megabytes to the WAL
        if wal.stat().st_size < floor:
            return False
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        conn.execute("ROLLBACK")
        return False

    try:
        yield inserting
    finally:
        conn.close()


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


# -- restart -------------------------------------------------------------------------------


def test_data_survives_a_restart_of_the_server(server, db_url, tmp_path):
    api = HttpApi(server.url)
    created = api.create([person("john", "doe", "9876543210"), person("jane", "roe", "9876543211")])
    imported = api.import_csv(
        csv_bytes([("ann", "lee", "9876543212"), ("bob", "kay", "9876543210")])
    )
    first, second = created.json()
    api.update(first["id"], {"lastName": "smith"})
    api.delete(second["id"])
    before = api.active()
    server.stop()

    restarted = ServerProcess(db_url, tmp_path, port=server.port).start()
    try:
        api = HttpApi(restarted.url)
        assert api.active() == before
        assert before[first["id"]]["lastName"] == "smith" and second["id"] not in before
        assert api.journal(imported)["report"][0]["reason"] == "DUPLICATE_EXISTING"
        again = api.create([person("x", "y", "9876543212")])  # the rule still sees old data
        assert again.json() == [] and again.headers["X-Mock-Rejected-Rows"] == "1"
    finally:
        restarted.stop()
