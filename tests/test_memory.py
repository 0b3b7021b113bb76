"""A worker's memory after bulk requests: what one import freed, the next one reuses.

A worker's threads take turns at its event loop, so successive imports run on different
threads; with one glibc malloc arena per thread, each thread's arena kept what its import had
freed, and the worker's resident memory grew import after import (peak 252 -> 353 MB over six
100k imports). ``kore-mock serve`` runs every thread on one arena (``memory.one_malloc_arena``).
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import requests

from bench.common import peak_rss_mb
from mockserver.auth import mint_token
from mockserver.settings import DEV_APP
from mockserver.spec import API_PREFIX
from tests.conftest import HEADER
from tests.server_process import ServerProcess

ROWS = 100_000
GROWTH_ALLOWED_MB = 35  # measured: +15 MB with one arena, +55-65 MB with one per thread


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(str(tmp_path / "mock.db"), tmp_path, workers=1).start()
    try:
        yield process
    finally:
        process.kill()


def import_rows(server: ServerProcess, csv: bytes) -> None:
    url = f"{server.url}{API_PREFIX}/st-mem-{uuid.uuid4().hex[:12]}/contacts/import-contacts"
    headers = {"auth": mint_token(DEV_APP, ttl=600), "accountId": DEV_APP.account_id}
    files = {"result_file": ("contacts.csv", csv, "text/csv")}
    with requests.post(url, headers=headers, files=files, stream=True, timeout=120) as answer:
        assert answer.status_code == 200, answer.text[:300]
        for _ in answer.iter_content(1 << 16):  # read and drop, as a client of a large answer
            pass


def test_the_peak_memory_of_a_worker_stops_growing_after_two_large_imports(server, tmp_path):
    rows = "".join(f"first{i},last{i},Mr,{2000000000 + i},+1,\n" for i in range(ROWS))
    csv = (HEADER + "\n" + rows).encode()
    (worker,) = server.worker_pids()
    peaks = []
    for _ in range(5):
        import_rows(server, csv)
        peaks.append(peak_rss_mb(worker))  # the worker has no children
    growth = peaks[-1] - peaks[1]
    assert growth <= GROWTH_ALLOWED_MB, (
        f"the worker's peak memory grew {growth:.0f} MB over the last three of five imports "
        f"of {ROWS:,} rows (peaks {', '.join(f'{p:.0f}' for p in peaks)} MB)"
    )


def test_the_serve_process_loads_neither_flask_nor_the_spec_validators():
    """The gunicorn master is the ``kore-mock serve`` process, and keeps what the CLI imported:
    the app (Flask, openapi-core, the spec's validators) loads in the workers only. With the app
    imported by the CLI the master kept 69 MB instead of 41 MB of every import's peak."""
    heavy = ["flask", "openapi_core", "jsonschema", "requests", "mockserver.app"]
    probe = f"import sys, mockserver.cli; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]", f"the CLI imports {loaded}"
