"""Persistence behind one small interface (``base.Store``)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mockserver.store.base import Store, StoreUnavailable

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


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

    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///") :]
    return SqliteStore(url)


def redacted(url: str) -> str:
    """The store URL without a password, for banners, health answers and error messages."""
    if not url.startswith(POSTGRES_SCHEMES):
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = urlencode(
        [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)], safe="/"
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))
