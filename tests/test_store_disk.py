"""The SQLite store on a full disk or in a directory it cannot write: refused at start with a
clear line naming the file and the reason, never a process killed without a word or a server
that drops what it was asked to keep."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.app import create_app
from mockserver.mock import mock_of
from mockserver.settings import Settings
from mockserver.store import journal_log, open_store
from mockserver.store.base import StoreFull, StoreUnavailable
from tests.conftest import STREAM, Api, person
from tests.spec_check import assert_envelope

ROOT = Path(__file__).parent.parent


def _no_space(*_args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.skipif(not hasattr(os, "posix_fallocate"), reason="no posix_fallocate (macOS)")
@pytest.mark.parametrize("missing", [".state-version", ".journal.ids"])
def test_a_full_disk_at_start_is_a_clear_refusal_not_a_bus_error(tmp_path, monkeypatch, missing):
    """The store's small shared files are reserved on the disk before they are mapped: a
    mapped page with no block behind it was a SIGBUS at its first write on a full disk."""
    path = str(tmp_path / "s.db")
    open_store(path).close()
    os.unlink(path + missing)  # copied without it, or made by a kore-mock without it
    monkeypatch.setattr(os, "posix_fallocate", _no_space)  # what a full disk answers
    with pytest.raises(StoreUnavailable) as refused:
        open_store(path)
    assert str(refused.value).startswith(f"cannot use the SQLite file {path}: ")
    assert "No space left on device" in str(refused.value)


_OPEN = """
import sys
from mockserver.store import open_store
from mockserver.store.base import StoreUnavailable
try:
    open_store(sys.argv[1]).close()
except StoreUnavailable as exc:
    print(exc)
    sys.exit(3)
"""


def _open_without_privileges(path: str) -> subprocess.CompletedProcess[str]:
    """``open_store(path)`` in a process that file modes bind (root's own capabilities to
    ignore them dropped, as in a container run with a user or without them)."""
    command = [sys.executable, "-c", _OPEN, path]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root ignores file modes, and setpriv is not here to drop that")
        drop = "-dac_override,-dac_read_search,-fowner"
        command = ["setpriv", "--bounding-set", drop, *command]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_a_store_whose_directory_cannot_be_written_is_refused_at_start(tmp_path):
    """Its files writable, the directory not: the journal's log is drained by renaming it
    there, and every journal entry was dropped while the server answered as usual."""
    path = str(tmp_path / "s.db")
    open_store(path).close()
    tmp_path.chmod(0o555)
    try:
        opened = _open_without_privileges(path)
    finally:
        tmp_path.chmod(0o755)
    assert opened.returncode == 3, opened.stderr
    assert opened.stdout.startswith(f"cannot use the SQLite file {path}: ")
    assert "the store's directory is not writable (the journal's log is renamed" in opened.stdout
    assert repr(str(tmp_path)) in opened.stdout


def test_a_store_whose_journal_log_cannot_be_appended_to_is_refused_at_start(tmp_path):
    path = str(tmp_path / "s.db")
    open_store(path).close()
    log = Path(path + ".journal.log")
    log.touch()
    log.chmod(0o444)
    opened = _open_without_privileges(path)
    assert opened.returncode == 3, opened.stderr
    assert opened.stdout.startswith(f"cannot use the SQLite file {path}: ")
    assert f"Permission denied: '{log}'" in opened.stdout


@pytest.fixture
def file_app(tmp_path):
    app = create_app(Settings(db=str(tmp_path / "s.db")))
    yield app
    mock_of(app).close()


def _no_page_more(connection) -> None:
    """What a full disk does to a file of the store: SQLite finds no room for a page more (its
    ``max_page_count``, on the connection the test client's requests use: this thread's)."""
    with connection() as conn:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages}")


def _room_again(connection) -> None:
    with connection() as conn:
        conn.execute("PRAGMA max_page_count = 1073741823")


def _one_warning(caplog, start: str) -> None:
    """One line in the server's log for the full disk, and no traceback."""
    lines = [r for r in caplog.records if r.name == "kore_mock" and r.levelno >= logging.WARNING]
    assert [r.getMessage().startswith(start) for r in lines] == [True], caplog.text
    assert lines[0].levelno == logging.WARNING and lines[0].exc_info is None
    assert "is full (database or disk is full)" in lines[0].getMessage()


