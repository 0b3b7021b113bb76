"""`kore-mock snapshot save FILE` / `kore-mock snapshot load FILE` against a running server."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from mockserver.auth import mint_token
from mockserver.cli import main
from mockserver.settings import DEV_APP
from tests.conftest import ACCOUNT, STREAM, person
from tests.live import call, threaded_server

NS = f"/__mock__/namespaces/{ACCOUNT}/{STREAM}"


@pytest.fixture
def server(app):
    with threaded_server(app) as url:
        yield url


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def seed(url: str) -> None:
    body = {"contacts": [person("ann", "a", "9876543210"), person("bob", "b", "9123456780")]}
    assert call(url + NS + "/seed", "POST", body)[0] == 200


def state(url: str) -> tuple:
    return (
        call(url + NS + "/export")[2],
        call(url + "/__mock__/apps?secrets=true")[2],
        call(url + "/__mock__/journal/verify", "POST", {})[2]["count"],
    )


def test_save_reset_load_through_the_cli(server, tmp_path):
    seed(server)
    call(server + "/agentassist/api/v1/public/" + STREAM + "/contacts")  # a journal entry (401)
    before = state(server)
    path = tmp_path / "state.json"
    saved = run("snapshot", "save", str(path), "--url", server, "--with-journal")
    assert saved.exit_code == 0, saved.output
    assert f"Saved 2 contacts (2 ACTIVE), 4 app(s), 1 journal entries to {path}" in saved.output
    assert json.loads(path.read_bytes())["counts"] == {"contacts": 2, "journal": 1}
    assert run("reset", "--url", server).exit_code == 0
    loaded = run("snapshot", "load", str(path), "--url", server, "--with-journal")
    assert loaded.exit_code == 0, loaded.output
    assert f"Loaded {path}: 2 contacts, 1 journal entries; run-time settings: apps" in (
        loaded.output
    )
    assert state(server) == before


def test_load_without_with_journal_leaves_the_journal_empty(server, tmp_path):
    seed(server)
    call(server + "/agentassist/api/v1/public/" + STREAM + "/contacts")
    path = tmp_path / "state.json"
    run("snapshot", "save", str(path), "--url", server, "--with-journal")
    assert run("snapshot", "load", str(path), "--url", server).exit_code == 0
    assert state(server)[2] == 0


def test_a_truncated_file_is_refused_and_changes_nothing(server, tmp_path):
    seed(server)
    path = tmp_path / "state.json"
    run("snapshot", "save", str(path), "--url", server)
    path.write_bytes(path.read_bytes()[:-40])
    run("reset", "--url", server)
    before = state(server)
    result = run("snapshot", "load", str(path), "--url", server)
    assert result.exit_code == 1
    assert "HTTP 400: The snapshot is not valid JSON (is the file complete?)" in result.output
    assert state(server) == before


def test_save_to_standard_output(server):
    seed(server)
    result = CliRunner().invoke(main, ["snapshot", "save", "-", "--url", server])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["counts"] == {"contacts": 2}
    assert "Saved 2 contacts" in result.stderr


def test_a_server_that_is_not_there_is_a_one_line_error(tmp_path):
    result = run("snapshot", "save", str(tmp_path / "x.json"), "--url", "http://127.0.0.1:9")
    assert result.exit_code == 1 and "cannot reach kore-mock at http://127.0.0.1:9" in result.output
    assert not (tmp_path / "x.json").exists()


def test_a_snapshot_that_cannot_be_written_is_one_line_and_a_long_name_can_be(server, tmp_path):
    """(Under a regular file: a NotADirectoryError traceback; a 250-character name failed,
    its temporary file's name, the name plus .partial, being too long.)"""
    tmp_path = tmp_path / "out"  # the server's store is in tmp_path
    tmp_path.mkdir()
    (tmp_path / "f.csv").write_text("")
    under_a_file = run("snapshot", "save", str(tmp_path / "f.csv" / "x.json"), "--url", server)
    assert under_a_file.exit_code == 1, under_a_file.output
    assert under_a_file.output.endswith("x.json: Not a directory\n"), under_a_file.output
    long = tmp_path / ("s" * 245 + ".json")
    assert run("snapshot", "save", str(long), "--url", server).exit_code == 0
    assert json.loads(long.read_text())["contacts"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", long.name]  # nothing left


def test_kore_mock_serve_takes_a_snapshot_larger_than_any_other_body(tmp_path):
    """Its own limit at the server's front too: read ahead whole up to maxSnapshotBytes."""
    from tests.live import kore_mock_serve

    config = tmp_path / "kore-mock.yaml"
    config.write_text(
        "limits: {maxUploadBytes: 2000, maxJsonBytes: 2000, maxSnapshotBytes: 200000}\n"
    )
    contacts = [person(f"p{i}", "q", f"98000000{i:02d}") for i in range(40)]
    with kore_mock_serve(
        "--config", str(config), "--db", str(tmp_path / "a.db"), cwd=tmp_path
    ) as url:
        assert call(url + NS + "/seed", "POST", {"contacts": contacts})[0] == 413  # JSON limit
        for i in range(0, 40, 5):
            assert call(url + NS + "/seed", "POST", {"contacts": contacts[i : i + 5]})[0] == 200
        path = tmp_path / "state.json"
        assert run("snapshot", "save", str(path), "--url", url).exit_code == 0
        assert 2000 < path.stat().st_size < 200_000
        run("reset", "--url", url)
        loaded = run("snapshot", "load", str(path), "--url", url)
        assert loaded.exit_code == 0, loaded.output
        assert len(call(url + NS + "/export")[2]) == 40
        path.write_bytes(path.read_bytes()[:-1] + b" " * 200_000 + b"}")
        refused = run("snapshot", "load", str(path), "--url", url)
        assert refused.exit_code == 1 and "HTTP 413" in refused.output


def test_a_chunked_snapshot_over_the_limit_is_413_like_one_with_a_length(tmp_path):
    """A body sent chunked (no Content-Length) is read up to maxSnapshotBytes and refused past
    it as the same body with a Content-Length is, not handed on cut short as a broken file."""
    import requests

    from tests.live import kore_mock_serve

    config = tmp_path / "kore-mock.yaml"
    config.write_text("limits: {maxSnapshotBytes: 200000}\n")

    def chunked(body: bytes, size: int = 10_000):
        for i in range(0, len(body), size):
            yield body[i : i + size]

    with kore_mock_serve(
        "--config", str(config), "--db", str(tmp_path / "a.db"), cwd=tmp_path
    ) as url:
        seed(url)
        saved = requests.get(url + "/__mock__/snapshot", timeout=30).content
        before = state(url)
        json_type = {"Content-Type": "application/json"}
        under = saved[:-1] + b" " * (199_000 - len(saved)) + b"}"
        loaded = requests.put(
            url + "/__mock__/snapshot", data=chunked(under), headers=json_type, timeout=30
        )
        assert loaded.status_code == 200, loaded.text  # read whole under the limit
        for size in (200_001, 200_002, 230_000, 2_000_000):
            over = saved[:-1] + b" " * (size - len(saved)) + b"}"
            limit = "over this server's limit of 200000 bytes"
            for body, words in (  # with a Content-Length, then chunked
                (over, f"The request body has {size} bytes, {limit}"),
                (chunked(over), f"The request body is {limit}"),
            ):
                answer = requests.put(
                    url + "/__mock__/snapshot", data=body, headers=json_type, timeout=30
                )
                assert answer.status_code == 413, (size, answer.text)
                assert answer.json()["errors"][0]["msg"] == words
        assert state(url) == before


def test_save_warns_of_contacts_an_older_version_stored_with_a_nul(tmp_path):
    from mockserver.app import create_app
    from mockserver.mock import mock_of
    from mockserver.settings import Settings

    app = create_app(Settings(db=str(tmp_path / "nul.db")))
    try:
        with threaded_server(app) as url:
            seed(url)
            with sqlite3.connect(tmp_path / "nul.db") as db:  # as SQLite took it over JSON before
                db.execute("UPDATE contacts SET first_name = 'b' || char(0) || 'ob'")
            saved = run("snapshot", "save", str(tmp_path / "s.json"), "--url", url)
    finally:
        mock_of(app).close()
    assert saved.exit_code == 0, saved.output
    assert (
        "warning: 2 contact(s) hold a NUL character (first: contacts[0].firstName), which an "
        "older kore-mock stored and a snapshot load refuses: update or delete them, then save "
        "again"
    ) in saved.output


def test_save_counts_the_active_contacts_apart(server, tmp_path):
    seed(server)
    [ann, _bob] = call(server + NS + "/export?format=json")[2]
    headers = {"auth": mint_token(DEV_APP), "accountId": ACCOUNT}
    gone = call(
        f"{server}/agentassist/api/v1/public/{STREAM}/contacts/{ann['id']}",
        "DELETE",
        headers=headers,
    )
    assert gone[0] == 200, gone
    saved = run("snapshot", "save", str(tmp_path / "s.json"), "--url", server)
    assert "Saved 2 contacts (1 ACTIVE)" in saved.output, saved.output
