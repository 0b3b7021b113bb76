"""Small requests under load: kore-mock vs a bare Flask app and vs Prism, in one run.

16 concurrent keep-alive clients (wrk) against each server in turn:
- kore-mock serve --workers 2 (JWT verification, request validation, the store and the journal on),
- the Python floor: a bare Flask "hello" app under the same gunicorn settings,
- Prism (@stoplight/prism-cli, installed from npm into bench/.prism on first use) mocking the
  same openapi.yaml — the stateless mock most teams would pick instead.

    python bench/small_requests.py [--seconds 10] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import urllib.request
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
                "cellPhone": {"phoneNumber": "2025550100", "countryCode": "+1"},
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


def _run_operations(base: str, env: dict[str, str], seconds: int) -> dict[str, WrkResult]:
    scripts = HERE / "wrk"
    return {
        "list": wrk(base, script=scripts / "list.lua", seconds=seconds, env=env),
        "create": wrk(base, script=scripts / "create.lua", seconds=seconds, env=env),
        "update": wrk(
            f"{base}/{env['KORE_CONTACT_ID']}",
            script=scripts / "update.lua",
            seconds=seconds,
            env=env,
        ),
    }


def measure(seconds: int) -> dict[str, dict[str, WrkResult]]:
    token = mint_token(DEV_APP, ttl=24 * 3600)
    env = {"KORE_JWT": token, "KORE_ACCOUNT_ID": DEV_APP.account_id}
    headers = {"auth": token, "accountId": DEV_APP.account_id}
    results: dict[str, dict[str, WrkResult]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}/agentassist/api/v1/public/{DEV_STREAM_ID}/contacts"
        cmd = kore_mock_cmd(port, str(Path(tmp) / "bench.db"), workers=2)
        with running(cmd, f"http://127.0.0.1:{port}/__mock__/health"):
            env["KORE_CONTACT_ID"] = _create_contact(base, headers)
            results["kore-mock"] = _run_operations(base, env, seconds)

    port = free_port()
    cmd = [
        str(BIN / "gunicorn"),
        "-b",
        f"127.0.0.1:{port}",
        *_gunicorn_flags(),
        "bench.hello_app:app",
    ]
    with running(cmd, f"http://127.0.0.1:{port}/", cwd=ROOT):
        hello = wrk(f"http://127.0.0.1:{port}/", seconds=seconds)
        results["flask-hello"] = {op: hello for op in OPERATIONS}

    port = free_port()
    cmd = [
        str(prism_binary()),
        "mock",
        str(ROOT / "openapi.yaml"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "--errors",
        "false",
    ]
    base = f"http://127.0.0.1:{port}/agentassist/api/v1/public/{DEV_STREAM_ID}/contacts"
    with running(cmd, f"http://127.0.0.1:{port}/"):
        env["KORE_CONTACT_ID"] = "63c7cfaf196ce928529b0001"
        results["prism"] = _run_operations(base, env, seconds)
    return results


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
    args = parser.parse_args()
    lines, ok = table(measure(args.seconds))
    print("\n".join(lines))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
