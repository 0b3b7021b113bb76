"""Latency faults over HTTP: does a log-normal delay have the median and sigma set, does a
trickled body take the time set?

Against ``kore-mock serve --workers 2`` (8 threads), with 4 keep-alive clients:
- the floor: listContacts without a fault (median round trip, measured in the same run);
- ``latencyLogNormal {medianMs: 50, sigma: 0.5}`` on listContacts: 1,000 calls; the delay of a
  call is its round trip minus the floor's median; its median must be within 5 % of 50 ms and
  the standard deviation of its logarithm within 10 % of 0.5;
- ``trickle {totalMs: 500, chunks: 5}``: 20 calls; time to the first byte (100 ms) and to the
  last (500 ms) above the floor, each within 10 %.

    python -m bench.latency_bench
"""

from __future__ import annotations

import http.client
import json
import math
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.common import free_port, kore_mock_cmd, running
from mockserver.auth import mint_token
from mockserver.settings import DEV_APP, DEV_STREAM_ID

PATH = f"/agentassist/api/v1/public/{DEV_STREAM_ID}/contacts?limit=1"
MEDIAN_MS, SIGMA = 50.0, 0.5
TRICKLE_MS, CHUNKS = 500, 5
CALLS, THREADS = 1000, 4  # fewer clients than the server has threads (2 workers x 4)
MEDIAN_TOLERANCE, SIGMA_TOLERANCE, TRICKLE_TOLERANCE = 0.05, 0.10, 0.10


@dataclass
class Measured:
    floor_ms: float
    median_ms: float
    sigma: float
    first_byte_ms: float
    last_byte_ms: float

    def checks(self) -> list[tuple[str, float, float, float]]:
        """(measure, value, set, tolerance)."""
        return [
            ("log-normal median ms", self.median_ms, MEDIAN_MS, MEDIAN_TOLERANCE),
            ("log-normal sigma", self.sigma, SIGMA, SIGMA_TOLERANCE),
            ("trickle first byte ms", self.first_byte_ms, TRICKLE_MS / CHUNKS, TRICKLE_TOLERANCE),
            ("trickle last byte ms", self.last_byte_ms, TRICKLE_MS, TRICKLE_TOLERANCE),
        ]


def _round_trips(port: int, calls: int) -> list[tuple[float, float]]:
    """(first byte, last byte) in ms of ``calls`` GETs, on THREADS keep-alive connections."""
    headers = {"auth": mint_token(DEV_APP, ttl=None), "accountId": DEV_APP.account_id}

    def worker(n: int) -> list[tuple[float, float]]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        times = []
        for _ in range(n):
            started = time.perf_counter()
            conn.request("GET", PATH, headers=headers)
            response = conn.getresponse()
            first = time.perf_counter()
            response.read()
            times.append(((first - started) * 1000, (time.perf_counter() - started) * 1000))
        conn.close()
        return times

    shares = [calls // THREADS + (i < calls % THREADS) for i in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        return [t for part in pool.map(worker, shares) for t in part]


def _set_fault(port: int, fault: dict | None) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    if fault is None:
        conn.request("DELETE", "/__mock__/faults")
    else:
        body = json.dumps(fault)
        conn.request("PUT", "/__mock__/faults/listContacts", body=body,
                     headers={"Content-Type": "application/json"})  # fmt: skip
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status
    conn.close()


def measure() -> Measured:
    port = free_port()
    db = str(Path(tempfile.mkdtemp(prefix="kore-mock-latency-")) / "bench.db")  # 2 workers share it
    with running(kore_mock_cmd(port, db, workers=2), f"http://127.0.0.1:{port}/__mock__/health"):
        _round_trips(port, 200)  # warm up
        floor = statistics.median(last for _, last in _round_trips(port, 400))
        _set_fault(port, {"latencyLogNormal": {"medianMs": MEDIAN_MS, "sigma": SIGMA}})
        delays = [max(0.01, last - floor) for _, last in _round_trips(port, CALLS)]
        _set_fault(port, {"trickle": {"totalMs": TRICKLE_MS, "chunks": CHUNKS}})
        trickled = _round_trips(port, 20)
        _set_fault(port, None)
    logs = [math.log(d) for d in delays]
    # the first byte of a trickled answer comes with the first piece; the floor's own first
    # byte is nearly all of its round trip
    return Measured(
        floor_ms=floor,
        median_ms=statistics.median(delays),
        sigma=statistics.stdev(logs),
        first_byte_ms=statistics.median(first for first, _ in trickled) - floor,
        last_byte_ms=statistics.median(last for _, last in trickled) - floor,
    )


def table(result: Measured) -> tuple[list[str], bool]:
    lines = [
        f"Floor: listContacts without a fault, median round trip {result.floor_ms:.2f} ms "
        f"({THREADS} keep-alive clients); each value below is above it.",
        "",
        "| measure | measured | set | tolerance | result |",
        "|---|---|---|---|---|",
    ]
    ok = True
    for name, value, target, tolerance in result.checks():
        passed = abs(value - target) <= tolerance * target
        ok = ok and passed
        lines.append(
            f"| {name} | {value:.3f} | {target:g} | ±{tolerance:.0%} | "
            f"{'pass' if passed else 'FAIL'} |"
        )
    return lines, ok


def main() -> None:
    lines, ok = table(measure())
    print("\n".join(lines))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
