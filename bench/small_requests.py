"""Small requests under load: kore-mock vs a bare Flask app and vs Prism, in one run.

16 concurrent keep-alive clients (wrk) against each server in turn, each run repeated (median):
- kore-mock serve --workers 2 (JWT verification, request validation, the store and the journal on),
- the Python floor: a bare Flask "hello" app under the same gunicorn settings,
- Prism (@stoplight/prism-cli, installed from npm into bench/.prism on first use) mocking the
  same openapi.yaml — the stateless mock most teams would pick instead.

    python bench/small_requests.py [--seconds 10] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.common import BIN, ROOT, WrkResult, free_port, kore_mock_cmd, running, wrk
from mockserver.auth import mint_token
from mockserver.server import gunicorn_options
from mockserver.settings import DEV_APP, DEV_STREAM_ID

HERE = Path(__file__).parent
PRISM_DIR = HERE / ".prism"
PRISM_VERSION = "5"
TARGET_VS_FLASK = 0.6
TARGET_VS_PRISM = 1.0
OPERATIONS = ("list", "create", "update")


def prism_binary() -> Path:
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        if shutil.which("npm") is None:
            raise RuntimeError("npm is needed to install Prism (@stoplight/prism-cli)")
        print(f"installing @stoplight/prism-cli@{PRISM_VERSION} into {PRISM_DIR} ...", flush=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(PRISM_DIR),
                f"@stoplight/prism-cli@{PRISM_VERSION}",
            ],
            check=True,
        )
    return binary


def _gunicorn_flags() -> list[str]:
    options = gunicorn_options(workers=2)
    return [
        "-w",
        str(options["workers"]),
        "-k",
        options["worker_class"],
        "--threads",
        str(options["threads"]),
        "--keep-alive",
        str(options["keepalive"]),
    ]


def _create_contact(base: str, headers: dict[str, str]) -> str:
    body = json.dumps(
        [
            {
                "firstName": "bench",
                "lastName": "update",
                "salutation": "Mr",
                "cellPhone": {"phoneNumber": "2025550100", "countryCode": "+1", "extension": ""},
            }
        ]
    )
    request = urllib.request.Request(
        base,
        data=body.encode(),
        method="POST",
        headers={**headers, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)[0]["id"]


LIST_STREAM = DEV_STREAM_ID  # holds the one contact that update renames: list stays small
CREATE_STREAM = "st-bench-create-0000-0000-000000000001"  # where create's contacts pile up


@dataclass
class Target:
    """One server under test: where each operation's requests go."""

    name: str
    urls: dict[str, str]
    env: dict[str, str]


def _kore_target(port: int, env: dict[str, str]) -> Target:
    root = f"http://127.0.0.1:{port}/agentassist/api/v1/public"
    token_headers = {"auth": env["KORE_JWT"], "accountId": env["KORE_ACCOUNT_ID"]}
    contact = _create_contact(f"{root}/{LIST_STREAM}/contacts", token_headers)
    return Target(
        "kore-mock",
        {
            "list": f"{root}/{LIST_STREAM}/contacts",
            "create": f"{root}/{CREATE_STREAM}/contacts",
            "update": f"{root}/{LIST_STREAM}/contacts/{contact}",
        },
        env,
    )


def _prism_target(port: int, env: dict[str, str]) -> Target:
    base = f"http://127.0.0.1:{port}/agentassist/api/v1/public/{LIST_STREAM}/contacts"
    return Target(
        "prism",
        {"list": base, "create": base, "update": f"{base}/63c7cfaf196ce928529b0001"},
        env,
    )


