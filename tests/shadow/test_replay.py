"""A recording made through the proxy replayed against a fresh mock: a regression test."""

from __future__ import annotations

import json

from mockserver.settings import Settings
from mockserver.shadow.recording import journal_exchange, parse_lines, read_recording
from mockserver.shadow.replay import replay_on_mock
from tests.shadow.conftest import (
    Tenant,
    all_seven,
    divergent_settings,
    fictitious,
    kore_mock,
    shadowing,
)


def record_session(host: str, file: str) -> None:
    with shadowing(host, record=file) as (url, _):
        tenant = Tenant(url)
        number = fictitious()
        tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
        all_seven(tenant)


def test_a_recording_replays_without_difference_on_a_mock_reading_as_the_host(
    divergent_host, tmp_path
):
    file = str(tmp_path / "tenant.jsonl")
    record_session(divergent_host, file)
    report = replay_on_mock(read_recording(file), divergent_settings(), "a mock")
    assert len(report.items) == 9
    assert report.differing == [], report.to_text()


def test_the_same_recording_differs_on_a_mock_with_the_default_readings(divergent_host, tmp_path):
    file = str(tmp_path / "tenant.jsonl")
    record_session(divergent_host, file)
    report = replay_on_mock(read_recording(file), Settings(db=":memory:"), "a default mock")
    assert [i.recorded.operation for i in report.differing] == ["importContacts"]
    text = report.to_text()
    assert "status: 400 (recorded) vs 200 (replayed)" in text
    assert "9 exchange(s): 9 replayed, 0 not replayed, 1 differing" in text


OLD_ENTRIES = [  # journal entries of an older kore-mock: no request, no response kept
    {
        "id": n,
        "at": "2024-05-01T12:00:00.000Z",
        "operation": "listContacts",
        "method": "GET",
        "path": "/agentassist/api/v1/public/st-old/contacts",
        "status": 200,
    }
    for n in (1, 2, 3)
]

HEADERS = {"accountId": "63c7ebae6a2aef36de8f0001", "auth": "REDACTED"}
BIG = {"headers": HEADERS, "bodyNotKept": True}  # a request body over 1 MiB
KEPT = {"headers": HEADERS}  # a GET, kept whole


def write_export(path, entries) -> str:
    path.write_text("".join(json.dumps(journal_exchange(e)) + "\n" for e in entries))
    return str(path)


def test_a_replay_of_a_journal_an_older_kore_mock_wrote_says_it_replayed_nothing_and_fails(
    tmp_path,
):
    """It said "replayed 3 exchange(s) ... 0 differing", exit 0, and blamed a body over 1 MiB."""
    file = write_export(tmp_path / "old.jsonl", OLD_ENTRIES)
    ran = kore_mock("replay", file, cwd=tmp_path)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    lines = ran.stdout.splitlines()
    assert (
        "3 exchange(s) not replayed: the journal entry kept no request "
        "(written by an older kore-mock)"
    ) in lines
    assert "3 exchange(s): 0 replayed, 3 not replayed, 0 differing" in lines
    assert lines[-1] == "nothing was replayed: the replay checked nothing"
    as_json = json.loads(kore_mock("replay", file, "--json", cwd=tmp_path).stdout)
    assert (as_json["exchanges"], as_json["replayed"], as_json["notReplayed"]) == (3, 0, 3)


def test_exchanges_that_cannot_be_replayed_are_counted_apart_from_those_replayed():
    recorded = [
        *parse_lines([json.dumps(journal_exchange(OLD_ENTRIES[0]))], "export"),
        *parse_lines([json.dumps(journal_exchange({**OLD_ENTRIES[1], "request": BIG}))], "x"),
        *parse_lines([json.dumps(journal_exchange({**OLD_ENTRIES[2], "request": KEPT}))], "y"),
    ]
    report = replay_on_mock(recorded, Settings(db=":memory:"), "a mock")
    assert (report.replayed, len(report.not_replayed)) == (1, 2)
    assert [i.note for i in report.not_replayed] == [
        "not replayed: the journal entry kept no request (written by an older kore-mock)",
        "not replayed: the journal did not keep the request's body (over 1 MiB, or not read)",
    ]
    assert report.to_text().splitlines()[-1] == (
        f"3 exchange(s): 1 replayed, 2 not replayed, {len(report.differing)} differing"
    )


def test_an_exchange_recorded_without_an_answer_is_counted_as_not_replayed():
    line = {
        "recording": "kore-mock/1",
        "seq": 1,
        "source": "upstream",
        "operation": "listContacts",
        "request": {
            "method": "GET",
            "path": "/agentassist/api/v1/public/st-1/contacts",
            "query": "",
            "headers": HEADERS,
        },
    }
    report = replay_on_mock(parse_lines([json.dumps(line)], "r"), Settings(db=":memory:"), "a mock")
    assert [i.note for i in report.not_replayed] == ["not replayed: the recording kept no answer"]
    assert not report.passed
