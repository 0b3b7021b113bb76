"""``kore-mock proxy``, ``kore-mock replay`` and ``kore-mock journal --export`` as a user runs
them: subprocesses, in front of stand-in tenants (``kore-mock serve``) on loopback."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from tests.live import free_port
from tests.shadow.conftest import (
    DEV_APP_FLAGS,
    DIVERGENT_YAML,
    Tenant,
    all_seven,
    fictitious,
    kore_mock,
    kore_mock_proxy,
    person,
    shadow,
)


def test_kore_mock_proxy_shows_a_duplicate_import_as_differing_in_front_of_a_divergent_host(
    divergent_host, tmp_path
):
    record = tmp_path / "session.jsonl"
    with kore_mock_proxy(divergent_host, "--record", str(record), cwd=tmp_path) as url:
        tenant = Tenant(url)
        number = fictitious()
        answer = tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
        report = shadow(url, differing="true")
    assert answer.status_code == 400  # the host's answer
    assert report["exchanges"] == 1 and report["differing"] == 1
    (item,) = report["items"]
    assert item["operation"] == "importContacts"
    assert item["upstream"]["status"] == 400 and item["mock"]["status"] == 200
    assert {"path": "status", "upstream": 400, "mock": 200} in item["differences"]
    (line,) = record.read_text().splitlines()
    assert json.loads(line)["request"]["headers"]["auth"] == "REDACTED"


def test_kore_mock_proxy_shows_no_difference_over_the_seven_operations_on_a_host_alike(
    default_host, tmp_path
):
    with kore_mock_proxy(default_host, cwd=tmp_path) as url:
        all_seven(Tenant(url))
        report = shadow(url)
    assert report["exchanges"] == 8 and report["differing"] == 0, report["items"]
    assert report["upstream"] == default_host


def test_a_recording_replays_clean_on_a_mock_reading_as_the_host_and_fails_on_one_without(
    divergent_host, tmp_path
):
    record = tmp_path / "tenant.jsonl"
    with kore_mock_proxy(divergent_host, "--record", str(record), cwd=tmp_path) as url:
        tenant = Tenant(url)
        number = fictitious()
        tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
        all_seven(tenant)
    profile = tmp_path / "host.yaml"
    profile.write_text(DIVERGENT_YAML)
    alike = kore_mock("replay", str(record), "--profile", str(profile), cwd=tmp_path)
    assert alike.returncode == 0, alike.stdout + alike.stderr
    assert "9 exchange(s): 9 replayed, 0 not replayed, 0 differing" in alike.stdout
    unlike = kore_mock("replay", str(record), cwd=tmp_path)
    assert unlike.returncode == 1, unlike.stdout + unlike.stderr
    assert "importContacts" in unlike.stdout and "status: 400 (recorded) vs 200 (replayed)" in (
        unlike.stdout
    )
    logged = kore_mock(
        "replay", str(record), "--json", cwd=tmp_path, env={"KORE_MOCK_PROGRESS": "always"}
    )
    as_json = json.loads(logged.stdout)  # progress goes to stderr: the JSON stays clean
    assert as_json["exchanges"] == 9 and as_json["differing"] == 1
    assert "replay: 9 of 9 exchanges (100 %)" in logged.stderr, logged.stderr


def test_the_journal_of_an_app_run_exports_and_replays_against_a_host(
    default_host, divergent_host, tmp_path
):
    """The user's app ran against a mock; what it sent is then checked against the tenant."""
    tenant = Tenant(default_host)
    number = fictitious()
    tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
    tenant.create(person("Alan", "Turing", fictitious()))
    export = tmp_path / "app.jsonl"
    exported = kore_mock(
        "journal",
        "--url",
        default_host,
        "--operation",
        "importContacts",
        "--export",
        str(export),
        cwd=tmp_path,
    )
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("Exported ")
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    assert lines and all(line["source"] == "journal" for line in lines)
    checked = kore_mock(
        "replay",
        str(export),
        "--upstream",
        divergent_host,
        "--stream-id",
        f"st-replay-{tenant.stream[3:]}",
        *DEV_APP_FLAGS,
        "--json",
        cwd=tmp_path,
    )
    assert checked.returncode == 1, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    last = report["items"][-1]
    assert last["recorded"]["status"] == 200 and last["replayed"]["status"] == 400
    assert report["namespaceAfter"] == 0 and report["cleanupRemaining"] == []


def test_usage_and_connection_errors_exit_with_2(tmp_path):
    missing = kore_mock("replay", str(tmp_path / "nope.jsonl"), cwd=tmp_path)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    (tmp_path / "one.jsonl").write_text('{"recording": "kore-mock/1", "request": {}}\n')
    broken = kore_mock("replay", str(tmp_path / "one.jsonl"), cwd=tmp_path)
    assert broken.returncode == 2 and "one.jsonl:1" in broken.stderr
    no_host = kore_mock(
        "replay", str(tmp_path / "one.jsonl"), "--upstream", "http://127.0.0.1:9", cwd=tmp_path
    )
    assert no_host.returncode == 2
    path = kore_mock(
        "proxy",
        "--upstream",
        "https://h.example/agentassist/api/v1/public/st-1/contacts",
        cwd=tmp_path,
    )
    assert path.returncode == 2 and "not an API path" in path.stderr


