"""``kore-mock serve`` as a real server process: own process group, free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).parent.parent
START_TIMEOUT = 90  # seconds; 4 workers load the app on 2 busy cores


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """The gunicorn master and its workers; ``kill`` is ``kill -9`` of all of them."""

    def __init__(
        self, db: str, workdir: Path, *, workers: int = 4, port: int | None = None
    ) -> None:
        self.db = db
        self.workdir = workdir
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_MOCK_")}
        env["PYTHONPATH"] = str(ROOT)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mockserver.cli",
                    "serve",
                    "--port",
                    str(self.port),
                    "--db",
                    self.db,
                    "--workers",
                    str(self.workers),
                ],
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill -9 reaches every worker
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not (self._healthy() and len(self.worker_pids()) == self.workers):
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited early:\n{self.output()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"the server did not start:\n{self.output()}")
            time.sleep(0.1)
        return self

    def _healthy(self) -> bool:
        try:
            return requests.get(self.url + "/__mock__/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the live children of the master process."""
        assert self.process is not None
        return [pid for pid, ppid, _ in _live_processes() if ppid == self.process.pid]

    def stop(self) -> None:
        """A graceful stop (SIGTERM), as an operator or a service manager does it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the server ignored SIGTERM:\n{self.output()}") from None

    def kill(self) -> None:
        """``kill -9`` of the master and every worker at once; returns when all are gone."""
        assert self.process is not None
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(pgid, signal.SIGKILL)
        self.process.wait(30)
        deadline = time.monotonic() + 30
        while any(group == pgid for _, _, group in _live_processes()):
            if time.monotonic() > deadline:
                raise AssertionError("server processes survived kill -9")
            time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


def _live_processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every process that is not a zombie."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if state != "Z":
            found.append((int(stat.parent.name), int(ppid), int(pgrp)))
    return found
