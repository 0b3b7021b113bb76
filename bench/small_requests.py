"""Small requests under load: kore-mock vs WireMock, Prism, Mockoon and a bare Flask app, one run.

16 concurrent keep-alive clients (wrk) against each server in turn, rounds interleaved, medians:
- kore-mock ``serve --workers 2`` on SQLite (JWT verification, request validation, the store and
  the journal on); the list stream holds 50 contacts, so a list answer is a full page of 10;
- WireMock standalone (npm ``wiremock``) serving static stubs of the very answers kore-mock gave
  to the same three requests in this run, with its default in-memory request journal;
- Prism (``@stoplight/prism-cli``) mocking the same ``openapi.yaml`` — the stateless mock most
  teams would pick from a spec;
- Mockoon's CLI (``@mockoon/cli``) serving the same ``openapi.yaml`` as it is (no hand edits);
- the Python floor: a bare Flask "hello" app under kore-mock's gunicorn settings.

Every server is warmed up (each operation for a few seconds: the JVM and V8 compile hot code)
before the measured rounds, and every answer of every run is counted by status
(``bench/wrk/status.lua``): a server that answered anything but 2xx is not a valid comparison.

    python -m bench.small_requests [--seconds 6] [--repeat 5] [--warmup 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import peers
from bench.common import (
    BIN,
    ROOT,
    WRK_DIR,
    WrkResult,
    free_port,
    kore_mock_cmd,
    median,
    running,
    tree_cpu_seconds,
    wrk,
)
from mockserver.auth import mint_token
from mockserver.server import gunicorn_options
from mockserver.settings import DEV_APP, DEV_STREAM_ID

TARGET_VS_WIREMOCK = 0.5
TARGET_VS_PRISM = 2.0
EARLIER_TARGET_VS_FLASK = 0.6  # the earlier target, reported beside the peers' ratios
OPERATIONS = ("list", "create", "update")
LIST_CONTACTS = 50
PEER_NAMES = ("wiremock", "prism", "mockoon")

LIST_STREAM = DEV_STREAM_ID  # 50 contacts; update renames one of them: the list stays at 50
CREATE_STREAM = "st-bench-create-0000-0000-000000000001"  # where create's contacts pile up
API = "/agentassist/api/v1/public"
SPEC_EXAMPLE_ID = "63c7cfaf196ce928529b0001"  # a contact id for the spec-driven mocks


@dataclass
class Target:
    """One server under test: where each operation's requests go."""

    name: str
    urls: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    pid: int | None = None  # its process (group leader): CPU time per answer is measured


@dataclass
class Answers:
    """What kore-mock answered to one request of each operation (WireMock's stubs serve these)."""

    list_path: str
    create_path: str
    update_path: str
    bodies: dict[str, bytes]


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
        *(["--no-control-socket"] if options["control_socket_disable"] else []),
    ]


