"""Does a request cost more in a big namespace? 100,000 contacts vs 50, in one run.

One `kore-mock serve --workers 2` per backend holds two streams of the development account: a
small one (50 contacts, created by JSON) and a big one (100,000 contacts, one CSV import). Then,
interleaved and repeated (medians):

- wrk (16 keep-alive clients) on the list of the small stream, and on the big stream's list at
  ``skip=0`` and at ``skip=99990`` (its last page): the targets are at least 0.8 and 0.5 times
  the small stream's rate;
- single requests one after another on one keep-alive connection (median latency): the same
  three lists, the control plane's browse page of the big stream at ``skip=0`` and deep, a create
  in each stream; and one export of each stream (the whole namespace, by design).

    python -m bench.namespace_size [--seconds 4] [--repeat 3] [--pg URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.common import WRK_DIR, WrkResult, free_port, kore_mock_cmd, median, running, wrk
from bench.import_bench import curl_import, make_csv
from mockserver.auth import mint_token
from mockserver.settings import DEV_APP

BIG = 100_000
SMALL = 50
DEEP_SKIP = BIG - 10
TARGET_SKIP_0 = 0.8
TARGET_DEEP = 0.5
API = "/agentassist/api/v1/public"
LATENCY_SAMPLES = 25
WRK_CASES = ("small", "big skip=0", f"big skip={DEEP_SKIP}")


@dataclass
class BackendResult:
    backend: str
    rates: dict[str, WrkResult]
    latency_ms: dict[str, float]


class _Client:
    """One keep-alive HTTP connection with the vendor's headers."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"auth": token, "accountId": DEV_APP.account_id}

    def reconnect(self) -> None:
        """A fresh connection, opened by an untimed request (the server drops idle ones)."""
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self.call("GET", "/__mock__/health")

    def call(self, method: str, path: str, body: object = None) -> tuple[float, bytes]:
        data = None if body is None else json.dumps(body).encode()
        headers = {**self.headers, "Content-Type": "application/json"} if data else self.headers
        started = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        if not 200 <= response.status < 300:
            raise RuntimeError(f"{method} {path} answered {response.status}: {payload[:300]!r}")
        return elapsed, payload

    def close(self) -> None:
        self.conn.close()


def _contacts(n: int, first_number: int) -> list[dict]:
    return [
        {
            "firstName": f"small{i}",
            "lastName": "bench",
            "salutation": "Mr",
            "cellPhone": {
                "phoneNumber": str(first_number + i),
                "countryCode": "+1",
                "extension": "",
            },
        }
        for i in range(n)
    ]


