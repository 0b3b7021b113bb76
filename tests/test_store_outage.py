"""A PostgreSQL server that restarts under the mock: the requests that meet a lost connection
are 503 with Retry-After in Kore's envelope (they were 500), and the next ones are answered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait

import psycopg
import pytest
from psycopg import sql

from mockserver.app import create_app
from mockserver.mock import mock_of
from mockserver.settings import Settings
from mockserver.store import open_store
from mockserver.store import postgres as pg
from mockserver.store.base import StoreUnavailable
from tests.conftest import Api, person


@pytest.fixture
def pg_api(postgres) -> Iterator[tuple[Api, str]]:
    url = postgres.new_database()
    app = create_app(Settings(db=url))
    yield Api(app.test_client()), url
    mock_of(app).close()
    postgres.drop_database(url)


def cut_connections(postgres, url: str) -> int:
    """What a server restart does to the mock's pooled connections: every one is ended."""
    database = url.partition("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
        return len(
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
        )


def test_a_lost_database_connection_is_503_with_retry_after_and_the_next_request_is_served(
    postgres, pg_api
):
    api, url = pg_api
    assert api.create([person("a", "b", "9876543210")]).status_code == 200
    assert cut_connections(postgres, url) >= 1
    answers = [api.list() for _ in range(4)]  # each dead pooled connection fails once
    lost = [a for a in answers if a.status_code != 200]
    assert lost, "no request met a lost connection"
    for answer in lost:
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "2"
        first, detail = answer.get_json()["errors"]
        assert first == {"msg": "Service unavailable", "code": 503}
        assert "try again" in detail["msg"]
    assert api.list().status_code == 200
    assert api.all_numbers() == ["+919876543210"]


def test_a_request_blocked_inside_postgresql_ends_in_503_after_the_lock_timeout(
    postgres, monkeypatch
):
    """A table lock held in psql kept every request waiting as long as it was held (90 s)."""
    monkeypatch.setattr(
        pg, "SESSION_SETTINGS", pg.SESSION_SETTINGS.replace("lock_timeout=30s", "lock_timeout=1s")
    )
    url = postgres.new_database()
    app = create_app(Settings(db=url))
    api = Api(app.test_client())
    try:
        assert api.create([person("a", "b", "9876543210")]).status_code == 200
        with ThreadPoolExecutor(1) as pool:
            with psycopg.connect(url) as holder, holder.transaction():
                holder.execute("LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE")
                listing = pool.submit(api.list)
                done, _ = wait([listing], timeout=20)  # then the lock goes, the list with it
            assert done, "the list waited for the lock as long as it was held"
            response = listing.result()
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "2"
        assert api.list().status_code == 200
    finally:
        mock_of(app).close()
        postgres.drop_database(url)


def test_a_503_of_an_unreachable_store_does_not_wait_the_pool_again_for_its_journal_entry(
    postgres, monkeypatch
):
    """Every 503 while PostgreSQL was down took 60 s: the pool's 30 s, then 30 s more for the
    journal entry of the answer already made."""
    monkeypatch.setattr(pg, "POOL_WAIT", 2.0)
    monkeypatch.setattr(pg, "JOURNAL_WAIT", 2.0)
    url = postgres.new_database()
    app = create_app(Settings(db=url))
    api = Api(app.test_client())
    database = url.partition("?")[0].rsplit("/", 1)[1]
    try:
        assert api.list().status_code == 200
        with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
            cut_connections(postgres, url)
            away = sql.SQL("ALTER DATABASE {} RENAME TO {}")  # no new connection: as if down
            admin.execute(away.format(sql.Identifier(database), sql.Identifier(database + "_x")))
            try:
                assert api.list().status_code == 503  # the lost connection: at once
                started = time.monotonic()
                response = api.list()  # no connection within the pool's wait
                waited = time.monotonic() - started
            finally:
                admin.execute(
                    away.format(sql.Identifier(database + "_x"), sql.Identifier(database))
                )
        assert response.status_code == 503
        # the pool's 2 s, then its journal entry 0.2 s (it waited the pool's wait again)
        assert waited < pg.POOL_WAIT + 1, waited
    finally:
        mock_of(app).close()
        postgres.drop_database(url)


def test_a_database_holding_tables_kore_mock_did_not_make_is_named_so(postgres):
    url = postgres.new_database(empty=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE contacts (id serial PRIMARY KEY, name text)")
    try:
        with pytest.raises(StoreUnavailable) as refused:
            open_store(url)
        assert "holds tables kore-mock did not make" in str(refused.value)
        assert 'relation "contacts" already exists' in str(refused.value)
    finally:
        postgres.drop_database(url)


def test_a_server_that_may_open_more_connections_than_postgresql_takes_is_told_so(
    postgres, tmp_path
):
    """Past max_connections a worker whose pool got none answered every request 503; the
    banner now says so at start-up (sqlite: no such limit)."""
    url = postgres.new_database()
    store = open_store(url)
    try:
        assert store.connection_room(1) is None
        note = store.connection_room(10_000)
        assert note is not None and "10000 worker(s) x 8 may open" in note, note
        assert "size max_connections" in note
    finally:
        store.close()
        postgres.drop_database(url)
    sqlite = open_store(str(tmp_path / "x.db"))
    assert sqlite.connection_room(10_000) is None
    sqlite.close()