def _call(url: str, headers: dict[str, str], method: str = "GET", body: object = None) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={**headers, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def _contact(i: int) -> dict:
    return {
        "firstName": f"bench{i}",
        "lastName": "list",
        "salutation": "Mr",
        "cellPhone": {"phoneNumber": f"20255{i:05d}", "countryCode": "+1", "extension": ""},
    }


def _seed_kore_mock(port: int, env: dict[str, str]) -> tuple[Target, Answers]:
    """50 contacts in the list stream; one answer of each operation kept for WireMock's stubs."""
    root = f"http://127.0.0.1:{port}{API}"
    headers = {"auth": env["KORE_JWT"], "accountId": env["KORE_ACCOUNT_ID"]}
    list_path = f"{API}/{LIST_STREAM}/contacts"
    create_path = f"{API}/{CREATE_STREAM}/contacts"
    seeded = json.loads(
        _call(root + f"/{LIST_STREAM}/contacts", headers, "POST", [_contact(i) for i in range(50)])
    )
    assert len(seeded) == LIST_CONTACTS, len(seeded)
    update_path = f"{list_path}/{seeded[0]['id']}"
    bodies = {
        "list": _call(f"http://127.0.0.1:{port}{list_path}", headers),
        "create": _call(f"http://127.0.0.1:{port}{create_path}", headers, "POST", [_contact(99)]),
        "update": _call(
            f"http://127.0.0.1:{port}{update_path}", headers, "PUT", {"firstName": "name0"}
        ),
    }
    base = f"http://127.0.0.1:{port}"
    target = Target(
        "kore-mock",
        {"list": base + list_path, "create": base + create_path, "update": base + update_path},
        env,
    )
    return target, Answers(list_path, create_path, update_path, bodies)


def _spec_mock_target(name: str, port: int, env: dict[str, str]) -> Target:
    base = f"http://127.0.0.1:{port}{API}/{LIST_STREAM}/contacts"
    return Target(name, {"list": base, "create": base, "update": f"{base}/{SPEC_EXAMPLE_ID}"}, env)


def _wiremock_target(port: int, answers: Answers, env: dict[str, str]) -> Target:
    base = f"http://127.0.0.1:{port}"
    peers.add_wiremock_stubs(
        base,
        DEV_APP.account_id,
        [
            peers.Stub("GET", answers.list_path, answers.bodies["list"]),
            peers.Stub("POST", answers.create_path, answers.bodies["create"]),
            peers.Stub(
                "PUT",
                answers.update_path.rsplit("/", 1)[0] + "/[0-9a-f]{24}",
                answers.bodies["update"],
                pattern=True,
            ),
        ],
    )
    return Target(
        "wiremock",
        {
            "list": base + answers.list_path,
            "create": base + answers.create_path,
            "update": base + answers.update_path,
        },
        env,
    )


def _probe(target: Target) -> str | None:
    """None when one request of each operation is answered 2xx, else what went wrong."""
    headers = {"auth": target.env.get("KORE_JWT", ""), "accountId": DEV_APP.account_id}
    bodies = {"list": None, "create": [_contact(98)], "update": {"firstName": "probe"}}
    methods = {"list": "GET", "create": "POST", "update": "PUT"}
    for op in OPERATIONS:
        try:
            _call(target.urls[op], headers, methods[op], bodies[op])
        except OSError as exc:
            return f"{op}: {exc}"
    return None


@dataclass
class Measured:
    """Medians per server and operation, plus what could not be measured and why."""

    results: dict[str, dict[str, WrkResult]]
    versions: dict[str, str]
    left_out: dict[str, str]


def measure(seconds: int, repeat: int = 5, warmup: int = 5) -> Measured:
    """All servers run side by side; rounds interleave them, and the median run counts.

    wrk opens its 16 connections at once and gunicorn's workers race to accept them, so one run
    may leave a worker most of them (we saw the bare Flask app at 1,900 and at 6,000 req/s in
    consecutive runs); repeating and interleaving evens out that luck and any drift of the
    machine's load.
    """
    env = {"KORE_JWT": mint_token(DEV_APP, ttl=24 * 3600), "KORE_ACCOUNT_ID": DEV_APP.account_id}
    ports = {name: free_port() for name in ("kore-mock", "flask-hello", *PEER_NAMES)}
    versions = {
        "wiremock": peers.installed_version(peers.WIREMOCK),
        "prism": peers.installed_version(peers.PRISM),
    }
    left_out: dict[str, str] = {}
    hello_cmd = [
        str(BIN / "gunicorn"),
        "-b",
        f"127.0.0.1:{ports['flask-hello']}",
        *_gunicorn_flags(),
        "bench.hello_app:app",
    ]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        kore_cmd = kore_mock_cmd(ports["kore-mock"], str(Path(tmp) / "bench.db"), workers=2)
        server = stack.enter_context(
            running(kore_cmd, f"http://127.0.0.1:{ports['kore-mock']}/__mock__/health")
        )
        kore, answers = _seed_kore_mock(ports["kore-mock"], env)
        kore.pid = server.pid
        targets = [kore]
        server = stack.enter_context(
            running(
                peers.wiremock_cmd(ports["wiremock"], Path(tmp) / "wiremock"),
                f"http://127.0.0.1:{ports['wiremock']}{peers.WIREMOCK_READY}",
            )
        )
        targets.append(_wiremock_target(ports["wiremock"], answers, env))
        targets[-1].pid = server.pid
        server = stack.enter_context(
            running(peers.prism_cmd(ports["prism"]), f"http://127.0.0.1:{ports['prism']}/")
        )
        targets.append(_spec_mock_target("prism", ports["prism"], env))
        targets[-1].pid = server.pid
        mockoon = _start_optional(
            stack,
            "mockoon",
            lambda: peers.mockoon_cmd(ports["mockoon"]),
            f"http://127.0.0.1:{ports['mockoon']}/",
            left_out,
        )
        if mockoon is not None:
            versions["mockoon"] = peers.installed_version(peers.MOCKOON)
            targets.append(_spec_mock_target("mockoon", ports["mockoon"], env))
            targets[-1].pid = mockoon
        server = stack.enter_context(
            running(hello_cmd, f"http://127.0.0.1:{ports['flask-hello']}/", cwd=ROOT)
        )
        hello = Target("flask-hello", {}, pid=server.pid)
        hello_url = f"http://127.0.0.1:{ports['flask-hello']}/"
        for target in targets[1:]:
            problem = _probe(target)
            if problem is not None:
                left_out[target.name] = f"did not answer 2xx ({problem})"
        targets = [t for t in targets if t.name not in left_out]

        def run(target: Target, op: str, length: int) -> WrkResult:
            return _timed(
                target,
                lambda: wrk(
                    target.urls[op], script=WRK_DIR / f"{op}.lua", seconds=length, env=target.env
                ),
            )

        def run_hello(length: int) -> WrkResult:
            return _timed(hello, lambda: wrk(hello_url, seconds=length))

        print(f"  warm-up: {warmup} s per server and operation", flush=True)
        run_hello(warmup)
        for target in targets:
            for op in OPERATIONS:
                run(target, op, warmup)
        runs: dict[str, dict[str, list[WrkResult]]] = {
            t.name: {op: [] for op in OPERATIONS} for t in targets
        }
        runs["flask-hello"] = {op: [] for op in OPERATIONS}
        for round_no in range(repeat):
            floor = run_hello(seconds)
            for op in OPERATIONS:
                runs["flask-hello"][op].append(floor)
            for target in targets:
                for op in OPERATIONS:
                    runs[target.name][op].append(run(target, op, seconds))
            print(f"  round {round_no + 1}/{repeat} done", flush=True)
    results = {name: {op: median(r) for op, r in ops.items()} for name, ops in runs.items()}
    return Measured(results, versions, left_out)


def _timed(target: Target, load: Callable[[], WrkResult]) -> WrkResult:
    """Run a load and note the server's CPU time per answer (all its processes and threads)."""
    if target.pid is None:
        return load()
    before = tree_cpu_seconds(target.pid)
    result = load()
    if result.answered:
        result.server_cpu_ms = 1000 * (tree_cpu_seconds(target.pid) - before) / result.answered
    return result


def _start_optional(
    stack: contextlib.ExitStack,
    name: str,
    command: Callable[[], list[str]],
    ready_url: str,
    left_out: dict[str, str],
) -> int | None:
    """Start a peer that the comparison can do without (its pid); say why when it cannot."""
    try:
        return stack.enter_context(running(command(), ready_url)).pid
    except (RuntimeError, TimeoutError, OSError, subprocess.SubprocessError) as exc:
        left_out[name] = f"could not be started ({exc})"
        return None


def _cell(result: WrkResult | None) -> str:
    if result is None:
        return "—"
    text = f"{result.requests_per_s:,.0f} ({result.p99_ms:.0f} ms)"
    return text if result.clean else f"{text} INVALID: {result.problems()}"


def table(measured: Measured) -> tuple[list[str], bool]:
    results = measured.results
    lines = [
        "req/s of the median run (its p99 latency in brackets); ratios are kore-mock ÷ peer.",
        "",
        "| operation | kore-mock | WireMock | Prism | Mockoon | Flask hello "
        f"| ÷ WireMock (≥ {TARGET_VS_WIREMOCK}) | ÷ Prism (≥ {TARGET_VS_PRISM:g}) "
        "| p99 ≤ WireMock's | ÷ Flask |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    for op in OPERATIONS:
        mock = results["kore-mock"][op]
        wire, prism = results.get("wiremock", {}).get(op), results.get("prism", {}).get(op)
        mockoon, hello = results.get("mockoon", {}).get(op), results["flask-hello"][op]
        row_ok = mock.clean
        cells = []
        for peer, target in ((wire, TARGET_VS_WIREMOCK), (prism, TARGET_VS_PRISM)):
            if peer is None or not peer.clean:
                cells.append("no valid peer run FAIL")
                row_ok = False
                continue
            ratio = mock.requests_per_s / peer.requests_per_s
            row_ok = row_ok and ratio >= target
            cells.append(f"{ratio:.2f} {'pass' if ratio >= target else 'FAIL'}")
        if wire is not None and wire.clean:
            p99_ok = mock.p99_ms <= wire.p99_ms
            verdict = "pass" if p99_ok else "FAIL"
            cells.append(f"{mock.p99_ms:.0f} vs {wire.p99_ms:.0f} ms {verdict}")
            row_ok = row_ok and p99_ok
        else:
            cells.append("— FAIL")
        cells.append(f"{mock.requests_per_s / hello.requests_per_s:.2f}")
        ok = ok and row_ok
        lines.append(
            f"| {op} | {_cell(mock)} | {_cell(wire)} | {_cell(prism)} | {_cell(mockoon)} "
            f"| {_cell(hello)} | " + " | ".join(cells) + " |"
        )
    names = [n for n in ("kore-mock", *PEER_NAMES, "flask-hello") if n in results]
    lines += [
        "",
        "Server CPU time per answer (ms, user + system of all its processes, in the median run; "
        "the machine's 2 cores are shared with wrk):",
        "",
        "| operation | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for op in OPERATIONS:
        cpu = [results[n][op].server_cpu_ms for n in names]
        lines.append(
            f"| {op} | " + " | ".join("—" if c is None else f"{c:.2f}" for c in cpu) + " |"
        )
    lines += [
        "",
        "Servers: kore-mock `serve --workers 2`, SQLite, 50 contacts in the listed stream; "
        + ", ".join(
            f"{name} {measured.versions[name]}" for name in PEER_NAMES if name in measured.versions
        )
        + "; the Flask floor under the same gunicorn settings. Every answer counted: a cell "
        "marked INVALID had non-2xx answers or socket errors. The ÷ Flask column is reported "
        f"against the earlier target (≥ {EARLIER_TARGET_VS_FLASK}), not counted in the "
        "overall result.",
    ]
    for name, why in measured.left_out.items():
        lines.append(f"Left out: {name} {why}.")
        if name in ("wiremock", "prism"):
            ok = False
    return lines, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    lines, ok = table(measure(args.seconds, args.repeat, args.warmup))
    print("\n".join(lines))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
