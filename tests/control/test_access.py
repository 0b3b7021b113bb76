"""Who may use the control plane: loopback callers, or anyone holding the admin token."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mockserver.app import create_app
from mockserver.mock import mock_of
from mockserver.settings import DEV_APP
from tests.conftest import person
from tests.control.conftest import Control

TOKEN = "an-admin-token-for-the-tests"


@pytest.fixture
def guarded(settings):
    app = create_app(replace(settings, admin_token=TOKEN))
    yield app
    mock_of(app).close()


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_loopback_callers_need_no_token(client, address):
    assert Control(client, remote_addr=address).get("/__mock__/health").status_code == 200


@pytest.mark.parametrize("address", ["10.1.2.3", "::ffff:10.1.2.3", "2001:db8::1"])
def test_other_callers_are_refused_without_an_admin_token(client, address):
    remote = Control(client, remote_addr=address)
    for path in ("/__mock__/health", "/__mock__/journal", "/__mock__/ui"):
        response = remote.get(path)
        assert response.status_code == 403
        assert "loopback" in response.get_json()["errors"][0]["msg"]
    assert remote.post("/__mock__/reset").status_code == 403


def test_with_an_admin_token_every_caller_must_send_it(guarded):
    client = guarded.test_client()
    missing = Control(client).get("/__mock__/health")  # loopback too
    wrong = Control(client, token="wrong").get("/__mock__/health")
    assert missing.status_code == wrong.status_code == 403
    assert "needs the header" in missing.get_json()["errors"][0]["msg"]
    assert "does not match" in wrong.get_json()["errors"][0]["msg"]  # told apart
    remote = Control(client, remote_addr="10.1.2.3", token=TOKEN)
    assert remote.get("/__mock__/health").status_code == 200
    assert remote.post("/__mock__/reset").status_code == 200


def test_with_an_admin_token_the_console_page_loads_and_asks_for_it(guarded):
    remote = Control(guarded.test_client(), remote_addr="10.1.2.3")
    page = remote.get("/__mock__/ui")
    assert page.status_code == 200 and b"kore-mock QA console" in page.get_data()
    script = remote.client.get(
        "/__mock__/ui/static/console.js", environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert remote.get("/__mock__/settings").status_code == 403


def test_settings_tell_the_console_a_token_is_required(guarded):
    settings = Control(guarded.test_client(), token=TOKEN).get("/__mock__/settings").get_json()
    assert settings["adminTokenRequired"] is True


def test_head_and_options_work_like_any_http_server(client):
    assert client.head("/__mock__/health").status_code == 200
    options = client.options("/__mock__/settings")
    assert options.status_code == 200 and "PATCH" in options.headers["Allow"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://localhost:21403"},  # another page of the same machine, another port
        {"Origin": "http://evil.example"},
        {"Origin": "null"},  # a sandboxed frame, a file:// page
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_change_asked_by_a_page_of_another_site_is_refused_and_changes_nothing(
    client, api, headers
):
    """A page open in the QA engineer's browser reset the mock and seeded it (a POST without a
    body and a multipart form are sent without asking the server first), or rotated the
    development app's secret; the browser is a loopback caller."""
    api.create([person("a", "b", "9876543210")])
    control = Control(client)
    for path in ("/__mock__/reset", f"/__mock__/apps/{DEV_APP.client_id}/rotate-secret"):
        refused = control.post(path, headers=headers)
        assert refused.status_code == 403, refused.get_json()
        assert "only from its own pages" in refused.get_json()["errors"][0]["msg"]
    assert api.all_numbers() == ["+919876543210"]
    assert control.get("/__mock__/journal", headers=headers).status_code == 200  # reads are


def test_the_consoles_own_pages_and_clients_without_an_origin_may_change_it(client):
    control = Control(client)
    assert control.post("/__mock__/reset").status_code == 200  # curl, the CLI, a test suite
    same = control.post("/__mock__/reset", headers={"Origin": "http://localhost"})
    assert same.status_code == 200  # the console, served by this server
    proxied = control.post(
        "/__mock__/reset",
        headers={"Origin": "https://qa.example", "X-Forwarded-Host": "qa.example"},
    )
    assert proxied.status_code == 200  # behind a reverse proxy that says the browser's host


def test_no_page_of_another_site_may_frame_the_console(client):
    page = Control(client).get("/__mock__/ui")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
