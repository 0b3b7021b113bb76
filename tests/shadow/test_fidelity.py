"""``kore-mock fidelity`` as a user runs it: a subprocess probing stand-in tenants (``kore-mock
serve``, one with the default readings, one divergent) over real HTTP on loopback."""

from __future__ import annotations

import csv
import http.server
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from contract_tests.numbers import e164_key, is_fictitious
from mockserver.fidelity.probes import PROBES
from mockserver.profile import DEFAULT, readings
from mockserver.settings import DEV_APP, Settings, load_profile
from mockserver.testing import serve_wsgi
from tests.broken_hosts import RefusesDeletes, healthy_mock
from tests.live import answering, kore_mock_serve, serving
from tests.shadow.conftest import DEV_APP_FLAGS, DIVERGENT, Tenant, fictitious, kore_mock, person

FILES = ("fidelity.json", "profile.yaml", "fidelity.md")
UNTESTABLE = {"scopeErrorCode", "rateLimitScope"}  # no safe probe tells their values apart


def fidelity(
    url: str, out: Path, *extra: str, stream: str | None = None, env: dict[str, str] | None = None
) -> Any:
    """``kore-mock fidelity`` against ``url`` (unthrottled: loopback), writing into ``out``."""
    return kore_mock(
        "fidelity",
        "--base-url",
        url,
        "--stream-id",
        stream or f"st-fidelity-{uuid.uuid4()}",
        *DEV_APP_FLAGS,
        "--out",
        str(out),
        *extra,
        cwd=out.parent,
        env=env,
    )


def report_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "fidelity.json").read_text())


def verdicts(report: dict[str, Any], verdict: str) -> set[str]:
    return {b["reading"] for b in report["behaviours"] if b["verdict"] == verdict}


def test_a_host_with_the_default_readings_contradicts_nothing(default_host, tmp_path):
    out = tmp_path / "report"
    run = fidelity(default_host, out)
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    report = report_of(out)
    assert report["host"] == default_host and report["at"]
    assert report["contradicted"] == 0
    assert verdicts(report, "untestable") <= UNTESTABLE | {"duplicateCreateStatus"}
    assert report["confirmed"] + report["untestable"] == len(readings())
    assert {b["reading"] for b in report["behaviours"]} == {r.name for r in readings()}
    for behaviour in report["behaviours"]:
        assert set(behaviour) >= {"reading", "expected", "observed", "verdict", "evidence"}
        assert behaviour["expected"] == DEFAULT.get(behaviour["reading"])
        if behaviour["verdict"] == "confirmed":
            assert behaviour["observed"] == behaviour["expected"]
            assert behaviour["evidence"], behaviour["reading"]
    assert "0 contradicted" in run.stdout
    assert "| `importPolicy` | skip | skip | **confirmed** |" in (out / "fidelity.md").read_text()


def test_the_report_holds_no_credential(default_host, tmp_path):
    out = tmp_path / "report"
    assert fidelity(default_host, out).returncode == 0
    written = "".join((out / name).read_text() for name in FILES)
    assert DEV_APP.client_secret not in written and "eyJ" not in written
    evidence = [e for b in report_of(out)["behaviours"] for e in b["evidence"]]
    assert evidence and all(e["request"]["headers"]["auth"] == "REDACTED" for e in evidence)


