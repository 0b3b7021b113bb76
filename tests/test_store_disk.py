"""The SQLite store on a full disk or in a directory it cannot write: refused at start with a
clear line naming the file and the reason, never a process killed without a word or a server
that drops what it was asked to keep."""

from __future__ import annotations

import errno
import os

import pytest

from mockserver.store import open_store
from mockserver.store.base import StoreUnavailable


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
