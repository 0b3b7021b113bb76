"""A/B of two kore-mock source trees: both served and loaded at the same time, the ratio of rates.

This machine's speed drifts by ±15 % between two runs a minute apart, more than most single
changes gain, so two trees measured one after the other say little. Here both trees serve at
once (``kore-mock serve`` on SQLite, each with the benchmark's 50-contact list stream) and two
wrk processes load them at the same moment for each round: whatever the machine does to one it
does to the other, and the ratio B ÷ A of their rates is the measurement (the median of the
rounds). Every answer is counted by status; a round with a non-2xx answer is marked.

    python -m bench.ab BEFORE_TREE AFTER_TREE [--ops list,create,update] [--workers 2]
                        [--seconds 4] [--rounds 5]

A tree is a checkout of this repository (``git worktree add /tmp/before <rev>``); it is put
first on the server's ``PYTHONPATH``, so it runs with this checkout's virtual environment.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import threading
from pathlib import Path

from bench.common import WRK_DIR, free_port, kore_mock_cmd, running, wrk
from bench.small_requests import _seed_kore_mock
from mockserver.auth import mint_token
from mockserver.settings import DEV_APP

OPERATIONS = ("list", "create", "update")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="the tree measured first (before)")
    parser.add_argument("b", type=Path, help="the tree compared with it (after)")
    parser.add_argument("--ops", default=",".join(OPERATIONS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8, help="wrk's, per server")
    args = parser.parse_args()
    ops = [op for op in args.ops.split(",") if op]
    unknown = sorted(set(ops) - set(OPERATIONS))
    if unknown:
        parser.error(f"unknown operation(s) {', '.join(unknown)}; known: {', '.join(OPERATIONS)}")
    for tree in (args.a, args.b):
        if not (tree / "mockserver" / "__init__.py").is_file():
            parser.error(f"{tree} is not a kore-mock tree (no mockserver/__init__.py)")

    env = {"KORE_JWT": mint_token(DEV_APP, ttl=24 * 3600), "KORE_ACCOUNT_ID": DEV_APP.account_id}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        targets = {}
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
        print(f"A = {args.a}, B = {args.b}: serve --workers {args.workers}, SQLite", flush=True)
        for op in ops:
            ratios = []
            for round_ in range(1, args.rounds + 1):
                results = {}

                def load(name: str, op: str = op, results: dict = results) -> None:
                    results[name] = wrk(
                        targets[name].urls[op],
                        script=WRK_DIR / f"{op}.lua",
                        seconds=args.seconds,
                        env=env,
                        connections=args.connections,
                        threads=1,
                    )

                loads = [threading.Thread(target=load, args=(name,)) for name in ("A", "B")]
                for thread in loads:
                    thread.start()
                for thread in loads:
                    thread.join()
                a, b = results["A"], results["B"]
                ratios.append(b.requests_per_s / a.requests_per_s)
                clean = "" if a.clean and b.clean else "  (non-2xx answers: not a comparison)"
                print(
                    f"  {op} round {round_}: A {a.requests_per_s:,.0f} req/s,"
                    f" B {b.requests_per_s:,.0f} req/s, B/A {ratios[-1]:.3f}{clean}",
                    flush=True,
                )
            print(f"{op}: B/A {statistics.median(ratios):.3f} (median of {len(ratios)})")


if __name__ == "__main__":
    main()