def test_a_divergent_host_contradicts_exactly_its_readings_and_its_profile_reads_it_back(
    divergent_host, tmp_path
):
    out = tmp_path / "report"
    run = fidelity(divergent_host, out)
    assert run.returncode == 1, run.stdout + run.stderr
    report = report_of(out)
    assert verdicts(report, "contradicted") == set(DIVERGENT)
    assert report["contradicted"] == len(DIVERGENT)
    by_reading = {b["reading"]: b for b in report["behaviours"]}
    for name, value in DIVERGENT.items():
        assert by_reading[name]["expected"] == DEFAULT.get(name)
        assert by_reading[name]["observed"] == value
    assert by_reading["duplicateCreateStatus"]["verdict"] == "confirmed"  # told apart on reject

    profile_file = out / "profile.yaml"
    shown = yaml.safe_load(profile_file.read_text())
    assert {name: shown[name] for name in DIVERGENT} == DIVERGENT
    for line in profile_file.read_text().splitlines():
        if line.split(":")[0] in UNTESTABLE:
            assert "untestable" in line  # kept at the default, marked so
    loaded = load_profile(str(profile_file), Settings()).profile  # as `serve --profile` loads it
    assert {name: loaded.get(name) for name in DIVERGENT} == DIVERGENT

    again = fidelity(divergent_host, tmp_path / "again", "--profile", str(profile_file))
    assert again.returncode == 0, again.stdout + again.stderr
    assert report_of(tmp_path / "again")["contradicted"] == 0
    by_env = fidelity(divergent_host, tmp_path / "env", env={"KORE_PROFILE": str(profile_file)})
    assert by_env.returncode == 0, by_env.stdout + by_env.stderr  # as `contract` reads it

    # a mock started with that profile reads as the host does: fidelity finds nothing against it
    with kore_mock_serve(
        "--db", ":memory:", "--profile", str(profile_file), cwd=tmp_path
    ) as learnt_mock:
        learnt = fidelity(learnt_mock, tmp_path / "learnt", "--profile", str(profile_file))
    assert learnt.returncode == 0, learnt.stdout + learnt.stderr
    assert report_of(tmp_path / "learnt")["contradicted"] == 0


def test_the_probes_leave_the_namespace_as_they_found_it(divergent_host, tmp_path):
    tenant = Tenant(divergent_host, stream=f"st-fidelity-{uuid.uuid4()}")
    kept = tenant.create(
        person("Ada", "Lovelace", fictitious()), person("Alan", "Turing", fictitious())
    )
    assert kept.status_code == 200, kept.text
    before = tenant.list(limit=100).json()
    out = tmp_path / "report"
    run = fidelity(divergent_host, out, stream=tenant.stream)
    assert run.returncode == 1, run.stdout + run.stderr
    after = tenant.list(limit=100).json()
    assert after == before  # the same contacts, untouched (no field, no timestamp changed)
    report = report_of(out)
    assert report["namespace"] == {"before": 2, "after": 2, "asFound": True}
    ran = [b for b in report["behaviours"] if b.get("cleanup")]
    assert ran and all(b["cleanup"]["asFound"] for b in ran)
    created = sum(1 for b in report["behaviours"] for e in b["evidence"] if _created(e))
    assert created >= 5  # the probes did create contacts, and deleted them


def test_no_probe_sends_a_number_outside_the_fictitious_ranges(default_host, tmp_path):
    stream = f"st-fidelity-{uuid.uuid4()}"
    assert fidelity(default_host, tmp_path / "report", stream=stream).returncode == 0
    export = requests.get(default_host + "/__mock__/journal/export", timeout=30)
    sent = [
        number
        for line in export.text.splitlines()
        if f"/{stream}/" in (entry := json.loads(line))["request"]["path"] + "/"
        for number in _numbers_sent(entry["request"])
    ]
    assert len(sent) >= 10  # what the host received from the probes (its journal), not their word
    outside = [number for number in sent if not is_fictitious(number)]
    assert outside == []


def test_an_answer_no_value_of_a_reading_fits_leaves_a_loadable_profile(default_host, tmp_path):
    """(A contradicted reading whose answer fits none of its values must keep the expected
    value in profile.yaml: `serve --profile` refuses anything else.)"""
    stream = f"st-fidelity-{uuid.uuid4()}"
    scope = f"accountId={DEV_APP.account_id}&streamId={stream}"
    fault = requests.put(
        f"{default_host}/__mock__/faults/deleteContact?{scope}",
        json={"errorStatus": 500},
        timeout=10,
    )
    assert fault.status_code == 200, fault.text
    try:
        run = fidelity(default_host, tmp_path / "report", stream=stream)
    finally:
        requests.delete(f"{default_host}/__mock__/scopes?{scope}", timeout=10)
    assert run.returncode == 1, run.stderr
    [behaviour] = [
        b for b in report_of(tmp_path / "report")["behaviours"] if b["reading"] == "notFoundStatus"
    ]
    assert behaviour["verdict"] == "contradicted"
    profile = load_profile(str(tmp_path / "report" / "profile.yaml"), Settings(db=":memory:"))
    assert profile.profile.not_found_status == DEFAULT.not_found_status


