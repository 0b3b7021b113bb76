"""`kore-mock serve` (gunicorn) as a subprocess on a free loopback port, and a raw HTTP client.

The raw client speaks HTTP/1.1 over a socket so that tests can send what well-behaved clients
cannot: a body shorter than its Content-Length, an unterminated chunked upload, non-ASCII bytes
in a header, a header name with a space.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
START_SECONDS = 30


class LiveServer:
    """``python -m mockserver.cli serve --port 0`` with a settings file; output is kept."""

    def __init__(
        self,
        tmp: Path,
        settings: dict[str, Any],
        *,
        workers: int = 1,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.config = tmp / "kore-mock.yaml"
        self.config.write_text(yaml.safe_dump(settings))
        self.db = settings.get("db") or str(tmp / "kore-mock.db")
        args = ("serve", "--port", "0", "--config", str(self.config), "--db", self.db, *args)
        args += ("--workers", str(workers))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserver.cli", *args],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        )
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for_banner()
        self.host, port = self.url.removeprefix("http://").rsplit(":", 1)
        self.port = int(port)
        self._wait_healthy()

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.append(line)

    def _wait_for_banner(self) -> str:
        deadline = time.time() + START_SECONDS
        while time.time() < deadline:
            found = re.search(r"base URL\s+(http://[^/\s]+)/", self.output)
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"kore-mock serve did not start:\n{self.output}")

    def _wait_healthy(self) -> None:
        deadline = time.time() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(self.url + "/__mock__/health", timeout=2) as reply:
                    assert json.load(reply)["status"] == "ok"
                return
            except OSError:
                assert time.time() < deadline, f"the server is not healthy:\n{self.output}"
                time.sleep(0.1)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        return self.output


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


def raw_exchange(
    port: int,
    head: bytes,
    body: bytes = b"",
    *,
    host: str = "127.0.0.1",
    timeout: float = 15,
    shutdown_write: bool = False,
) -> RawResponse:
    """Send ``head + body`` as they are, then read one response (the server may close early)."""
    started = time.perf_counter()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(head + body)
            if shutdown_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking everything: read its answer
        return read_response(sock, started)


def read_response(sock: socket.socket, started: float | None = None) -> RawResponse:
    """The final response; interim ones (``100 Continue``) are read past."""
    started = started or time.perf_counter()
    data = b""
    while True:
        while b"\r\n\r\n" not in data:
            chunk = _recv(sock)
            if not chunk:
                raise AssertionError(f"the connection closed without a response: {data[:200]!r}")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        if not status_line.split()[1].startswith("1"):
            break
        data = rest
    pairs = [tuple(s.strip() for s in line.split(":", 1)) for line in lines]
    headers = {name.lower(): value for name, value in pairs}
    length = int(headers.get("content-length", "-1"))
    while length < 0 or len(rest) < length:
        chunk = _recv(sock)
        if not chunk:
            break
        rest += chunk
    return RawResponse(
        status=int(status_line.split()[1]),
        headers=headers,
        body=rest if length < 0 else rest[:length],
        elapsed=time.perf_counter() - started,
    )


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def request_head(
    method: str, target: str, headers: list[tuple[str, str | bytes]], *, host: str
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1".encode("latin-1"), f"Host: {host}".encode()]
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("latin-1")
        lines.append(name.encode("latin-1") + b": " + raw)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def chunked(body: bytes, size: int = 65536, *, terminate: bool = True) -> bytes:
    pieces = [
        b"%x\r\n" % len(body[i : i + size]) + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return b"".join(pieces) + (b"0\r\n\r\n" if terminate else b"")