def test_a_profile_given_to_a_replay_on_a_host_is_said_to_be_unused(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "host.yaml").write_text(DIVERGENT_YAML)
    args = ("replay", str(tmp_path / "empty.jsonl"), "--upstream", "http://127.0.0.1:9")
    replayed = kore_mock(*args, "--profile", str(tmp_path / "host.yaml"), cwd=tmp_path)
    assert replayed.returncode == 2  # nothing listens there
    assert "with --upstream the host answers with its own readings" in replayed.stderr


def test_the_proxy_control_plane_is_its_mock(default_host, tmp_path):
    with kore_mock_proxy(default_host, cwd=tmp_path) as url:
        health = requests.get(url + "/__mock__/health", timeout=5).json()
        console = requests.get(url + "/__mock__/ui", timeout=5)
    assert health["status"] == "ok" and health["store"] == ":memory:"
    assert console.status_code == 200 and "text/html" in console.headers["Content-Type"]


def test_a_proxy_with_the_hosts_profile_shows_no_difference_where_one_without_differs(
    divergent_host, tmp_path
):
    profile = tmp_path / "host.yaml"
    profile.write_text(DIVERGENT_YAML)
    malformed = {"firstName": "Ada"}  # an object where the API takes an array
    for args, differing in (((), 2), (("--profile", str(profile)), 0)):
        with kore_mock_proxy(divergent_host, *args, cwd=tmp_path) as url:
            tenant = Tenant(url)
            number = fictitious()
            tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
            bad = tenant.http.post(tenant.base, json=malformed, headers=tenant.headers())
            assert bad.status_code == 400  # the host's validation status, whatever the mock's
            report = shadow(url)
        assert report["exchanges"] == 2 and report["differing"] == differing, report["items"]
        if differing:
            statuses = {(i["upstream"]["status"], i["mock"]["status"]) for i in report["items"]}
            assert statuses == {(400, 200), (400, 412)}


@pytest.mark.parametrize(
    ("where", "why"),
    [("missing/session.jsonl", "No such file or directory"), ("a-file/x.jsonl", "Not a directory")],
)
def test_a_proxy_that_cannot_write_its_recording_says_so_in_one_line_before_it_starts(
    tmp_path, where, why
):
    """(It printed its banner, then gunicorn's worker failed to boot with a traceback: exit 3.)"""
    (tmp_path / "a-file").write_text("")
    record = tmp_path / where
    args = ("--upstream", "http://127.0.0.1:9", "--port", str(free_port()), "--record", str(record))
    started = kore_mock("proxy", *args, cwd=tmp_path, timeout=60)
    assert started.returncode == 2, started.stdout + started.stderr
    assert started.stdout == ""
    assert started.stderr == f"Error: cannot write the recording {record}: {why}\n"
    assert not record.exists()


@pytest.mark.parametrize(
    ("db", "says"),
    [
        ("mysql://x", "Error: mysql:// is not a store kore-mock knows"),
        (".", "Error: cannot use the SQLite file .: unable to open database file"),
    ],
)
def test_a_proxy_whose_store_cannot_be_used_says_so_in_one_line_before_it_starts(
    tmp_path, db, says
):
    """As serve does (the proxy printed its banner, then its worker failed to boot with a
    StoreUnavailable traceback: exit 3)."""
    args = ("--upstream", "http://127.0.0.1:9", "--port", str(free_port()), "--db", db)
    started = kore_mock("proxy", *args, cwd=tmp_path, timeout=60)
    assert started.returncode == 2, started.stdout + started.stderr
    assert started.stdout == ""
    assert started.stderr.startswith(says) and started.stderr.count("\n") == 1, started.stderr


def test_a_proxy_on_a_port_in_use_is_one_clear_error(tmp_path):
    """(gunicorn retried for seconds, logging each failed bind, as serve did before f02cbb4.)"""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ("--upstream", "http://127.0.0.1:9", "--port", str(port))
        started = kore_mock("proxy", *args, "--record", str(tmp_path / "r.jsonl"), cwd=tmp_path)
    assert started.returncode == 2, started.stdout + started.stderr
    assert started.stdout == ""
    assert started.stderr == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert not (tmp_path / "r.jsonl").exists()  # nothing written for a proxy that never ran


