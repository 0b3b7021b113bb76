"""Bulk import over HTTP vs a floor measured in the same run, on the same backend.

For each size (1,000 / 10,000 / 100,000 rows) a generated CSV file is imported with curl into
a fresh stream of `kore-mock serve` (SQLite, and PostgreSQL when a URL is given or a throwaway
cluster can be started), and compared with the floor: the unavoidable work done with the plain
driver — `csv` parse of the same file, the same stored values written in one transaction into a
table with the same columns and the same partial unique index (SQLite: one `executemany`;
PostgreSQL: one `COPY` into the same database the server uses), `json.dumps` of the same
response list. A second floor does the same work into a table with kore-mock's own indexes
(the contact id's unique index and the listing index beside the duplicate rule's): the part of
the gap that is the indexes every store of contacts needs, reported beside the target's floor.
Both floors run without the cyclic garbage collector, as kore-mock's bulk requests do (with it,
the floor scanned the answers this process had parsed, and looked slower than it is).

Each import is followed at once by its two floors, and a ratio is the median of those paired
ratios: on a shared machine whose speed drifts by ±15 % from one minute to the next, an import
and the floor measured right after it see the same machine, two medians taken apart need not.
For the same reason the sizes take turns (1k, 10k, 100k, then again), and 100k ÷ 10k is the
median of each turn's 100k import over its 10k import (the ratio of the two medians is printed
beside it). The peak RSS is the server's over the whole run.

    python -m bench.import_bench [--sizes 1000 10000 100000] [--repeat 5] [--pg URL]
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import sqlite3
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import free_port, kore_mock_cmd, peak_rss_mb, running
from mockserver.auth import mint_token
from mockserver.settings import DEV_APP
from mockserver.store.base import COLUMNS

HEADER = "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension"
TARGET_VS_FLOOR = 1.2
TARGET_LINEAR = 11.0
TARGET_RSS_MB = 300.0


def make_csv(rows: int, path: Path) -> None:
    with path.open("w") as handle:
        handle.write(HEADER + "\n")
        for i in range(rows):
            handle.write(f"first{i},last{i},Mr,{2000000000 + i},+1,\n")


def _stored_values(data: bytes, response: list[dict]) -> list[tuple]:
    """The CSV parsed into the rows the server stored: its ids, audit fields and timestamps."""
    ids = [c["id"] for c in response]
    first = response[0] if response else {}
    org, by, by_aid, stamp = (
        first.get(k, "") for k in ("orgId", "createdBy", "createdByAId", "createdAt")
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1:]
    return [
        (
            ids[i],
            DEV_APP.account_id,
            "st-floor",
            "ACTIVE",
            r[0],
            r[1],
            r[2],
            f"+{r[4].lstrip('+')}{r[3]}",
            r[4],
            r[5],
            org,
            by,
            by_aid,
            None,
            None,
            stamp,
            stamp,
            0,
        )
        for i, r in enumerate(rows)
    ]


# what kore-mock's contacts table indexes besides the duplicate rule's (the "indexed" floor)
KORE_MOCK_INDEXES = (
    "CREATE UNIQUE INDEX {table}_id ON {table} (id)",  # a contact by its id
    "CREATE INDEX {table}_listing ON {table} (account_id, stream_id, status, seq)",  # pages
)


def floor_seconds(
    data: bytes, response: list[dict], workdir: Path, *, indexed: bool = False
) -> float:
    """The unavoidable work with the stdlib alone: csv, sqlite3 executemany, json (``indexed``:
    into a table with kore-mock's other indexes too)."""
    db_path = workdir / f"floor-{uuid.uuid4().hex}.db"
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(f"CREATE TABLE c (seq INTEGER PRIMARY KEY, {', '.join(COLUMNS)}, dup_slot)")
    db.execute(
        "CREATE UNIQUE INDEX u ON c (account_id, stream_id, phone_number, dup_slot)"
        " WHERE status = 'ACTIVE'"
    )
    for statement in KORE_MOCK_INDEXES if indexed else ():
        db.execute(statement.format(table="c"))
    with _no_cyclic_gc():
        started = time.perf_counter()
        values = _stored_values(data, response)
        db.execute("BEGIN")
        db.executemany(
            f"INSERT INTO c ({', '.join(COLUMNS)}, dup_slot) VALUES "
            f"({', '.join('?' * (len(COLUMNS) + 1))})",
            values,
        )
        db.execute("COMMIT")
        json.dumps(response)
        elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def pg_floor_seconds(
    data: bytes, response: list[dict], url: str, *, indexed: bool = False
) -> float:
    """The unavoidable work on PostgreSQL: csv, one COPY (psycopg) into a table like contacts
    (same columns, identity key, the same partial unique index; ``indexed``: kore-mock's other
    indexes too) in the server's database, json.
    """
    import psycopg  # the postgres extra

    table = f"floor_{uuid.uuid4().hex[:12]}"
    columns = ", ".join(COLUMNS)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            + ", ".join(f"{c} TEXT" for c in COLUMNS)
            + ", dup_slot INTEGER NOT NULL DEFAULT 0)"
        )
        conn.execute(
            f"CREATE UNIQUE INDEX {table}_u ON {table} "
            "(account_id, stream_id, phone_number, dup_slot) WHERE status = 'ACTIVE'"
        )
        for statement in KORE_MOCK_INDEXES if indexed else ():
            conn.execute(statement.format(table=table))
        try:
            with _no_cyclic_gc():
                started = time.perf_counter()
                values = _stored_values(data, response)
                copy_rows = f"COPY {table} ({columns}) FROM STDIN"
                with conn.transaction(), conn.cursor() as cursor, cursor.copy(copy_rows) as copy:
                    for row in values:
                        copy.write_row(row[:-1])  # dup_slot takes its default, 0
                json.dumps(response)
                elapsed = time.perf_counter() - started
        finally:
            conn.execute(f"DROP TABLE {table}")
    return elapsed


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The floor runs as kore-mock's bulk requests do (``mockserver.memory``): without the
    cyclic collector, which in this process would scan the answers parsed so far."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass
