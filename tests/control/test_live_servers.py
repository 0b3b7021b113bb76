"""Faults and the rate limit on real servers: werkzeug's, and gunicorn with two workers."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit

import pytest

from mockserver.auth import mint_token
from mockserver.settings import DEV_APP
from tests.conftest import base
from tests.live import call, kore_mock_serve, threaded_server

HEADERS = {"auth": mint_token(DEV_APP), "accountId": DEV_APP.account_id}


def raw_get(url: str, path: str) -> int:
    """A GET on a fresh connection; raises if the server closes it without an answer."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path, headers=HEADERS)
        return connection.getresponse().status
    finally:
        connection.close()


def test_dropped_connection_on_werkzeug_s_server(app):
    with threaded_server(app) as url:
        call(url + "/__mock__/faults/listContacts", "PUT", {"dropConnection": True})
        with pytest.raises(http.client.RemoteDisconnected):
            raw_get(url, base())
        assert raw_get(url, base() + "/0123456789abcdef01234567") == 405  # other ops go on
        call(url + "/__mock__/faults", "DELETE")
        assert raw_get(url, base()) == 200


def _whole_minute_ahead(seconds: float) -> None:
    """Wait for a new minute when the next ``seconds`` would cross one (rate windows)."""
    left = 60 - time.time() % 60
    if left < seconds:
        time.sleep(left + 0.05)


def test_faults_and_rate_limit_are_shared_by_gunicorn_workers(tmp_path):
    admin = {"X-Mock-Admin-Token": "gunicorn-admin-token"}
    serve = ("--workers", "2", "--admin-token", "gunicorn-admin-token")
    with kore_mock_serve(*serve, cwd=tmp_path) as url:
        assert call(url + "/__mock__/faults")[0] == 403  # serve --admin-token is in force
        fault = {"dropConnection": True}
        call(url + "/__mock__/faults/listContacts", "PUT", fault, headers=admin)
        for _ in range(4):  # whichever worker answers, the connection is dropped
            with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
                raw_get(url, base())
        status, _, entries = call(url + "/__mock__/journal?status=0", headers=admin)
        assert status == 200 and len(entries["entries"]) == 4

        call(url + "/__mock__/faults", "DELETE", headers=admin)
        limit = {"rateLimit": {"enabled": True, "perMinute": 5}}
        call(url + "/__mock__/settings", "PATCH", limit, headers=admin)
        _whole_minute_ahead(10)
        statuses = []
        for _ in range(8):
            status, headers, _ = call(url + base(), headers=HEADERS)
            statuses.append(status)
        assert statuses == [200] * 5 + [429] * 3
        assert 1 <= int(headers["Retry-After"]) <= 60
