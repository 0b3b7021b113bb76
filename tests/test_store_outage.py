"""A PostgreSQL server that restarts under the mock: the requests that meet a lost connection
are 503 with Retry-After in Kore's envelope (they were 500), and the next ones are answered."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from mockserver.app import create_app
from mockserver.mock import mock_of
from mockserver.settings import Settings
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
