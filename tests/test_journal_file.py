"""The SQLite journal file (``<db>.journal``): today's layout, and journals of earlier layouts
brought to it on the first start, their entries and ids kept."""

from __future__ import annotations

import sqlite3

from mockserver.store import open_store
from mockserver.store.base import JournalFilter
from mockserver.store.sqlite_journal import LAYOUT, TABLE

# The journal file as kore-mock made it before the filter columns...
LAYOUT_1 = [
    """CREATE TABLE journal (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        operation TEXT,
        status INTEGER NOT NULL,
        entry TEXT NOT NULL
    )""",
    "CREATE INDEX journal_at ON journal (at)",
    "CREATE TABLE journal_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
]
# ... and after them: columns added at the end, an index per filter.
LAYOUT_2 = [
    *LAYOUT_1,
    "ALTER TABLE journal ADD COLUMN scenario TEXT",
    "ALTER TABLE journal ADD COLUMN account_id TEXT",
    "ALTER TABLE journal ADD COLUMN stream_id TEXT",
    "CREATE INDEX journal_scenario ON journal (scenario)",
    "CREATE INDEX journal_namespace ON journal (account_id, stream_id)",
]
# ... and before this layout: today's columns, ids from AUTOINCREMENT (two pages an entry).
LAYOUT_3 = [
    TABLE.replace("id INTEGER PRIMARY KEY,", "id INTEGER PRIMARY KEY AUTOINCREMENT,", 1),
    "CREATE TABLE journal_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
]
assert "AUTOINCREMENT" in LAYOUT_3[0]
ENTRY = '{"at": "2026-01-01T00:00:00.000Z", "status": 200}'


def _journal_file_of(
    tmp_path, layout: list[str], rows: int, cleared_at: int = 0, entry: str = ENTRY
) -> str:
    """A store whose journal file has an earlier layout, ``rows`` entries and (when
    ``cleared_at``) ids given up to there before a clear."""
    path = str(tmp_path / "store.db")
    open_store(path).close()
    journal = sqlite3.connect(path + ".journal")
    journal.execute("DROP TABLE journal")
    journal.execute("DROP TABLE journal_meta")
    for statement in layout:
        journal.execute(statement)
    if cleared_at:
        journal.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'journal'", (cleared_at,))
        journal.execute(
            "INSERT OR IGNORE INTO sqlite_sequence VALUES ('journal', ?)", (cleared_at,)
        )
    for _ in range(rows):
        journal.execute(
            "INSERT INTO journal (at, operation, status, entry)"
            " VALUES ('2026-01-01T00:00:00.000Z', 'listContacts', 200, ?)",
            (entry,),
        )
    journal.commit()
    journal.close()
    return path


def _table_sql(path: str) -> str:
    journal = sqlite3.connect(path + ".journal")
    try:
        return journal.execute("SELECT sql FROM sqlite_master WHERE name = 'journal'").fetchone()[0]
    finally:
        journal.close()


def _add(store, status: int = 200) -> int:
    return store.journal_add({"at": "2026-01-01T00:00:01.000Z", "status": status}, keep=9)


def _layout(path: str) -> tuple[tuple[str, ...], list[str]]:
    journal = sqlite3.connect(path + ".journal")
    try:
        columns = tuple(row[1] for row in journal.execute("PRAGMA table_info(journal)"))
        indexes = [row[1] for row in journal.execute("PRAGMA index_list(journal)")]
    finally:
        journal.close()
    return columns, indexes


def test_a_new_journal_keeps_the_filter_columns_before_the_entry_and_no_index(tmp_path):
    path = str(tmp_path / "store.db")
    open_store(path).close()
    columns, indexes = _layout(path)
    assert columns == LAYOUT and columns[-1] == "entry"
    assert indexes == []
    assert "AUTOINCREMENT" not in _table_sql(path).upper()  # an entry writes one page, not two


