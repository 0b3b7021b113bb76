"""The README's test command never leaves the machine: with the KORE_* target variables exported
(as for a real tenant), a plain pytest run of the contract suite tests kore-mock in-process and
sends nothing to that host; only `--kore-target` (or `kore-mock contract`) uses them."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mockserver.auth import mint_token
from mockserver.settings import DEV_APP
from tests.live import contract_env
from tests.server_process import free_port

ROOT = Path(__file__).resolve().parent.parent
QUICK = ("-k", "same_name_with_different_numbers")  # one scenario: the run is set up whole


def exported_target(base_url: str) -> dict[str, str]:
    """The environment of someone who exported a real tenant's variables."""
    return contract_env(
        base_url,
        JWT=mint_token(DEV_APP),
        CLIENT_ID=DEV_APP.client_id,
        CLIENT_SECRET=DEV_APP.client_secret,
        EXAMPLES="2",
        STATEFUL_EXAMPLES="1",
        COVERAGE="0",
    )


def pytest_run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m pytest` from the repository, as the README's test command runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "contract_tests", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


class Trap:
    """A port that accepts connections and counts them, never answering."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            client.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.close()


@pytest.mark.parametrize("where", ["nothing listens", "a trap counts connections"])
def test_the_test_command_ignores_an_exported_target_and_sends_it_nothing(tmp_path, where):
    trap = Trap() if where.startswith("a trap") else None
    port = trap.port if trap else free_port()  # bound and closed: nothing listens there
    try:
        result = pytest_run(exported_target(f"http://127.0.0.1:{port}"), tmp_path, *QUICK)
    finally:
        if trap:
            trap.close()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "target        kore-mock in-process" in output
    assert "ignored       KORE_BASE_URL, KORE_STREAM_ID, KORE_ACCOUNT_ID, KORE_JWT" in output
    if trap:
        assert trap.connections == 0


def test_kore_target_makes_the_suite_use_the_exported_host(tmp_path):
    port = free_port()  # nothing listens: the suite says it cannot reach the host
    result = pytest_run(exported_target(f"http://127.0.0.1:{port}"), tmp_path, "--kore-target")
    output = result.stdout + result.stderr
    assert result.returncode == 4, output[-3000:]  # pytest's usage error: nothing ran
    assert f"cannot list the contacts of http://127.0.0.1:{port}" in output


@pytest.mark.parametrize("base_url", [None, "", "  "])
def test_kore_target_without_a_host_is_a_usage_error_not_a_green_in_process_run(tmp_path, base_url):
    # a CI job whose KORE_BASE_URL secret is missing tested the in-process mock and passed
    env = exported_target("http://unused")
    env.pop("KORE_BASE_URL")
    if base_url is not None:
        env["KORE_BASE_URL"] = base_url
    result = pytest_run(env, tmp_path, "--kore-target", *QUICK)
    output = result.stdout + result.stderr
    assert result.returncode == 4, output[-3000:]
    assert "KORE_BASE_URL is not set (or empty)" in output
