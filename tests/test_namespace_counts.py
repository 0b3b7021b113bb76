"""A page's total and a deep skip come from the per-namespace block counts (``store/blocks.py``),
kept in the same transaction as every write: they must always agree with the contacts
themselves, whatever wrote them — creates one by one, bulk inserts, legacy seeds, deletes and
restores, resets, other namespaces interleaved — and on both backends."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from mockserver.contacts.model import ACTIVE, INACTIVE, Contact, Namespace
from mockserver.store import open_store
from mockserver.store.base import Store, StoreContents
from mockserver.store.blocks import BLOCK_SIZE, run_counts, start_of
from tests.test_store import NS, OTHER_NS, contact

_numbers = itertools.count(9_000_000_000)


def fresh(n: int, ns: Namespace = NS) -> list[Contact]:
    return [contact(f"+91{next(_numbers)}", ns) for _ in range(n)]


def all_rows(store: Store, ns: Namespace, status: str | None) -> list[Contact]:
    """The namespace's contacts oldest first, read the slow way (the oracle)."""
    rows, total = store.find_contacts(ns, text="", status=status, skip=0, limit=10**9)
    assert total == len(rows)
    return rows


def check_pages(store: Store, ns: Namespace, status: str | None, expected: list[str]) -> None:
    """Every interesting page (start, block edges, the end, past it) matches ``expected``."""
    n = len(expected)
    skips = {0, 1, n - 1, n, n + 5, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, 2 * BLOCK_SIZE + 7}
    for skip in sorted(s for s in skips if s >= 0):
        for limit in (1, 10):
            got, total = store.find_contacts(ns, text="", status=status, skip=skip, limit=limit)
            assert total == n
            assert [c.id for c in got] == expected[skip : skip + limit], (status, skip, limit)
            if status == ACTIVE:
                with store.read() as tx:
                    page, page_total = tx.page(ns, skip=skip, limit=limit)
                assert page_total == n
                assert [c.id for c in page] == expected[skip : skip + limit]


def test_start_of_finds_the_block_of_the_first_contact_of_a_page():
    blocks = [(0, 3), (1, 0), (2, 5), (7, 2)]
    assert start_of(blocks, 0) == (10, 0, 0)
    assert start_of(blocks, 2) == (10, 0, 2)
    assert start_of(blocks, 3) == (10, 2 * BLOCK_SIZE, 0)
    assert start_of(blocks, 8) == (10, 7 * BLOCK_SIZE, 0)
    assert start_of(blocks, 9) == (10, 7 * BLOCK_SIZE, 1)
    assert start_of(blocks, 10) == (10, -1, -1)


def test_an_insert_run_adds_the_count_of_each_block_it_touches():
    assert run_counts(1, [True] * 3) == [(0, 3, 0)]
    inside = BLOCK_SIZE - 2  # starts two seqs before a block's end, ends in the third block
    statuses = [True, False] + [True] * BLOCK_SIZE + [False, True, True]
    assert run_counts(inside, statuses) == [(0, 1, 1), (1, BLOCK_SIZE, 0), (2, 2, 1)]
    assert run_counts(5, []) == []


def test_deep_pages_and_totals_agree_with_the_contacts_after_every_kind_of_write(store):
    with store.write(NS) as tx:  # a bulk insert spanning several blocks
        tx.insert(fresh(2 * BLOCK_SIZE + 300))
    for _ in range(5):  # creates one at a time, another namespace interleaved
        with store.write(NS) as tx:
            tx.insert(fresh(1))
        with store.write(OTHER_NS) as tx:
            tx.insert(fresh(3, OTHER_NS))
    with store.write(NS) as tx:  # legacy duplicates: a seed that bypasses the rule
        twins = fresh(2)
        tx.insert([*twins, twins[0]._replace(id="legacytwin00000000000001")], legacy=True)
    active = all_rows(store, NS, ACTIVE)
    deleted = active[BLOCK_SIZE - 2 : BLOCK_SIZE + 3] + active[:1] + active[-1:]
    with store.write(NS) as tx:  # deletes (status INACTIVE) across a block edge
        for c in deleted:
            tx.update(c._replace(status=INACTIVE), previous=c)
    with store.write(NS) as tx:  # a restore (INACTIVE -> ACTIVE) and a rename
        restored = deleted[0]
        tx.update(restored, previous=restored._replace(status=INACTIVE))
        renamed = active[5]
        tx.update(renamed._replace(first_name="renamed"), previous=renamed)

    gone = {c.id for c in deleted[1:]}
    expected_active = [c.id for c in active if c.id not in gone]
    assert [c.id for c in all_rows(store, NS, ACTIVE)] == expected_active
    check_pages(store, NS, ACTIVE, expected_active)
    check_pages(store, NS, INACTIVE, [c.id for c in all_rows(store, NS, INACTIVE)])
    check_pages(store, NS, None, [c.id for c in all_rows(store, NS, None)])
    check_pages(store, OTHER_NS, ACTIVE, [c.id for c in all_rows(store, OTHER_NS, ACTIVE)])

    counts = {(n["accountId"], n["streamId"]): n for n in store.namespaces()}
    assert counts[tuple(NS)]["active"] == len(expected_active)
    assert counts[tuple(NS)]["inactive"] == len(gone)
    assert counts[tuple(OTHER_NS)] == {
        "accountId": OTHER_NS.account_id,
        "streamId": OTHER_NS.stream_id,
        "active": 15,
        "inactive": 0,
    }


