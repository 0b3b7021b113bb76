"""Real servers on free loopback ports for tests that need sockets (CLI, faults, browser)."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mockserver.settings import DEV_APP, DEV_STREAM_ID
from mockserver.testing import serve_wsgi

ROOT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


threaded_server = serve_wsgi  # werkzeug's threaded server (what ``flask run`` uses)


def contract_env(base_url: str, **variables: str) -> dict[str, str]:
    """The environment of a contract-suite run against ``base_url`` on the development app:
    this process's own KORE_* variables left out, the target's set, then ``KORE_<name>`` for
    each keyword (``JWT=...``, ``EXAMPLES="10"``...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
    env.update(
        KORE_BASE_URL=base_url, KORE_STREAM_ID=DEV_STREAM_ID, KORE_ACCOUNT_ID=DEV_APP.account_id
    )
    env.update({f"KORE_{name}": value for name, value in variables.items()})
    return env


@contextmanager
def kore_mock_serve(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``kore-mock serve`` (gunicorn) as a subprocess; yields its URL once it answers."""
    with kore_mock_server("serve", *args, cwd=cwd, env={**os.environ, **(env or {})}) as url:
        yield url


@contextmanager
def kore_mock_server(*args: str, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """``kore-mock ARGS --port P`` (a verb that serves: serve, proxy) as a subprocess, in the
    environment ``env``; yields its URL once it answers, stops it (TERM, then KILL) after."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver.cli", *args, "--port", str(port)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url, process)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def wait_for(url: str, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/__mock__/health", timeout=1) as response:
                if json.load(response)["status"] == "ok":
                    return
        except urllib.error.HTTPError:
            return  # it answers (403: an admin token is required)
        except OSError:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError("the server exited:\n" + output) from None
            if time.time() > deadline:
                raise AssertionError(f"the server at {url} did not start") from None
            time.sleep(0.1)


def call(
    url: str,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One HTTP call; (status, headers, parsed JSON or text). HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, head, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, dict(error.headers), error.read()
    text = raw.decode()
    is_json = head.get("Content-Type", "").startswith("application/json")
    return status, head, json.loads(text) if is_json else text


@contextmanager
def answering(
    body: bytes, content_type: str, *, delay: float = 0.0, status: int = 200
) -> Iterator[str]:
    """A host on a loopback port answering every request (GET, POST, PUT, DELETE; a body it
    is sent is read and dropped) with ``status`` and ``body`` (after ``delay`` seconds): a login
    page, or JSON that is not what kore-mock answers. Yields its URL."""

    class Constant(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Constant) as host:
        yield f"http://127.0.0.1:{host.server_port}"


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[Any]:
    """A stand-in host: ``handler`` served on a free loopback port in threads of its own;
    yields the server (its ``server_port``), shut down and closed afterwards."""
    host = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    host.daemon_threads = True
    threading.Thread(target=host.serve_forever, daemon=True).start()
    try:
        yield host
    finally:
        host.shutdown()
        host.server_close()
