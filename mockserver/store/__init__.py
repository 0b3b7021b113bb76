"""Persistence behind one small interface (``base.Store``)."""

from __future__ import annotations

from mockserver.store.base import Store


def open_store(url: str) -> Store:
    """``:memory:``, a SQLite file path (or ``sqlite:///path``), or ``postgresql://...``."""
    if url.startswith(("postgresql://", "postgres://")):
        from mockserver.store.postgres import PostgresStore

        return PostgresStore(url)
    from mockserver.store.sqlite import SqliteStore

    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///") :]
    return SqliteStore(url)
