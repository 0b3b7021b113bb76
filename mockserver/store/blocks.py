"""Contact counts per namespace and block of seqs: a page's total and a deep ``skip`` without
reading the namespace.

Every write of contacts changes the table ``contact_blocks`` in its own transaction: for each
namespace and each block of ``BLOCK_SIZE`` consecutive seqs, how many of the namespace's contacts
in that block are ACTIVE and how many INACTIVE. So

- a page's total is the sum of the namespace's block rows (n / BLOCK_SIZE of them at most when
  the namespace was written in runs, as imports and seeds write it), not a count of its rows;
- a page at ``skip`` k starts at the first seq of the block where the running count passes k,
  and walks at most ``BLOCK_SIZE`` index entries from there, not k.

Both backends keep the table with the same statements (``mark`` is the driver's placeholder).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

BLOCK_BITS = 10
BLOCK_SIZE = 1 << BLOCK_BITS  # seqs per block

TABLE = """CREATE TABLE contact_blocks (
    account_id TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    block BIGINT NOT NULL,
    active INTEGER NOT NULL,
    inactive INTEGER NOT NULL,
    PRIMARY KEY (account_id, stream_id, block)
)"""


# Every write of counts adds them to the block's row, made at its first count.
_ADD = "INSERT INTO contact_blocks AS b (account_id, stream_id, block, active, inactive)"
_ADDED_UP = (
    " ON CONFLICT (account_id, stream_id, block) DO UPDATE"
    " SET active = b.active + excluded.active, inactive = b.inactive + excluded.inactive"
)


def _counted(source: str, table: str = "contacts") -> str:
    """The block counts of the contacts ``source`` selects (a WHERE clause), added in."""
    return (
        _ADD + f" SELECT account_id, stream_id, seq >> {BLOCK_BITS},"
        " SUM(CASE WHEN status = 'ACTIVE' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN status = 'ACTIVE' THEN 0 ELSE 1 END)"
        f" FROM {table} WHERE {source} GROUP BY account_id, stream_id, seq >> {BLOCK_BITS}"
        + _ADDED_UP
    )


# The migration that brings a store to block counts: the table, then every existing contact.
POPULATE = _counted("true")


def ids_added_sql(ids: str) -> str:
    """Count the contacts whose ids the subquery ``ids`` selects (just stored)."""
    return _counted(f"id IN ({ids})")


def added_rows_sql(table: str) -> str:
    """Count every contact of ``table`` (PostgreSQL: an insert trigger's transition table)."""
    return _counted("true", table)


def one_added_sql(mark: str) -> str:
    """One ACTIVE contact stored (parameters: account id, stream id, its seq)."""
    return _ADD + f" VALUES ({mark}, {mark}, {mark} >> {BLOCK_BITS}, 1, 0)" + _ADDED_UP


def counts_sql(mark: str) -> str:
    """Add one block's counts (parameters: account id, stream id, block, active, inactive)."""
    return _ADD + f" VALUES ({mark}, {mark}, {mark}, {mark}, {mark})" + _ADDED_UP


def run_counts(first_seq: int, active: Sequence[bool]) -> list[tuple[int, int, int]]:
    """(block, active, inactive) of contacts stored at consecutive seqs from ``first_seq``,
    ``active[i]`` telling the status of the one at ``first_seq + i``: the counts an insert adds,
    known without reading its rows back."""
    counts: list[tuple[int, int, int]] = []
    start, end = first_seq, first_seq + len(active)
    while start < end:
        block = start >> BLOCK_BITS
        stop = min(end, (block + 1) << BLOCK_BITS)
        up = sum(active[start - first_seq : stop - first_seq])
        counts.append((block, up, stop - start - up))
        start = stop
    return counts


def moved_sql(mark: str) -> str:
    """One contact changed status (parameters: account id, stream id, its seq, +1 / -1 for
    ACTIVE, -1 / +1 for INACTIVE)."""
    return (
        "UPDATE contact_blocks SET active = active + {m}, inactive = inactive + {m}"
        " WHERE account_id = {m} AND stream_id = {m} AND block = {m} >> " + str(BLOCK_BITS)
    ).format(m=mark)


def moved_params(
    account_id: str, stream_id: str, seq: int, now_active: bool
) -> tuple[int, int, str, str, int]:
    delta = 1 if now_active else -1
    return (delta, -delta, account_id, stream_id, seq)


def totals_sql(mark: str, column: str) -> str:
    """The namespace's total of ``column`` (active, inactive or active + inactive)."""
    return (
        f"SELECT COALESCE(SUM({column}), 0) FROM contact_blocks"
        f" WHERE account_id = {mark} AND stream_id = {mark}"
    )


def rows_sql(mark: str, column: str) -> str:
    """The namespace's blocks with their count of ``column``, in seq order."""
    return (
        f"SELECT block, {column} FROM contact_blocks"
        f" WHERE account_id = {mark} AND stream_id = {mark} ORDER BY block"
    )


def count_column(status: str | None) -> str:
    """The count that a filter on ``status`` (None: every status) reads."""
    if status is None:
        return "active + inactive"
    return "active" if status == "ACTIVE" else "inactive"


def start_of(blocks: Iterable[tuple[int, int]], skip: int) -> tuple[int, int, int]:
    """(total, first seq to read from, how many to pass over from there) for a page at
    ``skip``; the first seq is -1 when the page is past the end."""
    passed = 0
    start = offset = -1
    for block, count in blocks:
        if start < 0 and passed + count > skip:
            start, offset = block << BLOCK_BITS, skip - passed
        passed += count
    return passed, start, offset


def page(
    execute: Callable[[str, Sequence[Any]], Any],
    mark: str,
    select: str,
    ns: tuple[str, str],
    status: str | None,
    skip: int,
    limit: int,
) -> tuple[list[Sequence[Any]], int]:
    """A page of a namespace's contacts (of one status, or all), oldest first, and its total.

    ``execute(sql, params)`` runs a statement in the caller's transaction (one snapshot: the
    page agrees with its total); ``select`` is ``SELECT <columns> FROM contacts``. Near the start
    the page walks from the first seq; deeper, from the block that holds its first contact.
    """
    column = count_column(status)
    where = f" WHERE account_id = {mark} AND stream_id = {mark}"
    params: list[Any] = [*ns]
    if status is not None:
        where += f" AND status = {mark}"
        params.append(status)
    if skip < BLOCK_SIZE:
        (total,) = execute(totals_sql(mark, column), ns).fetchone()
        start, offset = 0, skip
    else:
        total, start, offset = start_of(execute(rows_sql(mark, column), ns).fetchall(), skip)
    if skip >= total:
        return [], total
    rows = execute(
        select + where + f" AND seq >= {mark} ORDER BY seq LIMIT {mark} OFFSET {mark}",
        (*params, start, limit, offset),
    ).fetchall()
    return rows, total
