"""A few 64-bit words in a small file beside the store, mapped in memory by every process of it.

Reading or writing a word is a memory access, not a system call. The file is mapped again in a
forked child (gunicorn forks its workers from the master); a new file reads as zeros. Writers
that read a word, change it and write it back hold a lock of their own around that.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading

from mockserver import process

_WORD = struct.Struct("<Q")


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
                        if os.fstat(fd).st_size < self._size:
                            os.ftruncate(fd, self._size)  # zeros
                        self._map = mmap.mmap(fd, self._size)
                    finally:
                        os.close(fd)
                    self._pid = process.pid()
        return self._map

    def get(self, index: int) -> int:
        return _WORD.unpack_from(self._mapped(), index * _WORD.size)[0]

    def set(self, index: int, value: int) -> None:
        _WORD.pack_into(self._mapped(), index * _WORD.size, value)

    def close(self) -> None:
        with self._lock:
            if self._map is not None and self._pid == process.pid():
                self._map.close()
            self._map = None
