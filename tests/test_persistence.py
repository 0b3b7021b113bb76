"""Data in a SQLite file or a PostgreSQL database survives a restart of the app."""

from mockserver.app import create_app
from mockserver.mock import mock_of
from mockserver.settings import Settings
from tests.conftest import TEST_APPS, Api, person


def test_restart_on_the_same_database_finds_the_data(db_url):
    settings = Settings(db=db_url, apps=TEST_APPS)
    first = create_app(settings)
    created = Api(first.test_client()).create([person("john", "doe", "9876543210")]).get_json()
    mock_of(first).close()

    second = create_app(settings)
    api = Api(second.test_client())
    assert [c["id"] for c in api.list().get_json()["results"]] == [created[0]["id"]]
    assert api.create([person("x", "y", "9876543210")]).get_json() == []  # still held
    mock_of(second).close()


def test_memory_store_starts_empty_each_time():
    for _ in range(2):
        app = create_app(Settings(db=":memory:", apps=TEST_APPS))
        api = Api(app.test_client())
        assert api.list().get_json()["totalResults"] == 0
        api.create([person("john", "doe", "9876543210")])


def _banners_around(tmp_path, method: str, path: str, body: dict) -> tuple[str, str]:
    """The banners of two servers started one after the other on one store, the first changed
    through its control plane (``method path body``, answered 2xx) before it stopped."""
    import json
    import urllib.request

    from tests.hostile.live import LiveServer

    first = LiveServer(tmp_path, {})
    try:
        request = urllib.request.Request(
            first.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert 200 <= reply.status < 300
    finally:
        first.stop()
    second = LiveServer(tmp_path, {})
    second.stop()
    return first.output, second.output


def test_a_restart_on_a_store_with_run_time_changes_says_they_are_in_force(tmp_path):
    """Apps added at run time outlive a restart and win over the settings file's: the banner
    says so (it named the file's app and token command, which then got 401, and nothing else)."""
    app = {"clientId": "cs-extra", "accountId": "63c7ebae6a2aef36de8f0001"}
    first, second = _banners_around(tmp_path, "POST", "/__mock__/apps", app)
    assert "note" not in first
    assert "this store keeps run-time changes made through the control plane (apps)" in second


def test_a_restart_banner_shows_the_readings_the_store_keeps_not_the_start_up_ones(tmp_path):
    """A policy and a rate limit set at run time win over the flags after a restart: the
    banner's store and profile lines show the values in force and the note names them (it said
    ``import policy: skip`` and ``the defaults`` while every import was refused whole)."""
    change = {"importPolicy": "reject", "rateLimit": {"enabled": True, "perMinute": 7}}
    first, second = _banners_around(tmp_path, "PATCH", "/__mock__/settings", change)
    assert "import policy: skip" in first
    assert "import policy: reject" in second
    assert "profile    importPolicy: reject" in second
    assert "(profile readings (importPolicy: reject), rate limit (7 a minute))" in second