class Run:
    seconds: float
    created: int
    response: list[dict]


def curl_import(url: str, token: str, path: Path) -> Run:
    with tempfile.NamedTemporaryFile() as out:
        status, seconds = curl_upload(url, token, path, out.name)
        if status != "200":
            raise RuntimeError(f"import answered {status}: {Path(out.name).read_text()[:300]}")
        response = json.loads(Path(out.name).read_bytes())
    return Run(seconds, len(response), response)


def curl_upload(url: str, token: str, path: Path, out: str = "/dev/null") -> tuple[str, float]:
    """The file sent to an import URL by curl, the answer written to ``out``: (HTTP status,
    seconds curl took)."""
    result = subprocess.run(
        [
            "curl",
            "-s",
            "-S",
            "-o",
            out,
            "-w",
            "%{http_code} %{time_total}",
            "-H",
            f"auth: {token}",
            "-H",
            f"accountId: {DEV_APP.account_id}",
            "-F",
            f"result_file=@{path};type=text/csv",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    status, seconds = result.stdout.split()
    return status, float(seconds)


@contextmanager
def server(db: str, workdir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    with running(
        kore_mock_cmd(port, db), f"http://127.0.0.1:{port}/__mock__/health", cwd=workdir
    ) as process:
        yield f"http://127.0.0.1:{port}", process.pid


def bench_backend(
    name: str, db: str, sizes: list[int], repeat: int, workdir: Path, files: dict[int, Path]
) -> list[dict]:
    def floor(data: bytes, response: list[dict], *, indexed: bool = False) -> float:
        if name == "postgresql":
            return pg_floor_seconds(data, response, db, indexed=indexed)
        return floor_seconds(data, response, workdir, indexed=indexed)

    token = mint_token(DEV_APP, ttl=24 * 3600)
    rows_out = []
    # the sizes take turns (1k, 10k, 100k, 1k, ...): the imports of one size are spread over
    # the whole run, as the machine's speed and the store's size change, not bunched at one end
    measured: dict[int, dict[str, list[float]]] = {
        size: {"runs": [], "floors": [], "indexed": [], "ratios": [], "indexed_ratios": []}
        for size in sizes
    }
    with server(db, workdir) as (base, pid):
        for turn in range(1, repeat + 1):
            for size in sizes:
                m = measured[size]
                stream = f"st-bench-{uuid.uuid4().hex[:12]}"
                url = f"{base}/agentassist/api/v1/public/{stream}/contacts/import-contacts"
                run = curl_import(url, token, files[size])
                assert run.created == size, (run.created, size)
                m["runs"].append(run.seconds)
                m["floors"].append(floor(files[size].read_bytes(), run.response))
                m["indexed"].append(floor(files[size].read_bytes(), run.response, indexed=True))
                m["ratios"].append(run.seconds / m["floors"][-1])
                m["indexed_ratios"].append(run.seconds / m["indexed"][-1])
            print(f"  {name}: turn {turn}/{repeat} done", flush=True)
        rss = peak_rss_mb(pid)  # the server's peak over the whole run (every size)
        for size in sizes:
            m = measured[size]
            ratios = m["ratios"]
            rows_out.append(
                {
                    "backend": name,
                    "rows": size,
                    "seconds": statistics.median(m["runs"]),
                    "runs": m["runs"],
                    "floor": statistics.median(m["floors"]),
                    "indexed_floor": statistics.median(m["indexed"]),
                    "ratio": statistics.median(ratios),
                    "indexed_ratio": statistics.median(m["indexed_ratios"]),
                    "rss": rss,
                }
            )
            print(
                f"  {name} {size:>7} rows: {rows_out[-1]['seconds']:.3f} s "
                f"(floor {rows_out[-1]['floor']:.3f} s, "
                f"with kore-mock's indexes {rows_out[-1]['indexed_floor']:.3f} s; "
                f"paired ratios {', '.join(f'{r:.2f}' for r in ratios)})",
                flush=True,
            )
    return rows_out


def table(results: list[dict]) -> tuple[list[str], bool]:
    lines = [
        f"| backend | rows | import s | floor s | paired ratio (≤ {TARGET_VS_FLOOR}) | "
        f"peak RSS MB (≤ {TARGET_RSS_MB:g}) | floor with kore-mock's indexes s | ratio to it |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    by_backend: dict[str, dict[int, dict]] = {}
    for r in results:
        by_backend.setdefault(r["backend"], {})[r["rows"]] = r
        ratio = r["ratio"]
        big = r["rows"] >= 100_000
        ratio_ok = ratio <= TARGET_VS_FLOOR or not big
        rss_ok = r["rss"] <= TARGET_RSS_MB
        ok = ok and ratio_ok and rss_ok
        lines.append(
            f"| {r['backend']} | {r['rows']:,} | {r['seconds']:.3f} | {r['floor']:.3f} | "
            f"{ratio:.2f}{(' pass' if ratio_ok else ' FAIL') if big else ''} | "
            f"{r['rss']:.0f}{' pass' if rss_ok else ' FAIL'} | "
            f"{r['indexed_floor']:.3f} | {r['indexed_ratio']:.2f} |"
        )
    for backend, sizes in by_backend.items():
        if 100_000 in sizes and 10_000 in sizes:
            big, small = sizes[100_000], sizes[10_000]
            # each 100k import over the 10k import of the same turn (they ran minutes apart at
            # most, not the whole run apart), the median of those; the ratio of the two
            # medians beside it
            linear = statistics.median(
                b / s for b, s in zip(big["runs"], small["runs"], strict=True)
            )
            linear_ok = linear <= TARGET_LINEAR
            ok = ok and linear_ok
            lines.append(
                f"| {backend} | 100k ÷ 10k | {linear:.2f} (≤ {TARGET_LINEAR:g}; median of paired "
                f"ratios; ratio of medians {big['seconds'] / small['seconds']:.2f}) | | "
                f"{'pass' if linear_ok else 'FAIL'} | | | |"
            )
    return lines, ok


def measure(sizes: list[int], repeat: int, pg_url: str | None) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        files = {}
        for size in sizes:
            files[size] = workdir / f"{size}.csv"
            make_csv(size, files[size])
        results = bench_backend("sqlite", str(workdir / "bench.db"), sizes, repeat, workdir, files)
        if pg_url:
            results += bench_backend("postgresql", pg_url, sizes, repeat, workdir, files)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", help="postgresql://... URL of an empty database to bench too")
    args = parser.parse_args()
    lines, ok = table(measure(args.sizes, args.repeat, args.pg))
    print("\n".join(lines))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
