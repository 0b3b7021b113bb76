"""A/B of two kore-mock source trees: both served and loaded at the same time, the ratio of rates.

This machine's speed drifts by ±15 % between two runs a minute apart, more than most single
changes gain, so two trees measured one after the other say little. Here both trees serve at
once (``kore-mock serve`` on SQLite, each with the benchmark's 50-contact list stream) and two
wrk processes load them at the same moment for each round: whatever the machine does to one it
does to the other, and the ratio B ÷ A of their rates is the measurement (the median of the
rounds). Every answer is counted by status; a round with a non-2xx answer is marked.

``import`` (not in the default operations) does the same for a bulk import: each round both
servers are sent the same generated CSV file of ``--rows`` rows at the same moment (curl, into a
fresh stream), and B ÷ A is the ratio of their speeds (A's seconds ÷ B's).

    python -m bench.ab BEFORE_TREE AFTER_TREE [--ops list,create,update,import] [--workers 2]
                        [--seconds 4] [--rounds 5] [--rows 100000]

A tree is a checkout of this repository (``git worktree add /tmp/before <rev>``); it is put
first on the server's ``PYTHONPATH``, so it runs with this checkout's virtual environment.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from bench.common import WRK_DIR, free_port, kore_mock_cmd, running, wrk
from bench.import_bench import curl_upload, make_csv
from bench.small_requests import _seed_kore_mock
from mockserver.auth import mint_token
from mockserver.settings import DEV_APP

OPERATIONS = ("list", "create", "update")
IMPORT = "import"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="the tree measured first (before)")
    parser.add_argument("b", type=Path, help="the tree compared with it (after)")
    parser.add_argument("--ops", default=",".join(OPERATIONS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8, help="wrk's, per server")
    parser.add_argument("--rows", type=int, default=100_000, help="of the import's CSV file")
    args = parser.parse_args()
    ops = [op for op in args.ops.split(",") if op]
    known = (*OPERATIONS, IMPORT)
    unknown = sorted(set(ops) - set(known))
    if unknown:
        parser.error(f"unknown operation(s) {', '.join(unknown)}; known: {', '.join(known)}")
    for tree in (args.a, args.b):
        if not (tree / "mockserver" / "__init__.py").is_file():
            parser.error(f"{tree} is not a kore-mock tree (no mockserver/__init__.py)")

    env = {"KORE_JWT": mint_token(DEV_APP, ttl=24 * 3600), "KORE_ACCOUNT_ID": DEV_APP.account_id}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        targets, bases = {}, {}
        for name, tree in (("A", args.a), ("B", args.b)):
            port = free_port()
            servers.enter_context(
                running(
                    kore_mock_cmd(port, str(Path(tmp) / f"{name}.db"), workers=args.workers),
                    f"http://127.0.0.1:{port}/__mock__/health",
                    env={"PYTHONPATH": str(tree.resolve())},
                )
            )
            targets[name] = _seed_kore_mock(port, env)[0]
            bases[name] = f"http://127.0.0.1:{port}"
        print(f"A = {args.a}, B = {args.b}: serve --workers {args.workers}, SQLite", flush=True)
        if IMPORT in ops:
            csv_file = Path(tmp) / "import.csv"
            make_csv(args.rows, csv_file)
        for op in ops:
            ratios = []
            for round_ in range(1, args.rounds + 1):
                if op == IMPORT:
                    ratio, line = _both_at_once(
                        lambda name, r=round_: _import(bases[name], env["KORE_JWT"], csv_file, r)
                    )
                else:
                    ratio, line = _both_at_once(
                        lambda name, op=op: _load(targets[name].urls[op], op, env, args)
                    )
                ratios.append(ratio)
                print(f"  {op} round {round_}: {line}", flush=True)
            print(f"{op}: B/A {statistics.median(ratios):.3f} (median of {len(ratios)})")


def _both_at_once(measure: Callable[[str], tuple[float, bool, str]]) -> tuple[float, str]:
    """``measure`` of A and of B, started together: (B ÷ A of their rates, a line on them)."""
    results: dict[str, tuple[float, bool, str]] = {}
    threads = [
        threading.Thread(target=lambda name=name: results.update({name: measure(name)}))
        for name in ("A", "B")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (a, a_clean, a_text), (b, b_clean, b_text) = results["A"], results["B"]
    clean = "" if a_clean and b_clean else "  (non-2xx answers: not a comparison)"
    ratio = b / a if a else float("nan")
    return ratio, f"A {a_text}, B {b_text}, B/A {ratio:.3f}{clean}"


def _load(
    url: str, op: str, env: dict[str, str], args: argparse.Namespace
) -> tuple[float, bool, str]:
    """wrk on one server: (req/s, every answer 2xx, what to print)."""
    result = wrk(
        url,
        script=WRK_DIR / f"{op}.lua",
        seconds=args.seconds,
        env=env,
        connections=args.connections,
        threads=1,
    )
    return result.requests_per_s, result.clean, f"{result.requests_per_s:,.0f} req/s"


def _import(base: str, token: str, csv_file: Path, round_: int) -> tuple[float, bool, str]:
    """One import of the file into a fresh stream: (imports per second, answered 200, text)."""
    url = f"{base}/agentassist/api/v1/public/st-ab-import-{round_}/contacts/import-contacts"
    status, took = curl_upload(url, token, csv_file)
    return 1 / took, status == "200", f"{took:.2f} s ({status})"


if __name__ == "__main__":
    main()