def test_a_write_on_a_full_disk_is_507_in_kores_envelope_and_nothing_of_it_is_stored(
    file_app, caplog
):
    api = Api(file_app.test_client())
    assert api.create([person("a", "b", "9800000000")]).status_code == 200
    store = mock_of(file_app).store
    _no_page_more(store._connection)
    many = [person(f"p{n}", "x", f"98{n:08d}") for n in range(1, 301)]
    with caplog.at_level(logging.WARNING, logger="kore_mock"):
        refused = api.create(many)  # checked against openapi.yaml too
    assert refused.status_code == 507  # it was 500 "Internal server error"
    first, detail = refused.get_json()["errors"]
    assert first == {"msg": "Insufficient storage", "code": 507}
    assert detail["msg"].startswith("The store's disk is full: the request was not stored")
    _one_warning(caplog, "store full on POST /agentassist/api/v1/public/")
    _room_again(store._connection)
    assert api.all_numbers() == ["+919800000000"]  # nothing of the refused create
    assert api.create(many).status_code == 200  # its numbers were not held either


def test_the_journal_read_on_a_full_disk_is_507_and_its_entries_are_kept(file_app, caplog):
    api = Api(file_app.test_client())
    store = mock_of(file_app).store
    _no_page_more(store._journal_connection)
    for n in range(40):  # entries waiting in the journal's log, more than the file has room for
        assert api.create([person(f"j{n}", "x", f"97{n:08d}")]).status_code == 200
    client = file_app.test_client()
    with caplog.at_level(logging.WARNING, logger="kore_mock"):
        read = client.get("/__mock__/journal?limit=1000")
    assert read.status_code == 507  # it was 500: the log could not be drained into the table
    assert_envelope(read.get_json())
    _one_warning(caplog, "store full on GET /__mock__/journal")
    _room_again(store._journal_connection)
    assert len(client.get("/__mock__/journal?limit=1000").get_json()["entries"]) == 40


def test_a_journal_entry_with_no_room_on_the_disk_is_one_line_in_the_log(
    file_app, caplog, monkeypatch
):
    """The answer stands (its contacts are committed); its journal entry is lost, and the
    server's log says so in one line, not a traceback a request."""
    api = Api(file_app.test_client())
    before = api.list().headers["X-Mock-Journal-Id"]
    with monkeypatch.context() as full, caplog.at_level(logging.WARNING, logger="kore_mock"):
        full.setattr(journal_log, "_write_all", _no_space)
        answer = api.create([person("a", "b", "9800000000")])
    assert answer.status_code == 200 and "X-Mock-Journal-Id" not in answer.headers
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in lines] == [
        "could not write the journal entry of POST /agentassist/api/v1/public/"
        f"{STREAM}/contacts: the disk of {journal_log_path(file_app)} is full"
        " (No space left on device)"
    ]
    assert lines[0].exc_info is None
    # the lost entry took no id: the journal's ids go on one by one
    assert int(api.list().headers["X-Mock-Journal-Id"]) == int(before) + 1


def journal_log_path(app) -> str:
    return mock_of(app).store.journal_path + ".log"


def test_a_full_disk_under_postgresql_is_a_full_store_answered_507_too(postgres):
    """PostgreSQL's disk_full (SQLSTATE 53100), raised here as its server raises it, is the
    StoreFull that render_error answers 507."""
    url = postgres.new_database()
    app = create_app(Settings(db=url))
    try:
        store = mock_of(app).store
        with pytest.raises(StoreFull, match=r"is full \(no room\)"), store._statement() as conn:
            conn.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'no room' USING ERRCODE = 'disk_full'; END $$"
            )
    finally:
        mock_of(app).close()
        postgres.drop_database(url)