def measure(seconds: int, repeat: int = 3) -> dict[str, dict[str, WrkResult]]:
    """All three servers run side by side; rounds interleave them, and the median run counts.

    wrk opens its 16 connections at once and gunicorn's workers race to accept them, so one run
    may leave a worker most of them (we saw the bare Flask app at 1,900 and at 6,000 req/s in
    consecutive runs); repeating and interleaving evens out that luck and any drift of the
    machine's load.
    """
    env = {"KORE_JWT": mint_token(DEV_APP, ttl=24 * 3600), "KORE_ACCOUNT_ID": DEV_APP.account_id}
    scripts = HERE / "wrk"
    runs: dict[str, dict[str, list[WrkResult]]] = {
        name: {op: [] for op in OPERATIONS} for name in ("kore-mock", "flask-hello", "prism")
    }
    kore_port, hello_port, prism_port = free_port(), free_port(), free_port()
    hello_cmd = [
        str(BIN / "gunicorn"),
        "-b",
        f"127.0.0.1:{hello_port}",
        *_gunicorn_flags(),
        "bench.hello_app:app",
    ]
    prism_cmd = [
        str(prism_binary()),
        "mock",
        str(ROOT / "openapi.yaml"),
        "-h",
        "127.0.0.1",
        "-p",
        str(prism_port),
        "--errors",
        "false",
    ]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        kore_cmd = kore_mock_cmd(kore_port, str(Path(tmp) / "bench.db"), workers=2)
        stack.enter_context(running(kore_cmd, f"http://127.0.0.1:{kore_port}/__mock__/health"))
        stack.enter_context(running(hello_cmd, f"http://127.0.0.1:{hello_port}/", cwd=ROOT))
        stack.enter_context(running(prism_cmd, f"http://127.0.0.1:{prism_port}/"))
        targets = [_kore_target(kore_port, env), _prism_target(prism_port, env)]
        for _ in range(repeat):
            hello = wrk(f"http://127.0.0.1:{hello_port}/", seconds=seconds)
            for op in OPERATIONS:
                runs["flask-hello"][op].append(hello)
            for target in targets:
                for op in OPERATIONS:
                    runs[target.name][op].append(
                        wrk(
                            target.urls[op],
                            script=scripts / f"{op}.lua",
                            seconds=seconds,
                            env=target.env,
                        )
                    )
    return {name: {op: _median(r) for op, r in ops.items()} for name, ops in runs.items()}


def _median(results: list[WrkResult]) -> WrkResult:
    return sorted(results, key=lambda r: r.requests_per_s)[len(results) // 2]


def table(results: dict[str, dict[str, WrkResult]]) -> tuple[list[str], bool]:
    lines = [
        "| operation | kore-mock req/s | p99 ms | Flask hello req/s | Prism req/s | Prism p99 ms "
        f"| vs Flask (≥ {TARGET_VS_FLASK}) | vs Prism (≥ {TARGET_VS_PRISM}) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    for op in OPERATIONS:
        mock, hello, prism = (results[k][op] for k in ("kore-mock", "flask-hello", "prism"))
        vs_flask = mock.requests_per_s / hello.requests_per_s
        vs_prism = mock.requests_per_s / prism.requests_per_s
        flask_ok, prism_ok = vs_flask >= TARGET_VS_FLASK, vs_prism >= TARGET_VS_PRISM
        ok = ok and flask_ok and prism_ok and mock.non_2xx == 0 and mock.errors == 0
        lines.append(
            f"| {op} | {mock.requests_per_s:,.0f} | {mock.p99_ms:.1f} | "
            f"{hello.requests_per_s:,.0f} | {prism.requests_per_s:,.0f} | {prism.p99_ms:.1f} | "
            f"{vs_flask:.2f} {'pass' if flask_ok else 'FAIL'} | "
            f"{vs_prism:.2f} {'pass' if prism_ok else 'FAIL'} |"
        )
        if mock.non_2xx or mock.errors:
            lines.append(
                f"|  | ({mock.non_2xx} non-2xx, {mock.errors} socket errors) | | | | | | |"
            )
    return lines, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lines, ok = table(measure(args.seconds, args.repeat))
    print("\n".join(lines))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