def bench_backend(name: str, db: str, csv_path: Path, seconds: int, repeat: int) -> BackendResult:
    token = mint_token(DEV_APP, ttl=24 * 3600)
    env = {"KORE_JWT": token, "KORE_ACCOUNT_ID": DEV_APP.account_id}
    small, big = f"st-small-{uuid.uuid4().hex[:10]}", f"st-big-{uuid.uuid4().hex[:10]}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(kore_mock_cmd(port, db, workers=2), f"{base}/__mock__/health"):
        client = _Client(port, token)
        client.call("POST", f"{API}/{small}/contacts", _contacts(SMALL, 3000000000))
        client.close()
        run = curl_import(f"{base}{API}/{big}/contacts/import-contacts", token, csv_path)
        assert run.created == BIG, run.created
        print(f"  {name}: {BIG:,} contacts imported in {run.seconds:.1f} s", flush=True)
        lists = {
            "small": f"{API}/{small}/contacts",
            "big skip=0": f"{API}/{big}/contacts",
            f"big skip={DEEP_SKIP}": f"{API}/{big}/contacts?skip={DEEP_SKIP}",
        }
        browse = f"/__mock__/namespaces/{DEV_APP.account_id}/{big}/contacts"
        singles = {
            **{f"list {case}": ("GET", path, None) for case, path in lists.items()},
            "browse big skip=0": ("GET", browse, None),
            f"browse big skip={DEEP_SKIP}": ("GET", f"{browse}?skip={DEEP_SKIP}", None),
        }
        latency: dict[str, list[float]] = {case: [] for case in singles}
        latency["create small"], latency["create big"] = [], []
        runs: dict[str, list[WrkResult]] = {case: [] for case in WRK_CASES}
        number = 4000000000
        for _ in range(repeat):
            client.reconnect()
            for _ in range(LATENCY_SAMPLES // repeat + 1):
                for case, (method, path, body) in singles.items():
                    latency[case].append(client.call(method, path, body)[0])
                for case, stream in (("create small", small), ("create big", big)):
                    number += 1
                    body = _contacts(1, number)
                    latency[case].append(client.call("POST", f"{API}/{stream}/contacts", body)[0])
            for case in WRK_CASES:
                runs[case].append(
                    wrk(base + lists[case], script=WRK_DIR / "list.lua", seconds=seconds, env=env)
                )
        client.reconnect()
        for case, stream in (("export small", small), ("export big", big)):
            path = f"/__mock__/namespaces/{DEV_APP.account_id}/{stream}/export"
            latency[case] = [client.call("GET", path)[0]]
        client.close()
    return BackendResult(
        name,
        {case: median(r) for case, r in runs.items()},
        {case: statistics.median(values) * 1000 for case, values in latency.items()},
    )


def measure(seconds: int, repeat: int, pg_url: str | None) -> list[BackendResult]:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "big.csv"
        make_csv(BIG, csv_path)
        results = [bench_backend("sqlite", str(Path(tmp) / "ns.db"), csv_path, seconds, repeat)]
        if pg_url:
            results.append(bench_backend("postgresql", pg_url, csv_path, seconds, repeat))
    return results


def table(results: list[BackendResult]) -> tuple[list[str], bool]:
    lines = [
        f"| backend | list, {SMALL} contacts | list, {BIG:,}, skip=0 | list, {BIG:,}, "
        f"skip={DEEP_SKIP} | skip=0 ÷ small (≥ {TARGET_SKIP_0}) | deep ÷ small "
        f"(≥ {TARGET_DEEP}) |",
        "|---|---|---|---|---|---|",
    ]
    ok = True
    for r in results:
        small, top, bottom = (r.rates[c] for c in WRK_CASES)
        clean = small.clean and top.clean and bottom.clean
        top_ratio = top.requests_per_s / small.requests_per_s
        deep_ratio = bottom.requests_per_s / small.requests_per_s
        top_ok, deep_ok = clean and top_ratio >= TARGET_SKIP_0, clean and deep_ratio >= TARGET_DEEP
        ok = ok and top_ok and deep_ok
        cells = [
            f"{w.requests_per_s:,.0f} req/s (p99 {w.p99_ms:.0f} ms)"
            + ("" if w.clean else f" INVALID: {w.problems()}")
            for w in (small, top, bottom)
        ]
        lines.append(
            f"| {r.backend} | {' | '.join(cells)} | {top_ratio:.2f} "
            f"{'pass' if top_ok else 'FAIL'} | {deep_ratio:.2f} {'pass' if deep_ok else 'FAIL'} |"
        )
    cases = list(results[0].latency_ms) if results else []
    lines += [
        "",
        "One request at a time on one keep-alive connection (median ms; export: one request):",
        "",
        "| request | " + " | ".join(r.backend for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for case in cases:
        label = case.replace("big", "100k stream").replace("small", f"{SMALL}-contact stream")
        values = " | ".join(f"{r.latency_ms[case]:.1f}" for r in results)
        lines.append(f"| {label} | {values} |")
    return lines, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", help="postgresql://... URL of an empty database to bench too")
    args = parser.parse_args()
    lines, ok = table(measure(args.seconds, args.repeat, args.pg))
    print("\n".join(lines))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