def test_a_journal_file_from_before_the_filter_columns_gains_them(tmp_path):
    old = '{"at": "2026-01-01T00:00:00.000Z", "status": 200, "scenario": "old",' + (
        ' "namespace": {"accountId": "a1", "streamId": "st-1"}}'
    )
    path = _journal_file_of(tmp_path, LAYOUT_1, rows=1, entry=old)
    store = open_store(path)
    try:
        store.journal_add(
            {"at": "2026-01-01T00:00:01.000Z", "status": 200, "scenario": "s"}, keep=9
        )
        assert store.journal_count() == 2
        assert store.journal_count(JournalFilter(scenario="s")) == 1
        # the entries written before are found by their scenario and namespace too
        assert store.journal_count(JournalFilter(scenario="old")) == 1
        assert store.journal_count(JournalFilter(account_id="a1", stream_id="st-1")) == 1
    finally:
        store.close()
    assert _layout(path) == (LAYOUT, [])


def test_an_indexed_journal_file_is_rebuilt_with_its_entries_and_ids(tmp_path):
    path = _journal_file_of(tmp_path, LAYOUT_2, rows=3)
    store = open_store(path)
    try:
        assert [e["id"] for e in store.journal_query()] == [3, 2, 1]
        entry = {
            "at": "2026-01-01T00:00:01.000Z",
            "status": 201,
            "operation": "createContacts",
            "namespace": {"accountId": "a1", "streamId": "st-1"},
        }
        assert store.journal_add(entry, keep=10) == 4
        found = store.journal_query(JournalFilter(account_id="a1", stream_id="st-1"))
        assert [e["id"] for e in found] == [4]
    finally:
        store.close()
    assert _layout(path) == (LAYOUT, [])


def test_ids_given_before_a_rebuild_are_never_given_again(tmp_path):
    path = _journal_file_of(tmp_path, LAYOUT_2, rows=0, cleared_at=41)  # cleared at id 41
    store = open_store(path)
    try:
        assert store.journal_count() == 0
        assert store.journal_add({"at": "2026-01-01T00:00:01.000Z", "status": 200}, keep=9) == 42
    finally:
        store.close()


def test_an_autoincrement_journal_file_is_rebuilt_and_its_ids_go_on(tmp_path):
    path = _journal_file_of(tmp_path, LAYOUT_3, rows=2, cleared_at=40)  # ids 41, 42 kept
    store = open_store(path)
    try:
        assert [e["id"] for e in store.journal_query()] == [42, 41]
        assert _add(store) == 43
    finally:
        store.close()
    assert "AUTOINCREMENT" not in _table_sql(path).upper()
    assert _layout(path) == (LAYOUT, [])


def test_an_id_is_never_given_again_after_the_journal_is_cleared(tmp_path):
    store = open_store(str(tmp_path / "store.db"))
    try:
        assert [_add(store) for _ in range(3)] == [1, 2, 3]
        store.journal_clear()
        assert store.journal_count() == 0
        assert _add(store) == 4
        store.journal_clear()
        store.journal_clear()  # an empty journal cleared again keeps the highest id too
        assert _add(store) == 5
    finally:
        store.close()


def test_an_id_is_never_given_again_after_a_snapshot_with_older_entries(tmp_path):
    store = open_store(str(tmp_path / "store.db"))
    try:
        contents = store.contents(with_journal=True)  # empty: no entries yet
        for _ in range(5):
            _add(store)
        store.replace_contents(contents)
        assert store.journal_count() == 0
        assert _add(store) == 6
    finally:
        store.close()


def test_the_journal_of_a_memory_store_has_todays_layout_too():
    store = open_store(":memory:")
    try:
        store.journal_add(
            {"at": "2026-01-01T00:00:01.000Z", "status": 200, "scenario": "s"}, keep=9
        )
        assert store.journal_count(JournalFilter(scenario="s")) == 1
    finally:
        store.close()
