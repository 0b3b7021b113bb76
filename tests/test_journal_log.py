"""The SQLite journal's log (``<db>.journal.log``): a request appends its entry there, and the
journal's table takes the log's records before any read, in the background and at the next
start. What a user of the journal sees: every acknowledged entry, once, with an id never given
twice — after a killed writer, a killed drain, a clear, a restored snapshot and a killed server.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import orjson
import pytest
import requests

from mockserver.auth import mint_token
from mockserver.settings import DEV_APP
from mockserver.store import open_store, sqlite
from mockserver.store.base import JournalFilter, StoreContents, StoreUnavailable
from mockserver.store.journal_log import GENERATION, GIVEN, parse
from mockserver.store.shared_words import SharedWords
from tests.conftest import STREAM
from tests.server_process import ServerProcess


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


def test_a_store_with_the_log_is_at_schema_5_which_a_kore_mock_from_before_the_log_refuses(
    path, monkeypatch
):
    """A kore-mock of schema 4 from before the log gave new entries ids from the table, ids
    the log had given: their entries were lost when the log was drained."""
    open_store(path).close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    open_store(path).close()  # a store of schema 4 is raised to 5
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT value FROM meta").fetchall() == [("5",)]
    monkeypatch.setattr(sqlite, "SCHEMA_VERSION", 4)  # the kore-mock from before the log
    with pytest.raises(StoreUnavailable, match="schema version 5, newer than this kore-mock"):
        open_store(path)


def test_a_clean_close_leaves_every_entry_in_the_table_and_none_in_the_log(path):
    store = open_store(path)
    store.journal_add(_entry(1), keep=100)
    store.close()
    assert not _holds(path + ".journal.log")
    assert _table_rows(path) == 1


def test_an_entry_whose_id_another_writer_took_is_kept_under_a_new_id(store, path, caplog):
    for n in range(1, 4):
        store.journal_add(_entry(n), keep=100)  # ids 1-3, in the log
    # a kore-mock that does not know the log gives ids 2 and 3 from the table
    with closing(sqlite3.connect(path + ".journal")) as table, table:
        for n in (2, 3):
            table.execute(
                "INSERT INTO journal (id, at, status, entry) VALUES (?, ?, 200, ?)",
                (n, "2026-01-01T00:00:00.000Z", orjson.dumps(_entry(100 + n)).decode()),
            )
    with caplog.at_level(logging.WARNING, logger="kore_mock"):
        entries = store.journal_query()
    assert [(e["id"], e["n"]) for e in entries] == [(5, 3), (4, 2), (3, 103), (2, 102), (1, 1)]
    assert "journal entries 2, 3 had ids that another writer" in caplog.text
    assert "kept as entries 4, 5" in caplog.text
    assert store.journal_add(_entry(6), keep=100) == 6  # no id given twice


def test_a_clean_stop_of_serve_leaves_every_entry_in_the_journals_table(path, tmp_path):
    """Each worker closes its store when it stops (SIGTERM), which drains the log: the
    journal's file alone holds every entry, for any kore-mock that reads it."""
    server = ServerProcess(path, tmp_path, workers=2).start()
    try:
        for _ in range(5):
            answer = requests.get(
                server.url + f"/agentassist/api/v1/public/{STREAM}/contacts",
                headers={"auth": mint_token(DEV_APP), "accountId": DEV_APP.account_id},
                timeout=30,
            )
            assert answer.status_code == 200
    finally:
        server.stop()
    assert not _holds(path + ".journal.log") and not _holds(path + ".journal.log.draining")
    assert _table_rows(path) == 5


def test_the_records_of_a_drain_that_died_before_its_commit_are_taken_at_the_next_drain(
    store, path
):
    for n in range(3):
        store.journal_add(_entry(n), keep=100)  # in the log, not read yet
    assert _table_rows(path) == 0
    # a drain killed after it renamed the log, before its commit
    os.rename(path + ".journal.log", path + ".journal.log.draining")
    words = SharedWords(path + ".journal.ids", 2)
    words.set(GENERATION, words.get(GENERATION) + 1)
    store.journal_add(_entry(3), keep=100)
    assert _ns(store.journal_query()) == [3, 2, 1, 0]
    assert not os.path.exists(path + ".journal.log.draining")
