"""Persistence behind one small interface (``base.Store``): SQLite (default) or PostgreSQL."""

from __future__ import annotations

import re

from mockserver.store.base import POSTGRES_SCHEMES, Store, StoreUnavailable, sqlite_path


def open_store(url: str) -> Store:
    """``:memory:``, a SQLite file path (or ``sqlite:///path``), or ``postgresql://...``."""
    if url.startswith(POSTGRES_SCHEMES):
        try:
            from mockserver.store.postgres import PostgresStore
        except ImportError as exc:
            raise StoreUnavailable(
                f"PostgreSQL support is not installed ({exc.name} is missing): "
                "pip install 'kore-mock[postgres]'"
            ) from None
        return PostgresStore(url)
    from mockserver.store.sqlite import SqliteStore

    # a mistyped URL was a new SQLite file named after it
    if not url.startswith("sqlite:///") and _OTHER_URL.match(url):
        raise StoreUnavailable(
            f"{url.partition('://')[0]}:// is not a store kore-mock knows: give a SQLite file "
            "path, :memory:, sqlite:///path or postgresql://..."
        )
    return SqliteStore(url if url == ":memory:" else sqlite_path(url))


_OTHER_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
