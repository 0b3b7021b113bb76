"""A recording made through the proxy replayed against a fresh mock: a regression test."""

from __future__ import annotations

from mockserver.settings import Settings
from mockserver.shadow.recording import read_recording
from mockserver.shadow.replay import replay_on_mock
from tests.shadow.conftest import Tenant, all_seven, divergent_settings, fictitious, shadowing


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
    assert "9 exchange(s), 1 differing" in text
