"""The store keeps the control plane's shared state: rate-limit counters, a schema upgrade."""

from __future__ import annotations

import multiprocessing
import sqlite3

from mockserver.store.base import JournalFilter, StoreContents
from mockserver.store.sqlite import MIGRATIONS, SqliteStore


def _hit(path: str, times: int) -> None:
    store = SqliteStore(path)
    for _ in range(times):
        store.counter_hit("rate:acct", 1000)
    store.close()


def test_counter_hits_from_several_processes_all_count(tmp_path):
    path = str(tmp_path / "shared.db")
    SqliteStore(path).close()
    # spawned, not forked: a fork of this test process (its threads running SQLite for other
    # tests' stores) may copy a mutex SQLite holds there, and the child waits on it for ever
    # (one CI run: a worker did not end in 60 s)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hit, args=(path, 50)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    store = SqliteStore(path)
    assert store.counter_hit("rate:acct", 1000) == 201
    store.close()


def test_a_new_window_forgets_the_old_counts():
    store = SqliteStore(":memory:")
    assert [store.counter_hit("rate:a", 5) for _ in range(3)] == [1, 2, 3]
    assert store.counter_hit("rate:b", 5) == 1
    assert store.counter_hit("rate:a", 6) == 1
    assert store.counter_hit("rate:b", 6) == 1
    store.replace_contents(StoreContents([], {}, []))  # clears the counters
    assert store.counter_hit("rate:a", 6) == 1
    store.close()


def test_a_store_of_schema_version_1_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO journal (at, operation, status, entry) VALUES ('t', 'x', 200, '{}')")
    conn.commit()
    conn.close()
    store = SqliteStore(str(path))
    assert store.counter_hit("rate:a", 1) == 1
    assert store.journal_count(JournalFilter(operation="x")) == 1
    store.close()
