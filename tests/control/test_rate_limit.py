"""Kore's rate limit: N calls per minute per account, then 429 with Retry-After."""

from __future__ import annotations

import pytest

from mockserver.api import hooks
from mockserver.errors import RATE_LIMIT_MSG
from mockserver.mock import mock_of
from mockserver.settings import DEV_APP, RateLimit
from tests.conftest import OTHER_ACCOUNT_APP, base, person

MINUTE_START = 1_700_000_040.0  # a whole minute (divisible by 60)


@pytest.fixture
def clock(monkeypatch):
    now = [MINUTE_START + 10]
    monkeypatch.setattr(hooks, "wall_clock", lambda: now[0])
    return now


def test_the_call_after_the_limit_in_a_minute_is_refused_with_429(control, api, clock):
    control.settings(rateLimit={"enabled": True, "perMinute": 3})
    assert [api.list().status_code for _ in range(3)] == [200, 200, 200]
    response = api.list()
    assert response.status_code == 429
    assert response.get_json() == {"errors": [{"msg": RATE_LIMIT_MSG, "code": 429}]}
    assert response.headers["Retry-After"] == "50"
    entry = control.get("/__mock__/journal?status=429").get_json()["entries"][0]
    assert entry["rateLimited"] is True and entry["caller"] == api.app.client_id


def test_the_limit_counts_every_operation_of_the_account(control, api, clock):
    control.settings(rateLimit={"enabled": True, "perMinute": 2})
    api.list()
    api.create([person("a", "b", "9876543210")])
    assert api.delete("0" * 24).status_code == 429


def test_each_account_has_its_own_limit(control, api, clock):
    control.settings(rateLimit={"enabled": True, "perMinute": 1})
    assert api.list().status_code == 200
    assert api.list().status_code == 429
    assert api.as_app(OTHER_ACCOUNT_APP).list().status_code == 200


def test_a_new_minute_allows_calls_again(control, api, clock):
    control.settings(rateLimit={"enabled": True, "perMinute": 1})
    api.list()
    clock[0] = MINUTE_START + 59.5
    response = api.list()
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    clock[0] = MINUTE_START + 60
    assert api.list().status_code == 200


def test_switching_the_limit_off_lets_every_call_through(control, api, clock):
    control.settings(rateLimit={"enabled": True, "perMinute": 1})
    api.list()
    control.settings(rateLimit={"enabled": False})
    assert all(api.list().status_code == 200 for _ in range(5))


def test_the_limit_is_off_by_default(api):
    assert all(api.list().status_code == 200 for _ in range(70))


def test_the_limit_of_the_settings_file_applies_from_the_start(settings, clock):
    from dataclasses import replace

    from mockserver.app import create_app
    from tests.conftest import Api

    app = create_app(replace(settings, rate_limit=RateLimit(enabled=True, per_minute=2)))
    try:
        api = Api(app.test_client())
        assert [api.list().status_code for _ in range(3)] == [200, 200, 429]
    finally:
        mock_of(app).close()


def test_control_plane_is_not_rate_limited(control, api, clock):
    control.settings(rateLimit={"enabled": True, "perMinute": 1})
    api.list()
    assert all(control.get("/__mock__/health").status_code == 200 for _ in range(5))


def test_calls_without_a_valid_account_are_not_counted(control, api, clock):
    control.settings(rateLimit={"enabled": True, "perMinute": 1})
    response = api.client.get(base(), headers={"auth": api.token, "accountId": "no pe!"})
    assert response.status_code == 412
    assert api.list().status_code == 200


def test_an_account_spelled_in_upper_case_uses_up_the_same_limit(control, api, clock):
    """63C7... and 63c7... are one account (its ids are hex; the header is the client's): a
    client cannot double its quota by changing the case, and the journal names one namespace."""
    control.settings(rateLimit={"enabled": True, "perMinute": 2})
    upper = api.as_app(DEV_APP, api.account.upper())
    assert [api.list().status_code, upper.list().status_code] == [200, 200]
    assert upper.list().status_code == 429
    assert api.list().status_code == 429
    entries = control.get("/__mock__/journal").get_json()["entries"]
    assert {e["namespace"]["accountId"] for e in entries} == {api.account}
