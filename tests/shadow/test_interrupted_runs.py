"""A run against a host stopped by SIGTERM or Ctrl-C leaves the namespace as it found it,
wherever the signal lands: in a request the host is still answering (the host finished a save
after the run's cleanup had listed the namespace, and the contacts stayed), or in the cleanup
itself (the cleanup ended there, and the contacts stayed). Each stand-in host is slowed where
the signal must land; the run is a subprocess, as a user (or a CI job's timeout) stops it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from contract_tests.interrupts import held, signals_stop, stopping
from mockserver.settings import DEV_APP
from tests.live import ROOT, kore_mock_serve
from tests.shadow.conftest import DEV_APP_FLAGS, Tenant, fictitious, person

RUN_TIMEOUT = 120  # seconds a stopped run may take to clean up and end


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
    return subprocess.Popen(
        [sys.executable, "-m", "mockserver.cli", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def slow(url: str, operation: str, ms: int) -> None:
    answer = requests.put(f"{url}/__mock__/faults/{operation}", json={"latencyMs": ms}, timeout=10)
    assert answer.status_code == 200, answer.text


def answered(url: str, stream: str, operation: str) -> int:
    """How many requests of ``operation`` on ``stream`` the host has answered."""
    entries = requests.get(f"{url}/__mock__/journal?limit=1000", timeout=10).json()["entries"]
    return sum(
        e["operation"] == operation and (e.get("namespace") or {}).get("streamId") == stream
        for e in entries
    )


def wait_until_answered(url: str, stream: str, operation: str, *, count: int = 1) -> None:
    deadline = time.monotonic() + 60
    while answered(url, stream, operation) < count:
        assert time.monotonic() < deadline, f"the run sent no {operation} in 60 s"
        time.sleep(0.05)


def stop(process: subprocess.Popen[str], how: str) -> tuple[int, str]:
    process.send_signal(getattr(signal, how))
    output, _ = process.communicate(timeout=RUN_TIMEOUT)
    return process.returncode, output


def fidelity(url: str, stream: str, tmp_path: Path) -> subprocess.Popen[str]:
    out = str(tmp_path / "out")
    return start(
        *("fidelity", "--base-url", url, "--stream-id", stream, *DEV_APP_FLAGS, "--out", out),
        cwd=tmp_path,
    )


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_a_fidelity_run_stopped_during_a_probes_cleanup_still_cleans_up(tmp_path, how):
    stream = f"st-stopped-{uuid.uuid4()}"
    with kore_mock_serve("--db", ":memory:", cwd=tmp_path) as url:
        slow(url, "listContacts", 1500)  # each listing of the cleanup takes 1.5 s
        run = fidelity(url, stream, tmp_path)
        wait_until_answered(url, stream, "importContacts")  # importPolicy stored two rows...
        time.sleep(0.5)  # ...and its cleanup is listing them
        status, output = stop(run, how)
        assert status == 2, output
        assert "kore-mock fidelity was interrupted during probe importPolicy" in output, output
        assert "the namespace is as found" in output, output
        requests.delete(f"{url}/__mock__/faults", timeout=10)
        assert Tenant(url, stream).list().json()["totalResults"] == 0


def test_a_fidelity_run_stopped_while_the_host_stores_an_import_waits_for_it_and_deletes_it(
    tmp_path,
):
    stream = f"st-stopped-{uuid.uuid4()}"
    with kore_mock_serve("--db", ":memory:", cwd=tmp_path) as url:
        slow(url, "importContacts", 2000)
        run = fidelity(url, stream, tmp_path)
        assert run.stdout is not None
        for line in run.stdout:  # bounded: the run ends after its last probe
            if line.startswith("probe importPolicy"):
                break
        time.sleep(0.8)  # the upload is sent; the host answers it in 2 s
        status, output = stop(run, "SIGTERM")
        assert status == 2, output
        assert "the namespace is as found" in output, output
        time.sleep(2.5)  # had the run left the import behind, the host would store it now
        assert Tenant(url, stream).list().json()["totalResults"] == 0


def test_a_replay_on_a_host_stopped_while_the_host_stores_a_save_deletes_it(tmp_path):
    recording = tmp_path / "session.jsonl"
    exchange = {
        "recording": "kore-mock/1",
        "seq": 1,
        "operation": "createContacts",
        "request": {
            "method": "POST",
            "path": "/agentassist/api/v1/public/st-recorded/contacts",
            "headers": {"Content-Type": "application/json", "auth": "REDACTED"},
            "body": [person("Ada", "Lovelace", fictitious()), person("Al", "T", fictitious())],
        },
        "response": {"status": 200, "body": []},
    }
    recording.write_text(json.dumps(exchange) + "\n")
    stream = f"st-stopped-{uuid.uuid4()}"
    with kore_mock_serve("--db", ":memory:", cwd=tmp_path) as url:
        slow(url, "createContacts", 2000)
        run = start(
            *("replay", str(recording), "--upstream", url, "--stream-id", stream),
            *("--account-id", DEV_APP.account_id, "--client-id", DEV_APP.client_id),
            *("--client-secret", DEV_APP.client_secret),
            cwd=tmp_path,
        )
        wait_until_answered(url, stream, "listContacts")  # the namespace before: the save is next
        time.sleep(0.5)
        status, output = stop(run, "SIGTERM")
        assert status == 2, output
        assert "kore-mock replay was interrupted after its cleanup" in output, output
        time.sleep(2.5)
        assert Tenant(url, stream).list().json()["totalResults"] == 0


def signalled() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.01)  # Python runs the handler between two bytecodes of this thread


def test_a_signal_inside_a_held_section_is_raised_at_its_end_and_one_outside_at_once():
    done = []
    with pytest.raises(KeyboardInterrupt), signals_stop(), held():
        signalled()
        done.append("the rest of the section")
    assert done == ["the rest of the section"]
    with pytest.raises(KeyboardInterrupt), signals_stop():
        signalled()
        done.append("never")
    assert "never" not in done


def test_a_second_signal_while_one_is_held_is_raised_at_once():
    done = []
    with pytest.raises(KeyboardInterrupt), signals_stop(), held():
        signalled()
        done.append("after the first")
        signalled()
        done.append("never")
    assert done == ["after the first"]
    assert not stopping()


def test_a_section_of_a_run_that_is_ending_anyway_drops_the_signal():
    with signals_stop():
        with held(then_raise=False):
            signalled()
            assert stopping()
        assert not stopping()
