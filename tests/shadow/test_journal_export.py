"""The journal keeps request bodies (redacted) and exports as a recording ``replay`` reads."""

from __future__ import annotations

import io
import json

from mockserver.app import create_app
from mockserver.auth import mint_token
from mockserver.redact import REDACTED
from mockserver.settings import DEV_APP, Settings
from mockserver.shadow.host_replay import replay_on_host
from mockserver.shadow.recording import parse_lines
from mockserver.shadow.replay import replay_on_mock
from tests.control.conftest import Control
from tests.shadow.conftest import API, CSV_HEADER, fictitious, person
from tests.shadow.test_replay_on_host import host_target

STREAM = "st-journal-export"
BASE = f"{API}/{STREAM}/contacts"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNzLXgifQ.c2lnbmF0dXJl"


def app_session(client) -> None:
    """What a user's app might do against the mock in its tests."""
    headers = {"auth": mint_token(DEV_APP), "accountId": DEV_APP.account_id}
    number, other = fictitious(), fictitious()
    made = client.post(BASE, json=[person("Ada", JWT, number)], headers=headers)
    assert made.status_code == 200
    rows = f"{CSV_HEADER}\nGrace,Hopper,Ms,{other[0]},{other[1]},\nAl,T,Mr,{other[0]},{other[1]},\n"
    imported = client.post(
        BASE + "/import-contacts",
        data={"result_file": (io.BytesIO(rows.encode()), "c.csv", "text/csv")},
        headers=headers,
    )
    assert imported.status_code == 200 and len(imported.get_json()) == 1
    contact_id = made.get_json()[0]["id"]
    assert (
        client.put(f"{BASE}/{contact_id}", json={"firstName": "A"}, headers=headers).status_code
        == 200
    )
    assert client.get(BASE, headers=headers).status_code == 200
    assert client.delete(f"{BASE}/{contact_id}", headers=headers).status_code == 200


def test_a_journal_entry_keeps_the_request_body_without_credentials():
    app = create_app(Settings(db=":memory:"))
    client = app.test_client()
    app_session(client)
    control = Control(client)
    listed = control.get("/__mock__/journal?limit=10").get_json()["entries"]
    assert all("request" not in e for e in listed)  # the list stays light
    created = control.get(f"/__mock__/journal/{listed[-1]['id']}").get_json()
    assert json.loads(created["request"]["bodyText"])[0]["lastName"] == REDACTED
    assert created["request"]["headers"]["auth"] == REDACTED
    assert created["response"]["created"] == 1
    assert json.loads(created["response"]["bodyText"])[0]["id"]
    imported = control.get(f"/__mock__/journal/{listed[-2]['id']}").get_json()
    assert "result_file" in imported["request"]["bodyText"]


def test_the_journal_export_replays_alike_on_a_fresh_mock():
    app = create_app(Settings(db=":memory:"))
    client = app.test_client()
    app_session(client)
    export = Control(client).get("/__mock__/journal/export")
    assert export.headers["Content-Type"] == "application/x-ndjson"
    text = export.get_data(as_text=True)
    assert mint_token(DEV_APP)[:20] not in text and "eyJ" not in text
    recorded = list(parse_lines(text.splitlines(), "export"))
    assert [r.operation for r in recorded] == [
        "createContacts",
        "importContacts",
        "updateContact",
        "listContacts",
        "deleteContact",
    ]
    report = replay_on_mock(recorded, Settings(db=":memory:"), "a fresh mock")
    assert report.differing == [], report.to_text()


def test_what_the_app_sent_the_mock_is_checked_against_a_divergent_host(divergent_host):
    app = create_app(Settings(db=":memory:"))
    client = app.test_client()
    app_session(client)
    text = Control(client).get("/__mock__/journal/export").get_data(as_text=True)
    result = replay_on_host(
        list(parse_lines(text.splitlines(), "export")), host_target(divergent_host)
    )
    first = result.report.differing[0]
    assert first.recorded.operation == "importContacts"
    assert (first.recorded_status, first.status) == (200, 400)
    assert result.not_sent == 0 and result.after == 0


def test_an_export_line_is_a_recording_line():
    app = create_app(Settings(db=":memory:"))
    client = app.test_client()
    app_session(client)
    line = json.loads(
        Control(client).get("/__mock__/journal/export?operation=createContacts").get_data()
    )
    assert line["recording"] == "kore-mock/1" and line["source"] == "journal"
    assert line["request"]["body"][0]["lastName"] == REDACTED  # JSON bodies as JSON
    assert line["response"]["status"] == 200 and line["response"]["refused"] == 0
