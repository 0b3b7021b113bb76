"""Shared pieces of the benchmarks: servers on free loopback ports, wrk, process memory."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer in {timeout} s") from None
            time.sleep(0.1)


@contextlib.contextmanager
def running(
    cmd: list[str], ready_url: str, *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[subprocess.Popen]:
    """Start a server process (in its own process group), wait until it answers, stop it."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        cmd,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    try:
        try:
            wait_for(ready_url, process=process)
        except (RuntimeError, TimeoutError):
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def kore_mock_cmd(port: int, db: str, workers: int = 1, config: str | None = None) -> list[str]:
    cmd = [
        str(BIN / "kore-mock"),
        "serve",
        "--port",
        str(port),
        "--db",
        db,
        "--workers",
        str(workers),
    ]
    return cmd + (["--config", config] if config else [])


def peak_rss_mb(pid: int) -> float:
    """Highest resident memory of each process in the tree so far (VmHWM), summed, in MB."""
    return _tree_status_mb(pid, "VmHWM")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) used so far by a process and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for proc in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def _tree_status_mb(pid: int, field: str) -> float:
    total = 0
    for proc in [pid, *_children(pid)]:
        try:
            text = Path(f"/proc/{proc}/status").read_text()
        except OSError:
            continue
        match = re.search(rf"{field}:\s+(\d+) kB", text)
        total += int(match.group(1)) if match else 0
    return total / 1024


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            found.append(int(kid))
            found.extend(_children(int(kid)))
    return found


def ensure_wrk() -> None:
    """wrk from Debian's packages, installed on first use where apt-get can (as root)."""
    if shutil.which("wrk") is not None:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    print("installing wrk (apt-get install wrk) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(install, env=env, check=True)


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int  # answers outside 200-299, counted by bench/wrk/status.lua
    errors: int  # socket errors (connect, read, write, timeout)
    answered: int = 0
    first_non_2xx: int = 0  # the status of the first such answer, for the report
    server_cpu_ms: float | None = None  # the server's CPU time per answer, when measured

    @property
    def clean(self) -> bool:
        """Every answer was a 2xx and no connection failed."""
        return self.answered > 0 and self.non_2xx == 0 and self.errors == 0

    def problems(self) -> str:
        found = []
        if self.non_2xx:
            found.append(f"{self.non_2xx:,} non-2xx (first: {self.first_non_2xx})")
        if self.errors:
            found.append(f"{self.errors:,} socket errors")
        if self.answered == 0:
            found.append("no answers")
        return ", ".join(found)


WRK_DIR = Path(__file__).parent / "wrk"
STATUS_LUA = WRK_DIR / "status.lua"


def wrk(
    url: str,
    *,
    script: Path | None = None,
    seconds: int = 10,
    connections: int = 16,
    threads: int = 2,
    env: dict[str, str] | None = None,
) -> WrkResult:
    """One wrk run; ``script`` (a request generator) gets bench/wrk/status.lua appended."""
    ensure_wrk()
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    lua = (script.read_text() + "\n" if script is not None else "") + STATUS_LUA.read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as combined:
        combined.write(lua)
        combined.flush()
        out = subprocess.run(
            [*cmd, "-s", combined.name, url],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
        ).stdout
    status = re.search(r"bench-status: answered (\d+) non-2xx (\d+) first (\d+)", out)
    if status is None:
        raise RuntimeError(f"wrk printed no status line:\n{out[-2000:]}")
    return WrkResult(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_latency(out, "50%"),
        p99_ms=_latency(out, "99%"),
        non_2xx=int(status.group(2)),
        errors=sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", m.group(0)))
        if (m := re.search(r"Socket errors:.*", out))
        else 0,
        answered=int(status.group(1)),
        first_non_2xx=int(status.group(3)),
    )


def median(results: list[WrkResult]) -> WrkResult:
    """The run with the median rate (its own latencies and counts, not mixed with others')."""
    return sorted(results, key=lambda r: r.requests_per_s)[len(results) // 2]


def _latency(out: str, percentile: str) -> float:
    match = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
