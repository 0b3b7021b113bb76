"""Where a small request's time goes: py-spy on every worker of `serve --workers 2` under wrk.

For each operation (list, create, update) wrk loads the server as in small_requests.py while
py-spy samples each worker process, twice: CPU only (where the processes compute), then with
idle frames (where their threads wait: locks, fsync, the socket). The collapsed stacks are summed
over the workers and reported as inclusive shares of the samples for a few named parts of the
request path, plus the top frames by own time.

    python -m bench.profile_requests [--seconds 8] [--db sqlite|postgresql] [--out DIR]
    python -m bench.profile_requests --in-process [--requests 2000] [--cprofile]

``--in-process`` calls the WSGI app directly (no HTTP, one thread) with prebuilt environs and
prints wall and CPU time per request: the app's own cost, without the server's.

py-spy is not a dependency of the project: ``pip install py-spy`` (it needs ptrace: root, or
``kernel.yama.ptrace_scope=0``).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import BIN, ROOT, WRK_DIR, _children, free_port, kore_mock_cmd, running, wrk
from bench.small_requests import CREATE_STREAM, LIST_STREAM, _call, _contact
from mockserver.auth import mint_token
from mockserver.settings import DEV_APP

OPERATIONS = ("list", "create", "update")
API = "/agentassist/api/v1/public"

# part of the request path -> a substring of a frame (function (file)) that marks it; every
# marker names a function of today's code (tests/test_bench_markers.py checks it)
PARTS = {
    "front: request head parsed (gunicorn's parser)": "parse_head (mockserver/http_front.py",
    "gunicorn: write response": "Response.write (gunicorn/http/wsgi.py",
    "the app (vendor dispatch, whole call)": "VendorDispatch.serve (mockserver/api/dispatch.py",
    "routing": "VendorRoutes.match (mockserver/api/routes.py",
    "auth: JWT": "Authenticator.app_for (mockserver/auth.py",
    "validation (jsonschema-rs)": "RequestValidator.validate (mockserver/validation.py",
    "run-time state read (all_state)": "all_state (mockserver/store/",
    "rate limit / faults hook": "before_vendor_request (mockserver/api/hooks.py",
    "service: list page": "ContactsService.list (mockserver/contacts/service.py",
    "service: create": "ContactsService.create (mockserver/contacts/service.py",
    "service: update": "ContactsService.update (mockserver/contacts/service.py",
    "store: write transaction (BEGIN IMMEDIATE..COMMIT)": "Store.write (mockserver/store/",
    "journal entry built (redaction)": "RequestRecord.journal_entry (mockserver/journal.py",
    "journal row written": "journal_add (mockserver/store/",
    "writers' lock (flock wait)": "_WriterQueue.__enter__ (mockserver/store/sqlite.py",
    "psycopg statements": "Cursor.execute (psycopg/",
    "psycopg round trips (wait)": "wait (psycopg/connection.py",
    "psycopg_pool check on every checkout": "check_connection (psycopg_pool",
    "PostgreSQL namespace advisory lock": "_lock_namespace (mockserver/store/postgres.py",
    "response encoding (orjson)": "json_response (mockserver/responses.py",
}


def _record(
    pids: list[int], seconds: int, idle: bool, out: Path
) -> tuple[list[Path], list[subprocess.Popen]]:
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    files, procs = [], []
    for pid in pids:
        path = out / f"{pid}-{'idle' if idle else 'cpu'}.txt"
        cmd = [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250"]
        cmd += ["--format", "raw", "--output", str(path), "--nonblocking"]
        if idle:
            cmd.append("--idle")
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        files.append(path)
    return files, procs


def _load(files: list[Path]) -> collections.Counter:
    stacks: collections.Counter = collections.Counter()
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                stacks[stack] += int(count)
    return stacks


APP_CALL = PARTS["the app (vendor dispatch, whole call)"]


def summarise(stacks: collections.Counter) -> dict:
    """Shares of all samples (``parts_pct``, ``top_own_pct``) and of the samples inside the
    app call (``app_parts_pct``: where a request's own time goes, waits included with --idle)."""
    total = sum(stacks.values()) or 1
    in_app = {stack: n for stack, n in stacks.items() if APP_CALL in stack}
    app_total = sum(in_app.values()) or 1
    parts, app_parts = {}, {}
    for name, marker in PARTS.items():
        hits = sum(n for stack, n in stacks.items() if marker in stack)
        parts[name] = round(100 * hits / total, 1)
        app_parts[name] = round(
            100 * sum(n for s, n in in_app.items() if marker in s) / app_total, 1
        )
    own: collections.Counter = collections.Counter()
    for stack, n in stacks.items():
        own[stack.split(";")[-1]] += n
    top = [(frame, round(100 * n / total, 1)) for frame, n in own.most_common(15)]
    return {
        "samples": total,
        "in_app_call_pct": round(100 * sum(in_app.values()) / total, 1),
        "app_parts_pct": app_parts,
        "parts_pct": parts,
        "top_own_pct": top,
    }


def profile(seconds: int, db_kind: str, out: Path) -> dict:
    token = mint_token(DEV_APP, ttl=24 * 3600)
    env = {"KORE_JWT": token, "KORE_ACCOUNT_ID": DEV_APP.account_id}
    headers = {"auth": token, "accountId": DEV_APP.account_id}
    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        cluster = None
        if db_kind == "postgresql":
            sys.path.insert(0, str(ROOT))
            from tests.postgres_cluster import start_cluster

            cluster = start_cluster()
            db = cluster.new_database(empty=True)
        else:
            db = str(Path(tmp) / "profile.db")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        try:
            with running(kore_mock_cmd(port, db, workers=2), f"{base}/__mock__/health") as master:
                seeded = json.loads(
                    _call(
                        f"{base}{API}/{LIST_STREAM}/contacts",
                        headers,
                        "POST",
                        [_contact(i) for i in range(50)],
                    )
                )
                urls = {
                    "list": f"{base}{API}/{LIST_STREAM}/contacts",
                    "create": f"{base}{API}/{CREATE_STREAM}/contacts",
                    "update": f"{base}{API}/{LIST_STREAM}/contacts/{seeded[0]['id']}",
                }
                workers = _children(master.pid)
                for op in OPERATIONS:
                    for idle in (False, True):
                        files, procs = _record(workers, seconds, idle, out / op)
                        result = wrk(
                            urls[op], script=WRK_DIR / f"{op}.lua", seconds=seconds, env=env
                        )
                        for proc in procs:
                            proc.wait(timeout=seconds + 30)
                        key = f"{op} ({'wall, idle included' if idle else 'cpu'})"
                        report[key] = {
                            "req_per_s": round(result.requests_per_s),
                            "p99_ms": result.p99_ms,
                            "clean": result.clean,
                            **summarise(_load(files)),
                        }
                        print(f"  {key}: {result.requests_per_s:,.0f} req/s", flush=True)
        finally:
            if cluster is not None:
                cluster.stop()
    return report


def in_process(requests: int, cprofile: bool) -> None:
    import cProfile
    import io
    import pstats
    import time

    from werkzeug.test import EnvironBuilder

    from mockserver.app import create_app
    from mockserver.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db=str(Path(tmp) / "inproc.db")))
        headers = {"auth": mint_token(DEV_APP, ttl=3600), "accountId": DEV_APP.account_id}
        client = app.test_client()
        listed = f"{API}/{LIST_STREAM}/contacts"
        seeded = client.post(listed, json=[_contact(i) for i in range(50)], headers=headers)
        contact_id = seeded.get_json()[0]["id"]
        numbers = iter(range(1_000_000))

        def environ(op: str) -> dict:
            if op == "list":
                return EnvironBuilder(path=listed, headers=headers).get_environ()
            if op == "create":
                body = json.dumps([_contact(1000 + next(numbers))])
                path, method = f"{API}/{CREATE_STREAM}/contacts", "POST"
            else:
                body = json.dumps({"firstName": f"n{next(numbers)}"})
                path, method = f"{listed}/{contact_id}", "PUT"
            return EnvironBuilder(
                path=path,
                method=method,
                headers=headers,
                data=body,
                content_type="application/json",
            ).get_environ()

        def start_response(status: str, headers: list, exc_info: object = None) -> None:
            return None

        for op in OPERATIONS:
            for env in [environ(op) for _ in range(200)]:
                b"".join(app(env, start_response))
            envs = [environ(op) for _ in range(requests)]
            wall, cpu = time.perf_counter(), time.process_time()
            for env in envs:
                b"".join(app(env, start_response))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(
                f"{op}: {1000 * wall / requests:.3f} ms wall, {1000 * cpu / requests:.3f} ms CPU "
                "per request (in process, no HTTP)"
            )
            if cprofile:
                envs = [environ(op) for _ in range(requests)]
                profiler = cProfile.Profile()
                profiler.enable()
                for env in envs:
                    b"".join(app(env, start_response))
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
                print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "kore-profile")
    parser.add_argument("--in-process", action="store_true", help="the app alone, no HTTP")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    if args.in_process:
        in_process(args.requests, args.cprofile)
        return
    for op in OPERATIONS:
        (args.out / op).mkdir(parents=True, exist_ok=True)
    report = profile(args.seconds, args.db, args.out)
    print(json.dumps(report, indent=2))
    (args.out / f"summary-{args.db}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
