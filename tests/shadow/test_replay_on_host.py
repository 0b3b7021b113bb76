"""A recording replayed against a host over HTTP: the contract suite's safety rules apply."""

from __future__ import annotations

import json
import uuid

from contract_tests.settings import SuiteSettings
from contract_tests.target import open_target
from mockserver.settings import DEV_APP
from mockserver.shadow.host_replay import replay_on_host
from mockserver.shadow.recording import read_recording
from tests.shadow.conftest import Tenant, fictitious, kore_mock, person, shadowing
from tests.shadow.test_replay import record_session


def host_target(url: str, stream: str | None = None, rate: int = 0):
    env = {
        "KORE_BASE_URL": url,
        "KORE_STREAM_ID": stream or f"st-{uuid.uuid4()}",
        "KORE_ACCOUNT_ID": DEV_APP.account_id,
        "KORE_CLIENT_ID": DEV_APP.client_id,
        "KORE_CLIENT_SECRET": DEV_APP.client_secret,
        "KORE_RATE_PER_MINUTE": str(rate),
    }
    return open_target(SuiteSettings.from_env(env))


def test_a_recording_replays_alike_on_the_host_it_was_made_on(divergent_host, tmp_path):
    file = str(tmp_path / "tenant.jsonl")
    record_session(divergent_host, file)
    result = replay_on_host(read_recording(file), host_target(divergent_host))
    assert result.report.differing == [], result.report.to_text()
    assert len(result.report.items) == 9 and result.not_sent == 0
    assert result.before == result.after == 0 and result.cleanup.remaining == []


def test_a_replay_leaves_the_namespace_as_it_found_it(divergent_host, tmp_path):
    file = str(tmp_path / "tenant.jsonl")
    with shadowing(divergent_host, record=file) as (url, _):
        tenant = Tenant(url)
        tenant.create(person("Ada", "Lovelace", fictitious()), person("Al", "T", fictitious()))
    stream = f"st-{uuid.uuid4()}"
    someone = Tenant(divergent_host, stream=stream)
    assert someone.create(person("Old", "Timer", fictitious())).status_code == 200
    before = someone.list().json()["results"]
    result = replay_on_host(read_recording(file), host_target(divergent_host, stream))
    assert result.report.differing == []
    assert result.before == result.after == 1 and result.cleanup.deleted == 2
    assert someone.list().json()["results"] == before


def test_the_same_recording_differs_on_a_host_reading_otherwise(
    divergent_host, default_host, tmp_path
):
    file = str(tmp_path / "tenant.jsonl")
    record_session(divergent_host, file)
    result = replay_on_host(read_recording(file), host_target(default_host))
    first = result.report.differing[0]  # a host cannot be made to follow: later lists differ too
    assert first.recorded.operation == "importContacts"
    assert (first.recorded_status, first.status) == (400, 200)
    assert result.after == 0


def test_a_recorded_request_with_a_real_looking_number_is_not_sent(default_host, tmp_path):
    file = tmp_path / "real.jsonl"
    with_real_number = {
        "recording": "kore-mock/1",
        "seq": 1,
        "operation": "createContacts",
        "request": {
            "method": "POST",
            "path": "/agentassist/api/v1/public/st-x/contacts",
            "headers": {"Content-Type": "application/json", "auth": "REDACTED"},
            "body": [person("Real", "Person", ("9876543210", "+91"))],
        },
        "response": {"status": 200, "body": []},
    }
    file.write_text(json.dumps(with_real_number) + "\n")
    result = replay_on_host(read_recording(file), host_target(default_host))
    (item,) = result.report.items
    assert item.status is None and "not fictitious" in item.note
    assert result.not_sent == 1


def test_replay_upstream_without_a_stream_names_its_flags_not_a_variable_it_never_reads(tmp_path):
    """It said "--upstream (KORE_BASE_URL) is set": replay never reads KORE_BASE_URL."""
    recording = tmp_path / "rec.jsonl"
    recording.write_text("")
    run = kore_mock("replay", str(recording), "--upstream", "http://127.0.0.1:9", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "--upstream is set, so --stream-id (KORE_STREAM_ID) is required too" in run.stderr
