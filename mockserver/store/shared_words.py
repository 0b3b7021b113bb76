"""A few 64-bit words in a small file beside the store, mapped in memory by every process of it.

Reading or writing a word is a memory access, not a system call. The file is mapped again in a
forked child (gunicorn forks its workers from the master); a new file reads as zeros. Writers
that read a word, change it and write it back hold a lock of their own around that.

The file's blocks are reserved on the disk before it is mapped: a page of a mapping with no
block behind it (a file grown by ``ftruncate``) is written on first touch, and on a full disk
that write is a SIGBUS that kills the process without a word. Reserved first, a full disk is an
``OSError`` (ENOSPC) when the store opens.
"""

from __future__ import annotations

import errno
import mmap
import os
import struct
import threading

from mockserver import process

_WORD = struct.Struct("<Q")
_NOT_SUPPORTED = (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS)  # posix_fallocate's, not ENOSPC


class SharedWords:
    def __init__(self, path: str, count: int) -> None:
        self.path = path
        self._size = _WORD.size * count
        self._pid = -1
        self._map: mmap.mmap | None = None
        self._lock = threading.Lock()

    def _mapped(self) -> mmap.mmap:
        if self._map is None or self._pid != process.pid():
            with self._lock:
                if self._map is None or self._pid != process.pid():
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                    try:
                        _reserve(fd, self._size)
                        self._map = mmap.mmap(fd, self._size)
                    finally:
                        os.close(fd)
                    self._pid = process.pid()
        return self._map

    def open(self) -> None:
        """The file made and mapped now (a full disk fails here, when the store opens, rather
        than at a request)."""
        self._mapped()

    def get(self, index: int) -> int:
        return _WORD.unpack_from(self._mapped(), index * _WORD.size)[0]

    def set(self, index: int, value: int) -> None:
        _WORD.pack_into(self._mapped(), index * _WORD.size, value)

    def close(self) -> None:
        with self._lock:
            if self._map is not None and self._pid == process.pid():
                self._map.close()
            self._map = None


def _reserve(fd: int, size: int) -> None:
    """The file at least ``size`` bytes, each with its block on the disk (new bytes are zeros;
    a word already written is left as it is)."""
    if hasattr(os, "posix_fallocate"):  # Linux, the BSDs
        try:
            os.posix_fallocate(fd, 0, size)  # also a file an earlier kore-mock grew by ftruncate
            return
        except OSError as exc:
            if exc.errno not in _NOT_SUPPORTED:
                raise
    if os.fstat(fd).st_size < size:  # macOS, or a file system that cannot reserve
        os.ftruncate(fd, size)
