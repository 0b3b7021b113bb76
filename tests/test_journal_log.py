"""The SQLite journal's log (``<db>.journal.log``): a request appends its entry there, and the
journal's table takes the log's records before any read, in the background and at the next
start. What a user of the journal sees: every acknowledged entry, once, with an id never given
twice — after a killed writer, a killed drain, a clear, a restored snapshot and a killed server.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import orjson
import pytest

from mockserver.store import open_store
from mockserver.store.base import JournalFilter, StoreContents
from mockserver.store.journal_log import GIVEN, parse
from mockserver.store.shared_words import SharedWords


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "s.db")


@pytest.fixture
def store(path):
    opened = open_store(path)
    yield opened
    opened.close()


def _table_rows(path: str) -> int:
    """Rows in the journal's table itself (the log not drained)."""
    with closing(sqlite3.connect(path + ".journal")) as table:
        return table.execute("SELECT COUNT(*) FROM journal").fetchone()[0]


def _holds(file: str) -> bool:
    try:
        return os.path.getsize(file) > 0
    except FileNotFoundError:  # never made, or deleted by the drain meanwhile
        return False


def _entry(n: int, **more) -> dict:
    return {"at": f"2026-01-01T00:00:{n % 60:02d}.000Z", "status": 200, "n": n, **more}


def _ns(n: int) -> list[int]:
    return [e["n"] for e in n]


def test_an_entry_is_read_by_another_process_store_at_once(store, path):
    writer, reader = store, open_store(path)  # two processes' views of one store
    try:
        first = writer.journal_add(_entry(1, scenario="a"), keep=100)
        assert reader.journal_get(first)["n"] == 1
        second = reader.journal_add(_entry(2), keep=100)
        assert second == first + 1  # one counter for every process
        assert writer.journal_count() == 2
        assert _ns(writer.journal_query(JournalFilter(scenario="a"))) == [1]
        assert [e["id"] for e in reader.journal_query()] == [second, first]
    finally:
        reader.close()


def test_a_record_cut_short_by_a_killed_writer_is_skipped_and_the_next_one_kept(store, path):
    store.journal_add(_entry(1), keep=100)
    # a writer killed inside its record: it had taken id 2
    SharedWords(path + ".journal.ids", 2).set(GIVEN, 2)
    with open(path + ".journal.log", "ab") as log:
        log.write(b'\n[2,100,40,"2026-01-01T00:00:02.000Z",null,200,null,null,null]\t{"at":')
    store.journal_add(_entry(3), keep=100)
    entries = store.journal_query()
    assert _ns(entries) == [3, 1]
    assert [e["id"] for e in entries] == [3, 1]  # the cut record's id is not given again


def test_the_records_of_a_drain_that_died_are_taken_once(store, path):
    for n in range(3):
        store.journal_add(_entry(n), keep=100)
    with open(path + ".journal.log", "rb") as log:
        records = log.read()
    assert store.journal_count() == 3  # drained into the table
    # a drain killed after its commit, before it deleted the renamed log
    with open(path + ".journal.log.draining", "wb") as draining:
        draining.write(records)
    store.journal_add(_entry(3), keep=100)
    assert _ns(store.journal_query()) == [3, 2, 1, 0]
    assert not os.path.exists(path + ".journal.log.draining")


def test_the_journal_keeps_the_newest_entries_and_the_table_no_more(store, path):
    for n in range(25):
        store.journal_add(_entry(n), keep=10)
    assert store.journal_count() == 10
    assert _ns(store.journal_query(limit=3)) == [24, 23, 22]
    assert _table_rows(path) <= 10


def test_ids_are_never_given_twice_after_a_clear_and_a_restored_snapshot(store, path):
    ids = [store.journal_add(_entry(n), keep=100) for n in range(3)]
    store.journal_clear()
    assert store.journal_count() == 0
    after_clear = store.journal_add(_entry(3), keep=100)
    assert after_clear == ids[-1] + 1
    restored = [(500, _entry(500)), (501, _entry(501))]
    store.replace_contents(StoreContents(contacts=[], state={}, journal=restored))
    assert [e["id"] for e in store.journal_query()] == [501, 500]
    assert store.journal_add(_entry(502), keep=100) == 502
    snapshot = store.contents(with_journal=True).journal
    assert [i for i, _ in snapshot] == [500, 501, 502]


def test_the_log_is_drained_in_the_background_when_nobody_reads(store, path):
    store.journal_add(_entry(1), keep=100)
    log = path + ".journal.log"
    assert os.path.getsize(log) > 0
    # a drain renames the log, then commits its rows, then deletes the renamed file: done when
    # neither file holds a record
    unread = (log, log + ".draining")
    deadline = time.monotonic() + 10
    while any(_holds(f) for f in unread) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_holds(f) for f in unread)
    assert _table_rows(path) == 1  # drained, not read


_WRITER = """
import sys
from mockserver.store import open_store
store = open_store(sys.argv[1])
for n in range(200):
    store.journal_add({"at": "2026-01-01T00:00:00.000Z", "status": 200, "n": n}, keep=1000)
print("written", flush=True)
sys.stdin.readline()  # killed here, its log never drained
"""


def test_entries_acknowledged_before_a_kill_9_are_there_at_the_next_start(path):
    open_store(path).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "written"
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    store = open_store(path)
    try:
        assert store.journal_count() == 200
        assert store.journal_add(_entry(200), keep=1000) == 201
    finally:
        store.close()


def test_a_record_is_one_line_whatever_the_entry_holds():
    """orjson writes no raw newline or tab, so a record's separators are its own."""
    body = orjson.dumps({"text": "a\nb\tc", "n": 1})
    data = b"\n" + orjson.dumps([7, 10, len(body), "at", None, 200, None, None, None])
    data += b"\t" + body
    rows, keep = parse(data)
    assert keep == 10
    assert rows == [(7, "at", None, 200, None, None, None, body.decode())]