def test_a_verbose_replay_on_a_host_says_why_an_exchange_was_not_sent(default_host, tmp_path):
    """(It printed 'recorded 200, replayed not sent — same', a comparison never made; and,
    nothing replayed, it passed.)"""
    path = "/agentassist/api/v1/public/st-x/contacts"
    real = {
        "recording": "kore-mock/1",
        "seq": 1,
        "operation": "createContacts",
        "request": {
            "method": "POST",
            "path": path,
            "headers": {"Content-Type": "application/json", "auth": "REDACTED"},
            "body": [person("Real", "Person", ("9876543210", "+91"))],
        },
        "response": {"status": 200, "body": []},
    }
    unanswered = {"recording": "kore-mock/1", "request": {"method": "GET", "path": path}}
    file = tmp_path / "real.jsonl"
    file.write_text(json.dumps(real) + "\n" + json.dumps(unanswered) + "\n")
    replayed = kore_mock(
        "replay",
        str(file),
        "-v",
        "--upstream",
        default_host,
        "--stream-id",
        "st-replay-not-sent",
        *DEV_APP_FLAGS,
        cwd=tmp_path,
    )
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr  # nothing was checked
    lines = replayed.stdout.splitlines()
    assert lines[1] == (
        f"#1 (line 1) createContacts POST {path}: recorded 200, "
        "not sent: phone number +91 9876543210 is not fictitious"
    )
    assert (
        lines[2]
        == f"#2 (line 2) - GET {path}: recorded -, not replayed: the recording kept no answer"
    )
    assert "same" not in replayed.stdout
    assert "2 exchange(s): 0 replayed, 2 not replayed, 0 differing" in lines
    assert "notSent: 1" in lines


def test_the_proxy_banner_says_whether_its_control_plane_wants_an_admin_token():
    """A token (flag, KORE_MOCK_ADMIN_TOKEN or the settings file) closes the proxy's control
    plane to callers without it, loopback ones too: the banner says so, as serve's does."""
    from mockserver.settings import Settings
    from mockserver.shadow.commands import _banner
    from mockserver.shadow.upstream import Upstream

    upstream = Upstream("http://127.0.0.1:9")
    try:
        closed = _banner("http://h", upstream, Settings(admin_token="a-token-1234567"), None)
        open_ = _banner("http://h", upstream, Settings(), None)
    finally:
        upstream.close()
    assert "admin      the control plane needs X-Mock-Admin-Token" in closed
    assert "a-token-1234567" not in closed
    assert "admin      no token: the control plane answers loopback callers only" in open_


def test_a_proxy_takes_its_host_port_and_store_from_the_settings_file_unless_flags_say_otherwise(
    tmp_path,
):
    """(The flags' own defaults, 127.0.0.1:8080 and :memory:, hid the file's values.)"""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "proxy.yaml"
        config.write_text(f"host: 127.0.0.1\nport: {port}\n")
        args = ("proxy", "--upstream", "http://127.0.0.1:9", "--config", str(config))
        from_file = kore_mock(*args, cwd=tmp_path)
        assert from_file.returncode == 2, from_file.stdout + from_file.stderr
        assert f"cannot listen on 127.0.0.1:{port}" in from_file.stderr
    (tmp_path / "a-directory").mkdir()  # a store that cannot be used: the check says its name
    (tmp_path / "another-directory").mkdir()
    config.write_text(f"port: {port}\ndb: {tmp_path / 'a-directory'}\n")
    store = kore_mock(*args, cwd=tmp_path, timeout=60)
    assert store.returncode == 2 and "a-directory" in store.stderr, store.stderr
    flag = kore_mock(*args, "--db", str(tmp_path / "another-directory"), cwd=tmp_path, timeout=60)
    assert flag.returncode == 2 and "another-directory" in flag.stderr, flag.stderr


def test_a_proxy_with_an_upstream_it_cannot_call_does_not_start(tmp_path):
    """(A port over 65535 started a proxy that answered every request 502.)"""
    bad = kore_mock("proxy", "--upstream", "http://127.0.0.1:99999", cwd=tmp_path)
    assert bad.returncode == 2
    assert "its port is not a number from 0 to 65535" in bad.stderr, bad.stderr


def test_host_options_a_run_does_not_use_are_said_to_be_unused(tmp_path):
    """(A replay or fidelity run given --stream-id or --jwt but no host ran in-process without a
    word; --client-id beside --jwt was dropped as silently.)"""
    (tmp_path / "empty.jsonl").write_text("")
    local = kore_mock("replay", "empty.jsonl", "--stream-id", "st-x", "--jwt", "t", cwd=tmp_path)
    assert "note: --stream-id and --jwt are for a host (--upstream): not used without one" in (
        local.stderr
    ), local.stderr
    both = kore_mock(
        *("replay", "empty.jsonl", "--upstream", "http://127.0.0.1:9", "--stream-id", "st-x"),
        *("--account-id", "63c7ebae6a2aef36de8f0001", "--jwt", "t", "--client-id", "c"),
        cwd=tmp_path,
    )
    assert "note: --jwt is the token sent; --client-id and --client-secret are not used" in (
        both.stderr
    ), both.stderr
