"""A list page never outlives a committed write: whoever wrote it — this store, another store on
the same database (another worker), another process, another thread of a ``:memory:`` store —
the next page shows it. (SQLite answers repeated pages from a cache; these tests hold it to
that promise, and PostgreSQL to the same one.)"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from mockserver.store import open_store
from mockserver.store.base import Store, StoreContents
from tests.test_store import NS, contact

ROOT = Path(__file__).parent.parent


def numbers(store: Store, skip: int = 0, limit: int = 10) -> list[str]:
    contacts, _ = store.page(NS, skip=skip, limit=limit)
    return [c.phone_number for c in contacts]


def insert(store: Store, number: str) -> None:
    with store.write(NS) as tx:
        tx.insert([contact(number)])


def test_a_page_shows_this_stores_own_write_at_once(store):
    insert(store, "+911")
    assert numbers(store) == ["+911"]
    assert numbers(store) == ["+911"]  # the same page again
    insert(store, "+912")
    assert numbers(store) == ["+911", "+912"]
    assert store.page(NS, skip=0, limit=10)[1] == 2


def test_a_page_shows_another_workers_write_at_once(db_url, store):
    other = open_store(db_url)  # another worker process's store on the same database
    try:
        assert numbers(store) == []
        insert(other, "+913")
        assert numbers(store) == ["+913"]
        with other.write(NS) as tx:
            (held,) = store.page(NS, skip=0, limit=10)[0]
            tx.update(held._replace(first_name="renamed"), previous=held)
        assert store.page(NS, skip=0, limit=10)[0][0].first_name == "renamed"
    finally:
        other.close()


def test_a_page_shows_a_write_by_another_process_at_once(db_url, store):
    assert numbers(store) == []
    code = (
        "import sys; from mockserver.store import open_store;"
        "from mockserver.contacts.model import Namespace;"
        "from tests.test_store import contact;"
        "s = open_store(sys.argv[1]);"
        f"tx = s.write(Namespace({NS.account_id!r}, {NS.stream_id!r}));"
        "t = tx.__enter__(); t.insert([contact('+914')]); tx.__exit__(None, None, None);"
        "s.close()"
    )
    subprocess.run([sys.executable, "-c", code, db_url], cwd=ROOT, check=True)
    assert numbers(store) == ["+914"]


def test_a_page_shows_a_reset_and_a_write_outside_kore_mock(db_url, store):
    insert(store, "+915")
    assert numbers(store) == ["+915"]
    store.replace_contents(StoreContents([], {}, []))  # a whole-store reset
    assert numbers(store) == []
    if db_url.startswith("postgresql://"):
        return
    insert(store, "+916")
    assert numbers(store) == ["+916"]
    with sqlite3.connect(db_url) as conn:  # a hand edit, as a QA engineer might
        conn.execute("UPDATE contacts SET first_name = 'edited'")
    assert store.page(NS, skip=0, limit=10)[0][0].first_name == "edited"


def test_a_memory_store_page_shows_a_write_of_another_thread():
    store = open_store(":memory:")
    try:
        assert numbers(store) == []
        writer = threading.Thread(target=insert, args=(store, "+917"))
        writer.start()
        writer.join()
        assert numbers(store) == ["+917"]
    finally:
        store.close()


def test_pages_at_other_offsets_are_kept_apart(store):
    for n in range(5):
        insert(store, f"+92{n}")
    assert numbers(store, skip=0, limit=2) == ["+920", "+921"]
    assert numbers(store, skip=2, limit=2) == ["+922", "+923"]
    assert numbers(store, skip=4, limit=2) == ["+924"]
    assert numbers(store, skip=0, limit=2) == ["+920", "+921"]


def test_a_repeated_page_of_an_unchanged_sqlite_store_reads_no_contact(tmp_path):
    store = open_store(str(tmp_path / "kore-mock.db"))
    try:
        insert(store, "+931")
        assert numbers(store) == ["+931"]
        with store._connection() as conn:
            statements: list[str] = []
            conn.set_trace_callback(statements.append)
            try:
                assert numbers(store) == ["+931"]
            finally:
                conn.set_trace_callback(None)
        assert not [s for s in statements if "FROM contacts" in s], statements
    finally:
        store.close()
