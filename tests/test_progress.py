"""Progress of long CLI work: a bar on a terminal, plain lines in a log, nothing for quick work,
and never on standard output (a command's --json answer stays parseable)."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import textwrap
import time

import pytest

from mockserver import progress
from mockserver.progress import Progress
from tests.conftest import ACCOUNT, STREAM, csv_file
from tests.live import ROOT, threaded_server

ROWS = [f"p{i},q{i},Mr,{9800000000 + i},+91," for i in range(300)]


@pytest.fixture
def server(app):
    with threaded_server(app) as url:
        yield url


@pytest.mark.parametrize("mode", [None, "bogus", "0", "off"], ids=["unset", "bogus", "0", "off"])
def test_quick_work_shows_nothing(monkeypatch, mode):
    """With the mode unset, or one kore-mock does not know (read as the default, auto)."""
    if mode is None:
        monkeypatch.delenv("KORE_MOCK_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("KORE_MOCK_PROGRESS", mode)
    stream = io.StringIO()
    with Progress("seed", 1000, stream=stream) as bar:
        bar.advance(1000)
        with bar.waiting("the server works"):
            pass
    assert stream.getvalue() == ""


def test_long_work_in_a_log_is_plain_lines_now_and_then(monkeypatch):
    monkeypatch.setenv("KORE_MOCK_PROGRESS", "always")
    monkeypatch.setattr(progress, "LINE_EVERY_SECONDS", 0.2)
    monkeypatch.setattr(progress, "TICK_SECONDS", 0.05)
    stream = io.StringIO()
    with Progress("snapshot save", 4 * 1024 * 1024, stream=stream) as bar:
        for _ in range(4):
            bar.advance(1024 * 1024)
            time.sleep(0.25)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "snapshot save: 1.0 MiB of 4.0 MiB (25 %)"
    assert lines[-1] == "snapshot save: 4.0 MiB of 4.0 MiB (100 %)"
    assert "\r" not in stream.getvalue()

    stream = io.StringIO()
    with Progress("seed", 10, unit="rows", stream=stream) as bar, bar.waiting("storing"):
        time.sleep(0.5)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "seed: storing" and lines[-1].startswith("seed: storing: done in")
    assert any(line.startswith("seed: storing (") for line in lines[1:-1])  # now and then


def test_never_means_never(monkeypatch):
    monkeypatch.setenv("KORE_MOCK_PROGRESS", "never")
    stream = io.StringIO()
    with Progress("seed", 10, stream=stream) as bar, bar.waiting("storing"):
        bar.advance(10)
    assert stream.getvalue() == ""


def seed_command(tmp_path, url: str, *extra: str) -> list[str]:
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file(*ROWS))
    account = ["--account", ACCOUNT, "--stream", STREAM]
    return [
        sys.executable,
        "-m",
        "mockserver.cli",
        "seed",
        str(path),
        "--url",
        url,
        *account,
        *extra,
    ]


def test_seed_in_a_log_prints_progress_lines_on_stderr_and_clean_json_on_stdout(server, tmp_path):
    result = subprocess.run(
        seed_command(tmp_path, server, "--json"),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "KORE_MOCK_PROGRESS": "always"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["createdCount"] == len(ROWS)
    assert "seed: " in result.stderr and "\r" not in result.stderr
    assert "the server checks and stores them: done in" in result.stderr


def test_seed_on_a_terminal_draws_a_bar(server, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KORE_MOCK_PROGRESS": "always"}
    text = read_terminal(seed_command(tmp_path, server), env)
    assert "seed: 100%|" in text and "█" in text  # the bar, redrawn in place
    assert "\r" in text
    assert f"{len(ROWS)} created, 0 refused." in text


def read_terminal(command: list[str], env: dict[str, str], cwd=None) -> str:
    """Run ``command`` on a pseudo-terminal; everything it drew."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        command, stdout=slave, stderr=slave, close_fds=True, env=env, cwd=cwd
    )
    os.close(slave)
    screen = b""
    deadline = time.time() + 300
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            screen += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    assert process.wait(timeout=10) == 0, screen.decode()[-3000:]
    return screen.decode()


