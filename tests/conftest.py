"""Fixture chain: db_url (each test runs on SQLite and on PostgreSQL) -> settings -> app -> api
(a client whose every response is checked against openapi.yaml) -> helpers that speak the
vendor API."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import hypothesis
import jwt
import pytest

from mockserver.app import create_app
from mockserver.auth import mint_token
from mockserver.ci import hypothesis_profile, in_ci
from mockserver.mock import mock_of
from mockserver.settings import DEV_APP, App, Limits, Settings
from mockserver.store import open_store
from mockserver.store.base import Store
from tests.postgres_cluster import ClusterUnavailable, PostgresCluster, start_cluster
from tests.spec_check import check_response

ACCOUNT = DEV_APP.account_id
STREAM = "st-11111111-2222-4333-8444-555555555555"
OTHER_STREAM = "st-99999999-2222-4333-8444-555555555555"
OTHER_ACCOUNT = "aaaaaaaaaaaaaaaaaaaaaaaa"
SECRET = "a-secret-of-32-or-more-characters-for-tests"

NO_SCOPE_APP = App("cs-no-scope", SECRET + "-x", ACCOUNT, scopes=("Analytics",))
OTHER_ACCOUNT_APP = App("cs-other-account", SECRET + "-y", OTHER_ACCOUNT)
ONE_STREAM_APP = App("cs-one-stream", SECRET + "-z", ACCOUNT, streams=(OTHER_STREAM,))
TEST_APPS = (DEV_APP, NO_SCOPE_APP, OTHER_ACCOUNT_APP, ONE_STREAM_APP)

HEADER = "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension"


def base(stream: str = STREAM) -> str:
    return f"/agentassist/api/v1/public/{stream}/contacts"


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


def person(first: str, last: str, number: str, cc: str = "+91", **extra: Any) -> dict[str, Any]:
    return {
        "firstName": first,
        "lastName": last,
        "salutation": extra.pop("salutation", "Mr"),
        "cellPhone": {"phoneNumber": number, "countryCode": cc, "extension": "", **extra},
    }


class Api:
    """The vendor API through Flask's test client; every answer is checked against the spec."""

    def __init__(self, client: Any, app: App = DEV_APP, account: str = ACCOUNT) -> None:
        self.client = client
        self.app = app
        self.account = account
        self.token = mint_token(app)

    def as_app(self, app: App, account: str | None = None) -> Api:
        return Api(self.client, app, account or app.account_id)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"auth": self.token, "accountId": self.account, **extra}

    def call(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kw: Any):
        response = self.client.open(
            path, method=method, headers=self.headers() if headers is None else headers, **kw
        )
        check_response(
            method,
            path.split("?")[0],
            response.status_code,
            dict(response.headers),
            response.get_data(),
        )
        return response

    def import_csv(self, data: bytes, stream: str = STREAM, field: str = "result_file", **kw: Any):
        return self.call(
            "POST",
            base(stream) + "/import-contacts",
            data={field: (io.BytesIO(data), "contacts.csv", "text/csv")},
            content_type="multipart/form-data",
            **kw,
        )

    def create(self, items: list[dict[str, Any]], stream: str = STREAM, **kw: Any):
        return self.call("POST", base(stream), json=items, **kw)

    def list(self, stream: str = STREAM, **query: Any):
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        return self.call("GET", base(stream) + (f"?{qs}" if qs else ""))

    def all_numbers(self, stream: str = STREAM) -> list[str]:
        numbers, skip = [], 0
        while True:
            page = self.list(stream, skip=skip, limit=100).get_json()
            numbers += [c["cellPhone"]["phoneNumber"] for c in page["results"]]
            if not page["hasMore"]:
                return numbers
            skip += 100

    def update(self, contact_id: str, patch: dict[str, Any], stream: str = STREAM):
        return self.call("PUT", f"{base(stream)}/{contact_id}", json=patch)

    def bulk_update(self, items: list[dict[str, Any]], stream: str = STREAM):
        return self.call("PUT", base(stream) + "/bulk-update", json=items)

    def delete(self, contact_id: str, stream: str = STREAM):
        return self.call("DELETE", f"{base(stream)}/{contact_id}")

    def bulk_delete(self, ids: list[str], stream: str = STREAM):
        return self.call("DELETE", base(stream) + "/bulk-delete", json={"ids": ids})

    def journal(self, entry_id: str | int) -> dict[str, Any]:
        return self.client.get(f"/__mock__/journal/{entry_id}").get_json()


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    hypothesis.settings.load_profile(hypothesis_profile())  # CI as every conftest sees it


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL server per session; required (a failure) when CI=true."""
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL is required in CI and could not be started: {exc}")
        pytest.skip(f"no PostgreSQL for the tests: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A new, empty store on each backend: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "kore-mock.db")
        return
    cluster = request.getfixturevalue("postgres")
    url = cluster.new_database()
    yield url
    cluster.drop_database(url)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """The store itself, opened on ``db_url`` (tests of the store's own contract)."""
    store = open_store(db_url)
    yield store
    store.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(db=db_url, apps=TEST_APPS, limits=Limits(max_import_rows=500))


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    app = create_app(settings)
    yield app
    mock_of(app).close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def api(client: Any) -> Api:
    return Api(client)


@pytest.fixture
def make_token():
    """Forge tokens: any claims, key and algorithm."""

    def make(
        claims: dict[str, Any] | None = None,
        key: str = DEV_APP.client_secret,
        algorithm: str = "HS256",
        **headers: Any,
    ) -> str:
        payload = {"sub": "tests", "appId": DEV_APP.client_id, "iat": int(time.time())}
        payload.update(claims or {})
        return jwt.encode(payload, key, algorithm=algorithm, headers=headers or None)

    return make
