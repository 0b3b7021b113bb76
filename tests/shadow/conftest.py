"""Stand-ins for real hosts: ``kore-mock serve`` subprocesses on loopback, one with the default
readings and one *divergent* (another import policy), and a client of the vendor API."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from contract_tests.numbers import NumberPool
from mockserver.auth import mint_token
from mockserver.profile import Profile
from mockserver.settings import DEV_APP, Settings
from mockserver.shadow.mirror import Mirror
from mockserver.shadow.proxy import ShadowProxy
from mockserver.shadow.recording import RecordingWriter
from mockserver.shadow.upstream import Upstream
from mockserver.testing import serve_wsgi
from tests.live import ROOT, kore_mock_serve, kore_mock_server

# the host flags of the development app, unthrottled (loopback): fidelity and replay --upstream
DEV_APP_FLAGS = (
    "--account-id",
    DEV_APP.account_id,
    "--client-id",
    DEV_APP.client_id,
    "--client-secret",
    DEV_APP.client_secret,
    "--rate-per-minute",
    "0",
)

API = "/agentassist/api/v1/public"
CSV_HEADER = "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension"
# what the divergent host reads differently from kore-mock's defaults (a `serve --profile` file)
DIVERGENT = {"importPolicy": "reject", "validationStatus": 400}
DIVERGENT_YAML = "".join(f"{name}: {value}\n" for name, value in DIVERGENT.items())
_numbers = NumberPool()


@pytest.fixture(scope="session")
def default_host(tmp_path_factory) -> Iterator[str]:
    with kore_mock_serve("--db", ":memory:", cwd=tmp_path_factory.mktemp("default")) as url:
        yield url


@pytest.fixture(scope="session")
def divergent_host(tmp_path_factory) -> Iterator[str]:
    where = tmp_path_factory.mktemp("divergent")
    profile = where / "divergent.yaml"
    profile.write_text(DIVERGENT_YAML)
    with kore_mock_serve("--db", ":memory:", "--profile", str(profile), cwd=where) as url:
        yield url


def divergent_settings() -> Settings:
    """A mock reading everything as the divergent host does."""
    settings = Settings(db=":memory:")
    return settings.with_profile(Profile.from_mapping(DIVERGENT), "profile", list(DIVERGENT))


@contextmanager
def shadowing(
    upstream_url: str, settings: Settings | None = None, record: str | None = None
) -> Iterator[tuple[str, ShadowProxy]]:
    """A shadowing proxy in front of ``upstream_url`` on a loopback port: (its URL, itself)."""
    proxy = ShadowProxy(
        Upstream(upstream_url),
        Mirror(settings or Settings(db=":memory:")),
        recorder=RecordingWriter(record) if record else None,
    )
    try:
        with serve_wsgi(proxy) as url:
            yield url, proxy
    finally:
        proxy.close()


def fictitious() -> tuple[str, str]:
    """A fresh fictitious number (the contract suite's pool), as (national digits, code)."""
    number = _numbers.fresh()
    return number.national, number.code()


class Tenant:
    """The vendor API of one host (or a proxy in front of it), on a stream of its own."""

    def __init__(self, url: str, stream: str | None = None, token: str | None = None) -> None:
        self.url = url
        self.stream = stream or f"st-{uuid.uuid4()}"
        self.token = token or mint_token(DEV_APP)
        self.http = requests.Session()

    @property
    def base(self) -> str:
        return f"{self.url}{API}/{self.stream}/contacts"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"auth": self.token, "accountId": DEV_APP.account_id, **extra}

    def create(self, *items: dict[str, Any]) -> requests.Response:
        return self.http.post(self.base, json=list(items), headers=self.headers())

    def import_rows(self, *rows: tuple[str, str, str, str]) -> requests.Response:
        lines = [CSV_HEADER, *(f"{first},{last},Mr,{n},{c}," for first, last, n, c in rows)]
        text = "\n".join(lines) + "\n"
        files = {"result_file": ("contacts.csv", text.encode(), "text/csv")}
        return self.http.post(self.base + "/import-contacts", files=files, headers=self.headers())

    def list(self, **query: Any) -> requests.Response:
        return self.http.get(self.base, params=query or None, headers=self.headers())

    def update(self, contact_id: str, patch: dict[str, Any]) -> requests.Response:
        return self.http.put(f"{self.base}/{contact_id}", json=patch, headers=self.headers())

    def bulk_update(self, *items: dict[str, Any]) -> requests.Response:
        return self.http.put(self.base + "/bulk-update", json=list(items), headers=self.headers())

    def delete(self, contact_id: str) -> requests.Response:
        return self.http.delete(f"{self.base}/{contact_id}", headers=self.headers())

    def bulk_delete(self, ids: list[str]) -> requests.Response:
        return self.http.delete(
            self.base + "/bulk-delete", json={"ids": ids}, headers=self.headers()
        )


def person(first: str, last: str, number: tuple[str, str]) -> dict[str, Any]:
    national, code = number
    return {
        "firstName": first,
        "lastName": last,
        "salutation": "Mr",
        "cellPhone": {"phoneNumber": national, "countryCode": code, "extension": ""},
    }


def shadow(proxy_url: str, **query: Any) -> dict[str, Any]:
    response = requests.get(proxy_url + "/__mock__/shadow", params=query or None, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def all_seven(tenant: Tenant) -> None:
    """One call of each of the seven operations, each expected to succeed on any reading."""
    a, b, c = fictitious(), fictitious(), fictitious()
    created = tenant.create(person("Ada", "Lovelace", a), person("Alan", "Turing", b))
    assert created.status_code == 200, created.text
    first, second = (x["id"] for x in created.json())
    imported = tenant.import_rows(("Grace", "Hopper", *c))
    assert imported.status_code == 200, imported.text
    third = imported.json()[0]["id"]
    assert tenant.list(skip=0, limit=10).status_code == 200
    assert tenant.update(first, {"firstName": "Augusta"}).status_code == 200
    assert tenant.bulk_update({"id": second, "lastName": "M. Turing"}).status_code == 200
    assert tenant.delete(third).status_code == 200
    assert tenant.bulk_delete([first, second]).status_code == 200
    assert tenant.list().json()["totalResults"] == 0


@contextmanager
def kore_mock_proxy(upstream: str, *args: str, cwd: Any) -> Iterator[str]:
    """``kore-mock proxy --upstream URL`` as a subprocess; yields its URL once it answers."""
    with kore_mock_server("proxy", "--upstream", upstream, *args, cwd=cwd, env=_clean_env()) as url:
        yield url


def kore_mock(
    *args: str, cwd: Any, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """One ``kore-mock`` command, to its end (``env``: variables added to a clean environment)."""
    return subprocess.run(
        [sys.executable, "-m", "mockserver.cli", *args],
        cwd=cwd,
        env={**_clean_env(), "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
