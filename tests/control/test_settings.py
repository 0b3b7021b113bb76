"""Run-time settings: the import policy and the rate limit, changed while the server runs."""

from __future__ import annotations

from mockserver.app import create_app
from mockserver.mock import mock_of
from mockserver.settings import RateLimit, Settings
from tests.conftest import TEST_APPS, Api, csv_file
from tests.control.conftest import Control


def test_settings_show_the_start_up_values(control):
    assert control.get("/__mock__/settings").get_json() == {
        "importPolicy": "skip",
        "rateLimit": {"enabled": False, "perMinute": 60},
        "journalSize": 10000,
        "adminTokenRequired": False,
    }


def test_switching_the_import_policy_to_reject_changes_the_next_import(control, api):
    data = csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543210,+91,")
    body = control.settings(importPolicy="reject").get_json()
    assert body["importPolicy"] == "reject"
    response = api.import_csv(data)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["reason"] == "DUPLICATE_IN_FILE"
    control.settings(importPolicy="skip")
    assert len(api.import_csv(data).get_json()) == 1


def test_rate_limit_changes_keep_what_is_not_given(control):
    body = control.settings(rateLimit={"perMinute": 5}).get_json()
    assert body["rateLimit"] == {"enabled": False, "perMinute": 5}  # still off
    body = control.settings(rateLimit={"enabled": True}).get_json()
    assert body["rateLimit"] == {"enabled": True, "perMinute": 5}
    body = control.settings(rateLimit={"perMinute": 7}).get_json()
    assert body["rateLimit"] == {"enabled": True, "perMinute": 7}  # still on
    scoped = control.patch(
        "/__mock__/settings?scenario=job-1", json={"rateLimit": {"perMinute": 3}}
    )
    assert scoped.get_json()["rateLimit"] == {"enabled": True, "perMinute": 3}


def test_bad_settings_are_refused_and_change_nothing(control):
    for change in (
        {"importPolicy": "sometimes"},
        {"rateLimit": {"perMinute": 0}},
        {"rateLimit": {"enabled": "yes"}},
        {"colour": "blue"},
        {},
    ):
        assert control.patch("/__mock__/settings", json=change).status_code == 400, change
    assert (
        control.patch("/__mock__/settings", data="x", content_type="text/plain").status_code == 415
    )
    assert control.get("/__mock__/settings").get_json()["importPolicy"] == "skip"


def test_settings_and_faults_are_shared_by_every_process_on_the_store(tmp_path):
    """Two app instances on one SQLite file stand for two gunicorn workers."""
    settings = Settings(db=str(tmp_path / "shared.db"), apps=TEST_APPS, rate_limit=RateLimit())
    first, second = create_app(settings), create_app(settings)
    try:
        Control(first.test_client()).set_fault("listContacts", errorStatus=503)
        Control(first.test_client()).settings(importPolicy="reject")
        other = Control(second.test_client())
        assert other.get("/__mock__/faults").get_json()["faults"] == {
            "listContacts": {"errorStatus": 503, "errorRate": 1}
        }
        assert other.get("/__mock__/settings").get_json()["importPolicy"] == "reject"
        response = Api(second.test_client()).client.get(
            "/agentassist/api/v1/public/st-1/contacts",
            headers=Api(second.test_client()).headers(),
        )
        assert response.status_code == 503
    finally:
        for app in (first, second):
            mock_of(app).close()


def test_a_rate_limit_of_5_0_per_minute_is_taken_as_5(control):
    for scope in ("", "?scenario=job-1"):
        body = control.patch(
            "/__mock__/settings" + scope, json={"rateLimit": {"perMinute": 5.0}}
        ).get_json()
        assert repr(body["rateLimit"]["perMinute"]) == "5"


def test_settings_show_the_journal_size_the_server_was_started_with():
    app = create_app(Settings(db=":memory:", apps=TEST_APPS, journal_size=50))
    try:
        shown = Control(app.test_client()).get("/__mock__/settings").get_json()
        assert shown["journalSize"] == 50
    finally:
        mock_of(app).close()
