"""A whole-store reset and a snapshot load replace contacts, run-time state and journal together,
also when the process is killed half way (SQLite keeps the journal in a file of its own, which
commits after the store's: a kill between the two left one old and one new) and while saves
run (a save that committed between a reset's contacts and its journal kept its contact and lost
its journal entry)."""

from __future__ import annotations

import threading

import pytest

from mockserver.app import create_app
from mockserver.contacts.model import Caller, Namespace
from mockserver.mock import mock_of
from mockserver.settings import DEV_APP, Settings
from mockserver.store import open_store
from mockserver.store.base import ContentsRefused, StoreContents
from mockserver.store.sqlite import PENDING_JOURNAL, SqliteStore
from tests.conftest import person

NS = Namespace(DEV_APP.account_id, "st-replace")
ENTRY = {"at": "2026-01-01T00:00:01.000Z", "status": 200, "operation": "listContacts"}


class Killed(BaseException):
    """Stands in for a kill -9 between the store's commit and the journal's."""


def _killed(store, entries):
    raise Killed


def _journal_ids(store) -> list[int]:
    return sorted(entry["id"] for entry in store.journal_query(limit=1000))


def test_a_reset_cut_off_after_the_stores_commit_is_finished_when_the_store_opens(
    tmp_path, monkeypatch
):
    path = str(tmp_path / "cut.db")
    app = create_app(Settings(db=path))
    mock = mock_of(app)
    mock.service.seed(
        NS, Caller.for_app("t"), [person("a", "b", "9876543210")], legacy_duplicates=False
    )
    app.test_client().put("/__mock__/faults/listContacts", json={"errorStatus": 503})
    for _ in range(3):
        mock.store.journal_add(ENTRY, keep=100)
    assert _journal_ids(mock.store)

    monkeypatch.setattr(SqliteStore, "_finish_replace", _killed)
    with pytest.raises(Killed):
        mock.reset()
    monkeypatch.undo()
    mock.close()

    store = open_store(path)  # the next server on the store
    try:
        assert _journal_ids(store) == []
        assert store.all_state() == {}
        with store.read() as tx:
            assert tx.page(NS, skip=0, limit=10)[1] == 0
        assert _pending(store) == 0
    finally:
        store.close()


def test_a_snapshot_load_cut_off_after_the_stores_commit_gets_its_journal_at_the_next_open(
    tmp_path, monkeypatch
):
    path = str(tmp_path / "load.db")
    store = open_store(path)
    for _ in range(5):
        store.journal_add(ENTRY, keep=100)
    monkeypatch.setattr(SqliteStore, "_finish_replace", _killed)
    with pytest.raises(Killed):
        store.replace_contents(StoreContents([], {"importPolicy": "reject"}, [(2, ENTRY)]))
    monkeypatch.undo()
    store.close()

    reopened = open_store(path)
    try:
        assert _journal_ids(reopened) == [2]  # the snapshot's journal, not the old one
        assert reopened.all_state() == {"importPolicy": "reject"}
        assert reopened.journal_add(ENTRY, keep=100) > 5  # no id given twice
    finally:
        reopened.close()


def test_refused_contents_change_neither_file(tmp_path):
    app = create_app(Settings(db=str(tmp_path / "refused.db")))
    store = mock_of(app).store
    try:
        mock_of(app).service.seed(
            NS, Caller.for_app("t"), [person("a", "b", "9876543210")], legacy_duplicates=False
        )
        store.journal_add(ENTRY, keep=100)
        [row] = store.contents(with_journal=False).contacts
        with pytest.raises(ContentsRefused):  # one contact id twice
            store.replace_contents(StoreContents([row, row], {}, [(9, ENTRY)]))
        assert _journal_ids(store) == [1]
        with store.read() as tx:
            assert tx.page(NS, skip=0, limit=10)[1] == 1
        assert _pending(store) == 0
    finally:
        store.close()


def _pending(store) -> int:
    with store._connection() as conn:
        query = "SELECT COUNT(*) FROM meta WHERE key = ?"
        return conn.execute(query, (PENDING_JOURNAL,)).fetchone()[0]


def test_no_save_commits_between_a_resets_contacts_and_its_journal(tmp_path, monkeypatch):
    path = str(tmp_path / "race.db")
    app = create_app(Settings(db=path))
    mock = mock_of(app)
    saved = threading.Event()
    finish = SqliteStore._finish_replace

    def slow_finish(self, entries):
        # a save started now must wait for the journal too: it lands wholly after the reset
        saver = threading.Thread(
            target=lambda: (
                mock.service.seed(
                    NS,
                    Caller.for_app("t"),
                    [person("c", "d", "9876543211")],
                    legacy_duplicates=False,
                ),
                saved.set(),
            )
        )
        saver.start()
        assert not saved.wait(0.5), "a save committed between the store's commit and the journal's"
        finish(self, entries)
        self._saver = saver

    monkeypatch.setattr(SqliteStore, "_finish_replace", slow_finish)
    mock.reset()
    mock.store._saver.join(10)
    assert saved.is_set()
    with mock.store.read() as tx:
        assert tx.page(NS, skip=0, limit=10)[1] == 1
    mock.close()