def test_a_write_that_fails_leaves_the_counts_as_they_were(store):
    with store.write(NS) as tx:
        tx.insert(fresh(3))
    with pytest.raises(RuntimeError), store.write(NS) as tx:
        tx.insert(fresh(BLOCK_SIZE))
        raise RuntimeError("the request failed after the insert")
    with store.read() as tx:
        assert tx.page(NS, skip=0, limit=10)[1] == 3


def test_reset_forgets_the_counts_of_the_namespace_or_of_everything(store):
    with store.write(NS) as tx:
        tx.insert(fresh(4))
    with store.write(OTHER_NS) as tx:
        tx.insert(fresh(2, OTHER_NS))
    store.reset(NS)
    with store.read() as tx:
        assert tx.page(NS, skip=0, limit=10) == ([], 0)
        assert tx.page(OTHER_NS, skip=0, limit=10)[1] == 2
    store.replace_contents(StoreContents([], {}, []))  # a whole-store reset
    assert store.namespaces() == []
    with store.write(NS) as tx:  # seqs may be reused after a reset: counts start afresh
        tx.insert(fresh(2))
    with store.read() as tx:
        assert tx.page(NS, skip=1, limit=10)[1] == 2


def test_a_store_from_before_the_counts_gets_them_on_its_first_start(tmp_path):
    """Migration 3 counts the contacts already there."""
    path = tmp_path / "old.db"
    store = open_store(str(path))
    with store.write(NS) as tx:
        tx.insert(fresh(BLOCK_SIZE + 10))
    store.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE contact_blocks")
    db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.commit()
    db.close()

    store = open_store(str(path))
    try:
        with store.read() as tx:
            page, total = tx.page(NS, skip=BLOCK_SIZE + 5, limit=10)
        assert total == BLOCK_SIZE + 10
        assert len(page) == 5
    finally:
        store.close()


def test_an_import_is_counted_even_when_sqlite_picks_its_seqs_at_random(tmp_path):
    """Past the largest seq SQLite can give, it picks free ones at random: the insert's counts
    can no longer be known from where its run starts, and are counted from the rows."""
    path = tmp_path / "largest.db"
    store = open_store(str(path))
    with store.write(OTHER_NS) as tx:
        tx.insert(fresh(1, OTHER_NS))
    db = sqlite3.connect(path)
    db.execute("UPDATE contacts SET seq = 9223372036854775807")  # a hand edit
    db.commit()
    db.close()
    try:
        with store.write(NS) as tx:
            tx.insert(fresh(BLOCK_SIZE + 10))
        expected = [c.id for c in all_rows(store, NS, ACTIVE)]
        assert len(expected) == BLOCK_SIZE + 10
        check_pages(store, NS, ACTIVE, expected)
    finally:
        store.close()


NAMES_IN_BYTE_ORDER = ["a-b", "a_b", "st-B", "st-a"]  # "-" 0x2d < "B" 0x42 < "_" 0x5f < "a" 0x61


def namespace_order(store: Store) -> list[str]:
    for stream in reversed(NAMES_IN_BYTE_ORDER):
        ns = Namespace(NS.account_id, stream)
        with store.write(ns) as tx:
            tx.insert(fresh(1, ns))
    return [n["streamId"] for n in store.namespaces()]


def test_namespaces_are_listed_in_byte_order(store):
    assert namespace_order(store) == NAMES_IN_BYTE_ORDER


def test_namespaces_are_listed_in_byte_order_whatever_the_databases_collation(postgres):
    url = postgres.icu_database("en-US")  # its own collation puts a_b before a-b
    store = open_store(url)
    try:
        assert namespace_order(store) == NAMES_IN_BYTE_ORDER
    finally:
        store.close()
        postgres.drop_database(url)


def test_namespaces_are_listed_by_account_then_stream(store):
    for account, stream in (("acct-b", "st-a"), ("acct-a", "st-b"), ("acct-a", "st-c")):
        ns = Namespace(account, stream)
        with store.write(ns) as tx:
            tx.insert(fresh(1, ns))
    listed = [(n["accountId"], n["streamId"]) for n in store.namespaces()]
    assert listed == [("acct-a", "st-b"), ("acct-a", "st-c"), ("acct-b", "st-a")]