def test_usage_and_connection_errors_exit_with_2(tmp_path):
    no_stream = kore_mock("fidelity", "--base-url", "http://127.0.0.1:9", cwd=tmp_path)
    assert no_stream.returncode == 2 and "--stream-id" in no_stream.stderr
    no_host = fidelity("http://127.0.0.1:9", tmp_path / "report")
    assert no_host.returncode == 2 and "does not answer" in no_host.stderr
    assert not (tmp_path / "report").exists()
    no_profile = kore_mock("fidelity", "--profile", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert no_profile.returncode == 2 and "cannot read profile file" in no_profile.stderr
    half = fidelity("http://127.0.0.1:9", tmp_path / "half", "--unscoped-client-id", "cs-x")
    assert half.returncode == 2 and "go together" in half.stderr


@pytest.mark.parametrize(
    ("out", "why"), [("/dev/null", "not a directory"), ("/proc/fid", "No such file or directory")]
)
def test_an_out_directory_that_cannot_be_made_is_a_usage_error_before_any_probe(tmp_path, out, why):
    """(Every probe ran — minutes against a real host —, then writing the reports was a
    FileExistsError / FileNotFoundError traceback and the results were lost.)"""
    result = kore_mock("fidelity", "--out", out, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""  # not even "probing"
    assert result.stderr == f"Error: cannot write the reports into --out {out}: {why}\n"


def test_a_run_that_fails_leaves_no_out_directory_behind(tmp_path):
    args = ("--base-url", "http://127.0.0.1:9", "--stream-id", "st-1", *DEV_APP_FLAGS)
    failed = kore_mock("fidelity", *args, "--out", "new/report", cwd=tmp_path)
    assert failed.returncode == 2 and "does not answer" in failed.stderr
    assert not (tmp_path / "new").exists()


def test_wrong_credentials_are_a_usage_error_not_a_contradiction(default_host, tmp_path):
    run = kore_mock(
        "fidelity",
        "--base-url",
        default_host,
        "--stream-id",
        "st-fidelity-wrong",
        "--account-id",
        DEV_APP.account_id,
        "--client-id",
        DEV_APP.client_id,
        "--client-secret",
        "not-the-secret-of-this-app-at-all-0000",
        "--out",
        str(tmp_path / "report"),
        cwd=tmp_path,
    )
    assert run.returncode == 2 and "401" in run.stderr and "credentials" in run.stderr


def _created(exchange: dict[str, Any]) -> bool:
    body = exchange["response"]["body"]
    return exchange["request"]["method"] == "POST" and isinstance(body, list) and bool(body)


def _numbers_sent(request: dict[str, Any]) -> list[str]:
    """E.164 numbers of a journal request: JSON cellPhone objects and CSV number columns."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "phoneNumber" in value:
                found.append(
                    e164_key(str(value["phoneNumber"]), str(value.get("countryCode", "")))
                    or str(value["phoneNumber"])
                )
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(request.get("body"))
    text = request.get("bodyText") or ""
    if "cellPhoneNumber" in text:
        lines = text[text.index("firstName,") :].split("\r\n")[0]
        for row in csv.DictReader(io.StringIO(lines)):
            number, code = row.get("cellPhoneNumber") or "", row.get("cellPhoneCountryCode") or ""
            found.append(e164_key(number, code) or number)
    return found


UNSCOPED = {"clientId": "cs-fidelity-unscoped", "clientSecret": "u" * 40, "scopes": []}


def test_given_an_app_without_the_scope_the_scope_error_code_is_probed(tmp_path):
    dev = {"clientId": DEV_APP.client_id, "clientSecret": DEV_APP.client_secret}
    apps = [{**app, "accountId": DEV_APP.account_id} for app in (dev, UNSCOPED)]
    config = tmp_path / "host.yaml"
    config.write_text(yaml.safe_dump({"apps": apps, "profile": {"scopeErrorCode": 4003}}))
    unscoped = ("--unscoped-client-id", UNSCOPED["clientId"])
    unscoped += ("--unscoped-client-secret", UNSCOPED["clientSecret"])
    learnt = tmp_path / "learnt.yaml"
    learnt.write_text("scopeErrorCode: 4003\n")
    with kore_mock_serve("--db", ":memory:", "--config", str(config), cwd=tmp_path) as url:
        run = fidelity(url, tmp_path / "report", *unscoped)
        again = fidelity(url, tmp_path / "again", *unscoped, "--profile", str(learnt))
        # a wrong secret is refused as credentials (4002 'Invalid JWT token'): no answer about
        # the scope (it was taken for one: "contradicted, host showed 4002")
        wrong = ("--unscoped-client-id", UNSCOPED["clientId"], "--unscoped-client-secret", "w" * 40)
        mistaken = fidelity(url, tmp_path / "wrong", *wrong, "--profile", str(learnt))
    assert mistaken.returncode == 0, mistaken.stdout + mistaken.stderr
    (told,) = [
        b for b in report_of(tmp_path / "wrong")["behaviours"] if b["reading"] == "scopeErrorCode"
    ]
    assert told["verdict"] == "untestable" and "credentials themselves" in told["note"], told
    assert run.returncode == 1, run.stdout + run.stderr
    report = report_of(tmp_path / "report")
    assert verdicts(report, "contradicted") == {"scopeErrorCode"}
    (scope,) = [b for b in report["behaviours"] if b["reading"] == "scopeErrorCode"]
    assert (scope["expected"], scope["observed"]) == (4002, 4003)
    assert scope["evidence"][0]["response"]["status"] == 401
    assert UNSCOPED["clientSecret"] not in (tmp_path / "report" / "fidelity.json").read_text()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "scopeErrorCode" in verdicts(report_of(tmp_path / "again"), "confirmed")


def test_the_readme_says_what_each_probe_sends_and_leaves_behind():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("\n## Checking a real tenant\n", 1)[1].split("\n## ", 1)[0]
    for probe in PROBES:
        row = f"| {probe.name} |" if probe.run is not None else f"| `{probe.name}` | nothing"
        assert row in section, probe.name
    for reading in readings():
        assert f"`{reading.name}`" in section, reading.name


def test_in_process_the_mock_runs_with_the_profile_it_is_checked_against(tmp_path):
    profile = tmp_path / "tenant.yaml"
    profile.write_text(yaml.safe_dump(DIVERGENT))
    out = tmp_path / "report"
    run = kore_mock("fidelity", "--profile", str(profile), "--out", str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    report = report_of(out)
    assert report["host"] == "kore-mock in-process" and report["contradicted"] == 0
    by_reading = {b["reading"]: b for b in report["behaviours"]}
    assert {name: by_reading[name]["observed"] for name in DIVERGENT} == DIVERGENT


@pytest.mark.parametrize(
    "body", [b"<html><body>Login</body></html>", b"not json {", b"{}", b""], ids=str
)
def test_a_host_answering_a_page_that_is_not_contacts_is_a_connection_error(tmp_path, body):
    """A --base-url pointing at a login page or a proxy's error page (200, not a page of
    contacts): exit 2 and one line, not a traceback and exit 1 ("contradicted")."""

    with answering(body, "text/html") as url:
        run = fidelity(url, tmp_path / "report")
    assert run.returncode == 2, run.stderr
    assert "the answer is not a page of contacts" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_host_that_drops_a_probe_still_gets_the_probes_contacts_deleted(default_host, tmp_path):
    """One dropped connection mid-probe ended the run (exit 2) before any cleanup: the probe's
    contact stayed on the tenant, and nothing said so."""

    class DropsUpdates(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if self.command == "PUT" and "/bulk-update" not in self.path:
                self.close_connection = True  # no answer at all: a dropped connection
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            answer = requests.request(
                self.command, default_host + self.path, data=body, headers=headers, timeout=30
            )
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

        def log_message(self, *args: Any) -> None:
            pass

    stream = f"st-fidelity-{uuid.uuid4()}"
    with serving(DropsUpdates) as host:
        run = fidelity(f"http://127.0.0.1:{host.server_port}", tmp_path / "report", stream=stream)
    assert run.returncode == 2, run.stderr
    assert "stopped answering" in run.stderr
    assert "the namespace is as found" in run.stderr, run.stderr
    assert Tenant(default_host, stream).list().json()["totalResults"] == 0


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_an_interrupted_run_cleans_up_and_says_so_with_exit_2(tmp_path, stop):
    """A CI job's timeout (SIGTERM) ended the run with the probe's contact left on the tenant
    and no word; a Ctrl-C did the same, with "Aborted!" and exit 1, a contradiction's."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.live import ROOT

    stream = f"st-fidelity-{uuid.uuid4()}"
    with kore_mock_serve("--db", ":memory:", cwd=tmp_path) as url:
        slow = requests.put(f"{url}/__mock__/faults/updateContact", json={"latencyMs": 4000})
        assert slow.status_code == 200  # updateBodies' PUT waits: the run is inside a probe
        env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "mockserver.cli", "fidelity", "--base-url", url),
                *("--stream-id", stream, *DEV_APP_FLAGS, "--out", str(tmp_path / "out")),
            ],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        seen = []
        for line in process.stdout:  # bounded: the run ends after its last probe
            seen.append(line)
            if line.startswith("probe updateBodies"):
                break
        time.sleep(1)  # the contact is created, its update waits for the fault's latency
        process.send_signal(getattr(signal, stop))
        rest, _ = process.communicate(timeout=60)
        output = "".join(seen) + rest
        assert process.returncode == 2, output
        assert "kore-mock fidelity was interrupted during probe updateBodies" in output
        assert "the namespace is as found" in output
        time.sleep(4)  # the update the server was holding is answered; nothing is created
        assert Tenant(url, stream).list().json()["totalResults"] == 0
    assert not (tmp_path / "out").exists()


