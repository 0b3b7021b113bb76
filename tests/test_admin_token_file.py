"""The admin token file (the container image's default): generated once and printed, read back on
the next start, never an open control plane; the control verbs and `kore-mock health` find it."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockserver import admin_token
from mockserver.cli import main
from mockserver.settings import Settings, SettingsError
from tests.live import ROOT, answering, call, free_port, wait_for


def test_without_a_token_or_file_the_control_plane_stays_loopback_only():
    resolved = admin_token.resolve(Settings())
    assert resolved.token is None
    assert "loopback callers only" in resolved.banner_line()


def test_the_first_start_generates_a_private_token_and_prints_it_the_next_reads_it(tmp_path):
    path = tmp_path / "data" / "admin-token"
    first = admin_token.resolve(Settings(admin_token_file=str(path)))
    assert first.origin == "generated" and len(first.token) >= 32
    assert first.token in first.banner_line()
    assert path.read_text().strip() == first.token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = admin_token.resolve(Settings(admin_token_file=str(path)))
    assert again.token == first.token and again.origin == "file"
    assert first.token not in again.banner_line() and str(path) in again.banner_line()


def test_a_given_token_wins_and_is_written_to_the_file(tmp_path):
    path = tmp_path / "admin-token"
    path.write_text("old-token\n")
    resolved = admin_token.resolve(Settings(admin_token="chosen", admin_token_file=str(path)))
    assert resolved.token == "chosen" and "chosen" not in resolved.banner_line()
    assert path.read_text().strip() == "chosen"


def test_a_read_only_token_file_holding_another_token_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "secret"
    path.write_text("mounted-secret\n")

    def read_only(*args, **kwargs):  # a secret mounted read-only (root ignores file modes)
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(SettingsError, match="holds another token"):
        admin_token.resolve(Settings(admin_token="chosen", admin_token_file=str(path)))


@pytest.mark.parametrize("existing", [None, "", "chosen"])
def test_a_given_token_that_cannot_be_written_says_why_not_another_token(
    tmp_path, monkeypatch, existing
):
    # it said "holds another token" with no file there at all (a root-owned or read-only /data)
    path = tmp_path / "admin-token"
    if existing is not None:
        path.write_text(existing)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    settings = Settings(admin_token="chosen", admin_token_file=str(path))
    if existing == "chosen":  # nothing to write
        assert admin_token.resolve(settings).token == "chosen"
        return
    with pytest.raises(SettingsError) as raised:
        admin_token.resolve(settings)
    assert str(raised.value) == (
        f"cannot write the admin token file {path}: Permission denied (in the container image, "
        "a host directory mounted on /data must be writable by uid 10001)"
    )


def test_an_empty_token_file_gets_a_generated_token_rather_than_an_open_control_plane(tmp_path):
    path = tmp_path / "admin-token"
    path.write_text("\n")
    resolved = admin_token.resolve(Settings(admin_token_file=str(path)))
    assert resolved.origin == "generated" and resolved.token
    assert path.read_text().strip() == resolved.token


def serve_with_token_file(tmp_path: Path, path: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    args = ["serve", "--port", str(port), "--db", str(tmp_path / "kore-mock.db")]
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver.cli", *args, "--admin-token-file", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "KORE_MOCK_ADMIN_TOKEN": ""},
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(url, process)  # a 403 counts as an answer
    return process, url


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]


def test_serve_with_a_token_file_requires_it_and_the_verbs_read_it(tmp_path):
    path = tmp_path / "admin-token"
    process, url = serve_with_token_file(tmp_path, path)
    try:
        token = path.read_text().strip()
        assert call(url + "/__mock__/settings")[0] == 403  # loopback too
        status, _, body = call(url + "/__mock__/settings", headers={"X-Mock-Admin-Token": token})
        assert status == 200 and body["adminTokenRequired"] is True
        env = {"KORE_MOCK_ADMIN_TOKEN_FILE": str(path), "KORE_MOCK_ADMIN_TOKEN": None}
        health = CliRunner().invoke(main, ["health", "--url", url], env=env)
        assert health.exit_code == 0, health.output
        assert health.output.startswith("ok: kore-mock ")
        reset = CliRunner().invoke(main, ["reset", "--url", url], env=env)
        assert reset.exit_code == 0, reset.output
        refused = CliRunner().invoke(
            main,
            ["health", "--url", url],
            env={"KORE_MOCK_ADMIN_TOKEN_FILE": None, "KORE_MOCK_ADMIN_TOKEN": None},
        )
        assert refused.exit_code == 1 and "HTTP 403" in refused.output
        # --live (the image's HEALTHCHECK): up, whatever token it had (another container on
        # the volume rewrote the file: the check turned unhealthy and a restart was due)
        for given in (None, "another-containers-token"):
            live = CliRunner().invoke(
                main,
                ["health", "--live", "--url", url],
                env={"KORE_MOCK_ADMIN_TOKEN_FILE": None, "KORE_MOCK_ADMIN_TOKEN": given},
            )
            assert live.exit_code == 0, live.output
            assert live.output.startswith(f"live: kore-mock at {url} answers (HTTP 403: The ")
        found = CliRunner().invoke(main, ["health", "--live", "--url", url], env=env)
        assert found.exit_code == 0 and found.output.startswith("ok: kore-mock "), found.output
    finally:
        output = stop(process)
    assert f"admin      {token}    generated" in output
    assert output.count(token) == 1  # printed once, by the start that made it
    process, url = serve_with_token_file(tmp_path, path)
    output = stop(process)
    assert token not in output and f"token in {path}" in output


def test_health_waits_for_a_server_that_is_not_up_yet_then_fails_clearly():
    result = CliRunner().invoke(main, ["health", "--url", "http://127.0.0.1:9", "--wait", "0.5"])
    assert result.exit_code == 1
    assert "cannot reach kore-mock at http://127.0.0.1:9" in result.output


@pytest.mark.parametrize(
    ("answer", "delay"), [(b"<html>Login</html>", 0.0), (b"[]", 0.0), (b"{}", 0.0), (b"{}", 30.0)]
)
def test_health_of_a_url_that_is_not_a_kore_mock_is_one_line_within_its_wait(answer, delay):
    """An HTML page or other JSON was a traceback; an answer held back kept `--wait 1` for the
    client's five-minute read timeout."""
    import time

    started = time.monotonic()
    with answering(answer, "application/json", delay=delay) as url:
        result = CliRunner().invoke(main, ["health", "--url", url, "--wait", "1"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(
    "answer",
    [
        b"<html>Forbidden</html>",
        b'{"errors":[{"msg":"Forbidden","code":403}]}',  # the envelope, not the control plane's
        b'{"message":"The control plane needs the header X-Mock-Admin-Token"}',
    ],
)
def test_health_live_counts_only_a_kore_mock_control_planes_403_as_up(answer):
    with answering(answer, "application/json", status=403) as url:
        result = CliRunner().invoke(main, ["health", "--live", "--url", url])
    assert result.exit_code == 1 and "HTTP 403" in result.output, result.output


def test_health_live_counts_a_server_refusing_the_token_as_up(settings):
    from dataclasses import replace

    from mockserver.app import create_app
    from mockserver.mock import mock_of
    from tests.live import threaded_server

    app = create_app(replace(settings, admin_token="t0ken"))
    try:
        with threaded_server(app) as url:
            env = {"KORE_MOCK_ADMIN_TOKEN_FILE": None, "KORE_MOCK_ADMIN_TOKEN": "wrong"}
            plain = CliRunner().invoke(main, ["health", "--url", url], env=env)
            assert plain.exit_code == 1 and "does not match" in plain.output  # as before
            live = CliRunner().invoke(main, ["health", "--live", "--url", url], env=env)
            assert live.exit_code == 0 and "does not match" in live.output, live.output
    finally:
        mock_of(app).close()


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (" ", "it is blank"),
        (" x ", "leading or trailing blanks"),
        ("a\nb", "it holds a newline"),
        ("tok\u20ac", "the non-ASCII character"),
    ],
)
def test_serve_refuses_an_admin_token_no_client_can_send(tmp_path, token, says):
    """(The server started, and answered every control call 403 for good.)"""
    db = ["--db", ":memory:", "--port", str(free_port())]
    env = {"KORE_MOCK_ADMIN_TOKEN": None, "KORE_MOCK_ADMIN_TOKEN_FILE": None}
    for command in (["serve"], ["proxy", "--upstream", "http://127.0.0.1:9"]):
        flag = CliRunner().invoke(main, [*command, *db, "--admin-token", token], env=env)
        assert flag.exit_code == 2 and "Invalid value for '--admin-token'" in flag.output
        assert says in flag.output, flag.output
        from_env = CliRunner().invoke(
            main, [*command, *db], env={**env, "KORE_MOCK_ADMIN_TOKEN": token}
        )
        assert from_env.exit_code == 2 and "KORE_MOCK_ADMIN_TOKEN" in from_env.output
    config = tmp_path / "c.yaml"
    config.write_text(f"adminToken: {json.dumps(token)}\n")
    in_file = CliRunner().invoke(main, ["serve", *db, "--config", str(config)], env=env)
    assert in_file.exit_code == 1 and says in in_file.output, in_file.output
    assert f"{config}: adminToken must be printable ASCII" in in_file.output


def test_a_token_file_holding_a_token_no_client_can_send_is_refused(tmp_path):
    path = tmp_path / "admin-token"
    path.write_text("first\r\nsecond\r\n")  # a token with its line end inside
    env = {"KORE_MOCK_ADMIN_TOKEN": None, "KORE_MOCK_ADMIN_TOKEN_FILE": str(path)}
    args = ["serve", "--db", ":memory:", "--port", str(free_port())]
    served = CliRunner().invoke(main, [*args, "--admin-token-file", str(path)], env=env)
    assert served.exit_code == 1
    assert f"the admin token in {path} must be printable ASCII" in served.output
    assert "it holds a newline" in served.output
    health = CliRunner().invoke(main, ["health", "--url", "http://127.0.0.1:9"], env=env)
    assert health.exit_code == 2 and f"the admin token in {path}" in health.output


def test_a_given_token_written_to_a_new_file_is_private(tmp_path):
    path = tmp_path / "data" / "admin-token"
    resolved = admin_token.resolve(Settings(admin_token="chosen-token", admin_token_file=str(path)))
    assert resolved.origin == "given" and path.read_text().strip() == "chosen-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # as a generated one
