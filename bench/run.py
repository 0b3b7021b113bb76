"""All of kore-mock's benchmarks in one run: prints the table and writes bench/results.md.

    python -m bench.run [--quick]

1. Bulk import over HTTP (1k / 10k / 100k rows) on SQLite and PostgreSQL vs a floor on the
   same backend (SQLite: executemany; PostgreSQL: COPY).
2. Small requests (list / create / update) under 16 keep-alive clients vs WireMock, Prism,
   Mockoon and a bare Flask app.
3. Namespace size: list at skip=0 and skip=99990 of a 100,000-contact stream vs a 50-contact
   stream, both backends.
4. The contract suite's wall time at default settings.
5. Latency faults over HTTP: a log-normal delay's median and sigma, a trickled body's timing.

Every ratio is against a floor or peer measured in the same run on the same machine; absolute
numbers drift with the machine's load. Needs wrk (apt-get install wrk), npm (Prism, WireMock
and Mockoon are installed into bench/.npm on first use), Java 11+ for WireMock (apt-get install
default-jre-headless) and PostgreSQL's server programs (apt-get install postgresql).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import import_bench, latency_bench, namespace_size, small_requests
from bench.common import ROOT

RESULTS = Path(__file__).parent / "results.md"
CONTRACT_TARGET_S = 120.0


def contract_suite_seconds() -> tuple[float, bool]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "contract_tests", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-2000:], sep="\n")
    return elapsed, result.returncode == 0


def postgres_cluster() -> object | None:
    """A throwaway PostgreSQL server (the tests' own), or None with the reason printed."""
    sys.path.insert(0, str(ROOT))
    try:
        from tests.postgres_cluster import ClusterUnavailable, start_cluster
    except ImportError as exc:  # psycopg missing
        print(f"PostgreSQL parts skipped: {exc}")
        return None
    try:
        return start_cluster()
    except ClusterUnavailable as exc:
        print(f"PostgreSQL parts skipped: {exc}")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter loads")
    args = parser.parse_args()
    repeat = 1 if args.quick else 5  # imports
    # small requests: more, shorter runs; their median evens out gunicorn's accept race
    wrk_repeat, wrk_seconds, warmup = (3, 4, 3) if args.quick else (5, 6, 5)
    ns_repeat, ns_seconds = (1, 3) if args.quick else (3, 4)
    load_before = os.getloadavg()[0]
    sections: list[str] = []
    ok = True

    cluster = postgres_cluster()
    try:

        def pg_url() -> str | None:
            return None if cluster is None else cluster.new_database(empty=True)

        print("== 1. bulk import", flush=True)
        lines, passed = import_bench.table(
            import_bench.measure([1_000, 10_000, 100_000], repeat, pg_url())
        )
        sections += [
            f"### 1. Bulk import (curl → `kore-mock serve`, median of {repeat}) vs the floor "
            "on the same backend",
            "",
            *lines,
            "",
        ]
        ok = ok and passed
        print("\n".join(lines), flush=True)

        print("== 2. small requests", flush=True)
        lines, passed = small_requests.table(
            small_requests.measure(wrk_seconds, wrk_repeat, warmup)
        )
        sections += [
            f"### 2. Small requests (wrk, 16 keep-alive clients, {wrk_seconds} s runs after a "
            f"{warmup} s warm-up, interleaved, median of {wrk_repeat})",
            "",
            *lines,
            "",
        ]
        ok = ok and passed
        print("\n".join(lines), flush=True)

        print("== 3. namespace size", flush=True)
        lines, passed = namespace_size.table(
            namespace_size.measure(ns_seconds, ns_repeat, pg_url())
        )
        sections += [
            f"### 3. Namespace size (`serve --workers 2`, wrk list, {ns_seconds} s runs, "
            f"interleaved, median of {ns_repeat})",
            "",
            *lines,
            "",
        ]
        ok = ok and passed
        print("\n".join(lines), flush=True)
    finally:
        if cluster is not None:
            cluster.stop()

    if (ROOT / "contract_tests").is_dir():
        print("== 4. contract suite", flush=True)
        elapsed, suite_ok = contract_suite_seconds()
        passed = suite_ok and elapsed <= CONTRACT_TARGET_S
        line = (
            f"| contract suite, default run | {elapsed:.1f} s | ≤ {CONTRACT_TARGET_S:.0f} s | "
            f"{'pass' if passed else 'FAIL'} |"
        )
        lines = ["| measure | value | target | result |", "|---|---|---|---|", line]
        sections += ["### 4. Contract suite", "", *lines, ""]
        ok = ok and passed
        print("\n".join(lines), flush=True)

    print("== 5. latency faults", flush=True)
    lines, passed = latency_bench.table(latency_bench.measure())
    sections += [
        "### 5. Latency faults (`kore-mock serve --workers 2`, 4 keep-alive clients; "
        f"{latency_bench.CALLS} log-normal calls, 20 trickled)",
        "",
        *lines,
        "",
    ]
    ok = ok and passed
    print("\n".join(lines), flush=True)

    header = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.run"
        f"{' --quick' if args.quick else ''}` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average before the run {load_before:.2f}.",
        "",
    ]
    RESULTS.write_text("\n".join(header + sections))
    print(f"written to {RESULTS.relative_to(ROOT)}; overall {'pass' if ok else 'FAIL'}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