# every testable reading the other way round from kore-mock's defaults (importPolicy and
# validationStatus are DIVERGENT's, tested above)
OTHER_WAY = {
    "listQuery": "lenient",
    "accountIdFormat": "objectId",
    "notFoundStatus": 400,
    "requiredFields": "lenient",
    "updateBodies": "full",
    "duplicateUpdateStatus": 400,
    "deletedNumbers": "kept",
    "bulkDeleteField": "id",
}


def test_a_host_reading_every_other_reading_the_other_way_is_read_back(tmp_path):
    """Each probe tells the other value apart, and profile.yaml holds it: a mock served with
    that file reads like the host."""
    profile = tmp_path / "other.yaml"
    profile.write_text(yaml.safe_dump(OTHER_WAY))
    with kore_mock_serve("--db", ":memory:", "--profile", str(profile), cwd=tmp_path) as host:
        run = fidelity(host, tmp_path / "report")
    assert run.returncode == 1, run.stdout + run.stderr
    report = report_of(tmp_path / "report")
    assert verdicts(report, "contradicted") == set(OTHER_WAY), run.stdout
    by_reading = {b["reading"]: b for b in report["behaviours"]}
    for name, value in OTHER_WAY.items():
        assert by_reading[name]["expected"] == DEFAULT.get(name)
        assert by_reading[name]["observed"] == value, (name, by_reading[name])
    shown = yaml.safe_load((tmp_path / "report" / "profile.yaml").read_text())
    assert {name: shown[name] for name in OTHER_WAY} == OTHER_WAY
    assert report["namespace"]["asFound"] is True


def test_a_host_that_keeps_what_the_probes_created_is_reported_not_as_found(tmp_path):
    out = tmp_path / "report"
    with serve_wsgi(RefusesDeletes(healthy_mock())) as url:
        run = fidelity(url, out)
    assert run.returncode in (1, 2), run.stdout + run.stderr
    report = report_of(out)
    assert report["namespace"]["asFound"] is False
    assert report["namespace"]["after"] > report["namespace"]["before"]
    kept = [b["cleanup"] for b in report["behaviours"] if b.get("cleanup", {}).get("left")]
    assert kept and all(c["asFound"] is False and c["deleted"] == 0 for c in kept)  # none went
    assert "(NOT as found)." in (out / "fidelity.md").read_text()