CONTRACT = [sys.executable, "-m", "mockserver.cli", "contract", "--examples", "2"]
CONTRACT += ["--stateful-examples", "1", "--no-coverage", "--", "-k", "number_freed or file"]


def test_contract_in_a_log_adds_progress_lines_with_the_requests_sent(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
    result = subprocess.run(
        CONTRACT,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "KORE_MOCK_PROGRESS": "always"},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("contract: ")]
    assert lines, result.stderr
    last = lines[-1]
    assert " tests (100 %), " in last and " requests, 0 failed" in last
    assert " passed" in result.stdout  # pytest's own report is untouched


def test_contract_on_a_terminal_draws_one_bar_instead_of_dots(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
    screen = read_terminal(
        CONTRACT, {**env, "PYTHONPATH": str(ROOT), "KORE_MOCK_PROGRESS": "always"}, tmp_path
    )
    assert "contract: 100%|" in screen and " requests, 0 failed]" in screen
    assert "test_duplicate_rule.py" not in screen  # no file-by-file rows of dots
    assert " passed" in screen


def test_snapshot_save_and_load_in_a_log_report_their_progress(server, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KORE_MOCK_PROGRESS": "always"}
    seeded = subprocess.run(seed_command(tmp_path, server), env=env, capture_output=True)
    assert seeded.returncode == 0
    path = str(tmp_path / "state.json")
    cli = [sys.executable, "-m", "mockserver.cli", "snapshot"]
    saved = subprocess.run(
        [*cli, "save", path, "--url", server], env=env, capture_output=True, text=True
    )
    assert saved.returncode == 0, saved.stderr
    assert "snapshot save: the server reads its store: done in" in saved.stderr
    assert "snapshot save: " in saved.stderr.replace("the server reads", "")
    loaded = subprocess.run(
        [*cli, "load", path, "--url", server], env=env, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "snapshot load: sent; the server checks and replaces everything: done in" in (
        loaded.stderr
    )
    assert f"Loaded {path}: {len(ROWS)} contacts" in loaded.stdout


def test_a_byte_count_under_a_kib_is_shown_whole():
    assert progress.human_bytes(0) == "0 B"
    assert progress.human_bytes(1000) == "1000 B"
    assert progress.human_bytes(1536) == "1.5 KiB"


CONTRACT_PROGRESS_RUN = """
import io, sys, pytest
from mockserver.contract_progress import ContractProgress
stream = io.StringIO()
pytest.main([sys.argv[1], "-q", "-p", "no:cacheprovider"], plugins=[ContractProgress(stream)])
sys.stderr.write(stream.getvalue())
"""


def test_contract_progress_counts_skipped_and_setup_failures_as_done_and_failed(tmp_path):
    """A test skipped or failed before its call is done all the same (the last line is 100 %),
    and a fixture that failed counts as a failure."""
    suite = tmp_path / "test_three.py"
    suite.write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture
            def broken():
                raise RuntimeError("no host")

            def test_passes():
                pass

            @pytest.mark.skip(reason="not for this host")
            def test_skipped():
                pass

            def test_needs_a_host(broken):
                pass
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
    result = subprocess.run(
        [sys.executable, "-c", CONTRACT_PROGRESS_RUN, str(suite)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "KORE_MOCK_PROGRESS": "always"},
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("contract: ")]
    assert lines, (result.stdout[-2000:], result.stderr[-2000:])
    assert lines[-1] == "contract: 3 of 3 tests (100 %), 1 failed", lines


def test_never_means_never_for_work_that_lasts(monkeypatch):
    """Work past the 2 s delay writes no line either (the first test's work is quick)."""
    monkeypatch.setenv("KORE_MOCK_PROGRESS", "never")
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.1)
    monkeypatch.setattr(progress, "LINE_EVERY_SECONDS", 0.1)
    monkeypatch.setattr(progress, "TICK_SECONDS", 0.05)
    stream = io.StringIO()
    with Progress("seed", 10, unit="rows", stream=stream) as bar:
        time.sleep(0.3)
        bar.advance(5)
        with bar.waiting("storing"):
            time.sleep(0.3)
        bar.advance(5)
    assert stream.getvalue() == ""
