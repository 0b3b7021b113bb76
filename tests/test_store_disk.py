"""The SQLite store on a full disk or in a directory it cannot write: refused at start with a
clear line naming the file and the reason, never a process killed without a word or a server
that drops what it was asked to keep."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.store import open_store
from mockserver.store.base import StoreUnavailable

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
