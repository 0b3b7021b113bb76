"""A store written by an older kore-mock opens in this one with all it held: its contacts (legacy
duplicates included), their order and pages, the duplicate rule, and its journal."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing

import psycopg
import pytest

from mockserver.contacts.model import INACTIVE, Contact, Namespace
from mockserver.contacts.ports import NumberTaken
from mockserver.store import open_store, postgres, sqlite
from mockserver.store.base import JournalFilter
from tests.conftest import ACCOUNT, BACKENDS, STREAM
from tests.test_store import contact, execute, schema_version

NS = Namespace(ACCOUNT, STREAM)
LEGACY_NUMBER = "+919876543210"
OLD_ENTRY = {
    "at": "2026-11-25T10:00:00.000Z",
    "method": "POST",
    "path": "/old",
    "status": 200,
    "operation": "createContacts",
    "namespace": {"accountId": ACCOUNT, "streamId": STREAM},
}


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "old.db")
        return
    cluster = request.getfixturevalue("postgres")
    url = cluster.new_database(empty=True)
    yield url
    cluster.drop_database(url)


def old_rows() -> list[tuple]:
    """Contacts with their dup slot: two legacy holders of one number, another contact and a
    deleted one, in that order."""
    gone = contact("+919876543212").changed(status=INACTIVE)
    return [
        (*contact(LEGACY_NUMBER), 0),
        (*contact(LEGACY_NUMBER), 1),
        (*contact("+919876543211"), 0),
        (*gone, 0),
    ]


def write_old_store(url: str, version: int, rows: list[tuple]) -> None:
    """The store as the kore-mock of schema ``version`` left it: its contacts were saved before
    the migrations since schema 2 (the block counts of schema 3 count rows already there)."""
    migrations = (postgres if url.startswith("postgresql://") else sqlite).MIGRATIONS
    mark = "%s" if url.startswith("postgresql://") else "?"
    marks = ", ".join([mark] * len(rows[0]))
    columns = ", ".join((*Contact._fields, "dup_slot"))
    before = [s for step in migrations[: min(version, 2)] for s in step]
    after = [s for step in migrations[2:version] for s in step]
    statements = [
        ("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)", ()),
        *((statement, ()) for statement in before),
        *((f"INSERT INTO contacts ({columns}) VALUES ({marks})", row) for row in rows),
        (
            f"INSERT INTO journal (at, operation, status, entry) VALUES ({', '.join([mark] * 4)})",
            ("2026-11-25T10:00:00.000Z", "createContacts", 200, json.dumps(OLD_ENTRY)),
        ),
        *((statement, ()) for statement in after),
        (f"INSERT INTO meta (key, value) VALUES ('schema_version', '{version}')", ()),
    ]
    if url.startswith("postgresql://"):
        with psycopg.connect(url) as conn:  # one transaction, committed at the end
            for statement, params in statements:
                conn.execute(statement, params or None)
        return
    with closing(sqlite3.connect(url, isolation_level=None)) as conn:
        conn.execute("BEGIN")
        for statement, params in statements:
            conn.execute(statement, params)
        conn.execute("COMMIT")


@pytest.mark.parametrize("version", range(1, max(sqlite.SCHEMA_VERSION, postgres.SCHEMA_VERSION)))
def test_a_store_of_an_older_kore_mock_opens_with_everything_it_held(empty_url, version):
    if version >= schema_version(empty_url):
        pytest.skip("this backend's schema has no such older version")
    rows = old_rows()
    write_old_store(empty_url, version, rows)
    store = open_store(empty_url)
    try:
        assert execute(empty_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [
            (str(schema_version(empty_url)),)
        ]
        active = [row[0] for row in rows if row[3] != INACTIVE]
        with store.read() as tx:
            page, total = tx.page(NS, skip=0, limit=10)
            assert ([c.id for c in page], total) == (active, 3)
            assert [c.id for c in tx.page(NS, skip=2, limit=10)[0]] == active[2:]
        # the rule holds against the old holders, and a new contact comes after them
        with pytest.raises(NumberTaken), store.write(NS) as tx:
            tx.insert([contact(LEGACY_NUMBER)])
        newer = contact("+919876543219")
        with store.write(NS) as tx:
            tx.insert([newer])
        with store.read() as tx:
            assert tx.page(NS, skip=3, limit=10) == ([tx.get_active(NS, newer.id)], 4)
        # the journal kept its entry, found by its namespace, and a new one does not take its id
        assert store.journal_get(1)["path"] == "/old"
        mine = JournalFilter(account_id=ACCOUNT, stream_id=STREAM)
        assert [e["path"] for e in store.journal_query(mine)] == ["/old"]
        assert store.journal_add({**OLD_ENTRY, "path": "/new"}, keep=100) == 2
    finally:
        store.close()
