"""This process's id, without a system call per ask.

``os.getpid()`` is a system call (glibc stopped caching it), and the stores ask on every
connection, lock file and shared map they hand out — to never use one made by the process they
were forked from (gunicorn forks its workers from the master). The id is read once here and
again in every forked child.
"""

from __future__ import annotations

import os

_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def pid() -> int:
    """``os.getpid()``, as of the last fork."""
    return _pid
