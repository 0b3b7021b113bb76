"""`kore-mock reset | seed | journal` drive a running server over HTTP."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from click.testing import CliRunner

from mockserver.app import create_app
from mockserver.cli import main
from mockserver.mock import mock_of
from mockserver.settings import Settings
from tests.conftest import ACCOUNT, STREAM, csv_file, person
from tests.live import answering, call, free_port, threaded_server

NS = ["--account", ACCOUNT, "--stream", STREAM]


@pytest.fixture
def server(app):
    with threaded_server(app) as url:
        yield url


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def contacts(url: str) -> list[dict]:
    return call(f"{url}/__mock__/namespaces/{ACCOUNT}/{STREAM}/export")[2]


def test_seed_a_csv_file_lists_refused_rows_with_reasons(server, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543210,+91,"))
    result = run("seed", str(path), "--url", server, *NS)
    assert result.exit_code == 0, result.output
    assert f"Seeded {ACCOUNT} / {STREAM}: 1 created, 1 refused." in result.output
    assert "refused row 2: DUPLICATE_IN_FILE: Row 2: phone number +919876543210 repeats row 1" in (
        result.output
    )
    assert len(contacts(server)) == 1


def test_seed_legacy_duplicates_from_json(server, tmp_path):
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps([person("a", "b", "9876543210"), person("c", "d", "9876543210")]))
    result = run("seed", str(path), "--legacy-duplicates", "--url", server, *NS)
    assert "as legacy duplicates: 2 created, 0 refused." in result.output
    assert len(contacts(server)) == 2


def test_seed_reads_the_namespace_and_url_from_the_environment(server, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file("a,b,Mr,9876543210,+91,"))
    env = {"KORE_MOCK_URL": server, "KORE_MOCK_ACCOUNT_ID": ACCOUNT, "KORE_MOCK_STREAM_ID": STREAM}
    result = run("seed", str(path), "--json", env=env)
    assert json.loads(result.output)["createdCount"] == 1


def test_seed_of_a_bad_file_is_a_clear_error(server, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,phone\nann,1\n")
    result = run("seed", str(path), "--url", server, *NS)
    assert result.exit_code == 1
    assert "HTTP 400: CSV format is incorrect: The CSV header is missing" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("[")
    assert "is not valid JSON" in run("seed", str(broken), "--url", server).output
    for content in ('{"a": 1}', '"text"', '{"contacts": {"firstName": "a"}}'):
        shapeless = tmp_path / "shapeless.json"
        shapeless.write_text(content)
        result = run("seed", str(shapeless), "--url", server)  # "contacts: None is not ..."
        assert result.exit_code == 1
        assert result.output == (
            f'Error: {shapeless} holds neither a list of contacts nor {{"contacts": [...]}}\n'
        )
    for levels in (3000, 20):  # 3000 was a RecursionError traceback
        deep = tmp_path / "deep.json"
        deep.write_text('{"contacts":' + "[" * levels + "]" * levels + "}")
        result = run("seed", str(deep), "--url", server)
        assert result.exit_code == 1
        assert result.output == (
            f"Error: {deep} nests arrays and objects more than 16 levels deep (a contact has 3)\n"
        )


def test_reset_everything_or_one_namespace(server, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file("a,b,Mr,9876543210,+91,"))
    run("seed", str(path), "--url", server, *NS)
    result = run("reset", "--url", server, *NS)
    assert result.output == f"Reset {ACCOUNT} / {STREAM}: 1 contact(s) removed.\n"
    run("seed", str(path), "--url", server, *NS)
    result = run("reset", "--url", server)
    assert result.output.startswith("Reset everything: 1 contact(s) removed;")
    assert contacts(server) == []


@pytest.mark.parametrize(
    ("given", "env"),
    [
        (["--stream", "st-second"], None),
        (["--account", ACCOUNT.upper(), "--stream", "st-second"], None),
        ([], {"KORE_MOCK_STREAM_ID": "st-second"}),
    ],
    ids=["--stream alone", "both", "KORE_MOCK_STREAM_ID"],
)
def test_reset_with_one_namespace_option_resets_that_namespace_only(server, tmp_path, given, env):
    """(A reset given --stream alone must not reset everything: every namespace, the journal,
    the faults.)"""
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file("a,b,Mr,9876543210,+91,"))
    run("seed", str(path), "--url", server, *NS)
    run("seed", str(path), "--url", server, "--account", ACCOUNT, "--stream", "st-second")
    result = run("reset", "--url", server, *given, env=env)
    assert result.output == f"Reset {ACCOUNT} / st-second: 1 contact(s) removed.\n", result.output
    assert len(contacts(server)) == 1  # the other namespace keeps its contact


def test_seed_of_a_csv_with_legacy_duplicates_stores_both_holders(server, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543210,+91,"))
    result = run("seed", str(path), "--url", server, *NS, "--legacy-duplicates")
    assert result.exit_code == 0, result.output
    assert [c["firstName"] for c in contacts(server)] == ["a", "c"]


def test_journal_lists_filters_and_shows_one_entry(server, api):
    base_url = f"{server}/agentassist/api/v1/public/{STREAM}/contacts"
    call(base_url, headers=api.headers())
    call(base_url + "/" + "0" * 24, "DELETE", headers=api.headers())
    table = run("journal", "--url", server).output.splitlines()
    header = ["ID", "AT", "METHOD", "STATUS", "MS", "OPERATION", "REFUSED", "PATH"]
    assert table[0].split() == header
    assert [line.split()[3] for line in table[1:]] == ["404", "200"]
    only = run("journal", "--url", server, "--status", "404", "--json").output
    assert [e["operation"] for e in json.loads(only)] == ["deleteContact"]
    entry = json.loads(run("journal", "--url", server, "--id", "1").output)
    assert entry["operation"] == "listContacts"
    assert run("journal", "--url", server, "--operation", "importContacts").output == (
        "No journal entries match.\n"
    )


def test_journal_verify_exits_1_when_the_count_is_not_met(server, api):
    call(f"{server}/agentassist/api/v1/public/{STREAM}/contacts", headers=api.headers())
    ok = run("journal", "--url", server, "--operation", "listContacts", "--count", "1")
    assert ok.exit_code == 0 and ok.output == "OK: 1 matching\n"
    failed = run("journal", "--url", server, "--operation", "importContacts", "--at-least", "1")
    assert failed.exit_code == 1
    assert failed.output == "FAILED: Expected at least 1 matching request(s), found 0\n"
    assert run("journal", "--url", server, "--clear").output == "Journal cleared.\n"
    assert run("journal", "--url", server, "--count", "0").exit_code == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--clear", "--count", "1"], "--clear cannot go with --count/--at-least/--at-most"),
        (["--clear", "--at-most", "0"], "--clear cannot go with --count/--at-least/--at-most"),
        (["--id", "1", "--export", "-"], "--id cannot go with --export"),
        (["--count", "1", "--export", "-"], "--count/--at-least/--at-most cannot go with --export"),
        (["--clear", "--operation", "listContacts"], "--clear forgets every entry"),
        (["--id", "1", "--status", "200"], "--id shows one entry: it takes no --status"),
        (["--at-least", "1", "--limit", "5"], "--limit is for the listing"),
    ],
)
def test_journal_options_that_ask_for_two_things_are_a_usage_error(server, api, args, says):
    """`--clear --count 1` cleared and exited 0, the verification asked for not done."""
    call(f"{server}/agentassist/api/v1/public/{STREAM}/contacts", headers=api.headers())
    result = run("journal", "--url", server, *args)
    assert result.exit_code == 2 and f"Error: {says}" in result.output, result.output
    assert run("journal", "--url", server, "--count", "1").exit_code == 0  # nothing was cleared


def test_verbs_say_clearly_when_no_server_answers():
    url = f"http://127.0.0.1:{free_port()}"
    for args in (["reset"], ["journal"]):
        result = run(*args, "--url", url)
        assert result.exit_code == 1
        assert f"cannot reach kore-mock at {url}" in result.output
        assert "kore-mock serve" in result.output


def test_without_a_url_the_verbs_ask_the_port_kore_mock_port_names(server):
    # in a container moved with -e KORE_MOCK_PORT=9090 every verb inside asked 8080
    port = server.rsplit(":", 1)[1]
    env = {"KORE_MOCK_URL": None, "KORE_MOCK_PORT": port}
    for args in (["health"], ["journal", "--count", "0"], ["reset"]):
        result = run(*args, env=env)
        assert result.exit_code == 0, result.output
    assert f"at http://127.0.0.1:{port} " in run("health", env=env).output
    elsewhere = f"http://127.0.0.1:{free_port()}"  # KORE_MOCK_URL and --url win over it
    for given in (
        run("health", env={**env, "KORE_MOCK_URL": elsewhere}),
        run("health", "--url", elsewhere, env=env),
    ):
        assert given.exit_code == 1 and f"cannot reach kore-mock at {elsewhere}" in given.output
    bad = run("health", env={"KORE_MOCK_URL": None, "KORE_MOCK_PORT": "abc"})
    assert bad.exit_code == 2 and "made of KORE_MOCK_PORT='abc'" in bad.output, bad.output
    assert "http://127.0.0.1:$KORE_MOCK_PORT" in " ".join(run("health", "--help").output.split())


def test_without_kore_mock_port_the_default_url_is_8080(monkeypatch):
    from mockserver.control.client import default_url

    monkeypatch.delenv("KORE_MOCK_PORT", raising=False)
    assert default_url() == "http://127.0.0.1:8080"
    monkeypatch.setenv("KORE_MOCK_PORT", "")
    assert default_url() == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not-a-url", "is not a URL kore-mock can be reached at"),
        ("http://127.0.0.1:1/a b", "URL"),
        ("http://127.0.0.1:1\n", "it holds a newline"),  # was a traceback (a Host header)
        ("ftp://127.0.0.1:1", "it starts with ftp://, not http:// or https://"),  # "()"
        ("http://user:pw@127.0.0.1:1", "user:password@"),  # was "Name or service not known"
        ("http://[::1", "it is not a URL (Invalid IPv6 URL)"),  # was a traceback
        ("http://127.0.0.1:1/?x=1", "it holds a query or a fragment"),  # was a 404 of "/"
        # UnicodeError tracebacks from the resolver
        ("http://" + "a" * 64 + ":1", "its host name is not one"),
        ("http://a..b:1", "its host name is not one"),
    ],
)
def test_a_url_kore_mock_cannot_use_is_a_usage_error(url, says):
    for args in (["health"], ["reset"], ["journal"]):  # each was a traceback
        result = run(*args, "--url", url)
        assert result.exit_code == 2 and says in result.output, result.output
        assert "Invalid value for '--url'" in result.output
        assert "Traceback" not in result.output  # (run() raises any other exception)


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("a\nb", "it holds a newline"),
        ("x\r", "it holds a carriage return"),  # a token copied from a CRLF file
        ("\u20ac", "the non-ASCII character"),
        (" ", "it is blank"),
        (" x ", "leading or trailing blanks"),
    ],
)
def test_an_admin_token_no_header_can_carry_is_one_line_naming_the_option(tmp_path, token, says):
    """Every control verb crashed with a traceback from http.client (ValueError: Invalid
    header value, UnicodeEncodeError)."""
    people = tmp_path / "p.json"
    people.write_text("[]")
    url = f"http://127.0.0.1:{free_port()}"
    verbs = (["health"], ["reset"], ["journal"], ["seed", str(people)], ["snapshot", "save", "-"])
    for verb in verbs:
        flag = run(*verb, "--url", url, "--admin-token", token)
        assert flag.exit_code == 2 and says in flag.output, flag.output
        assert "Invalid value for '--admin-token'" in flag.output
        env = run(*verb, "--url", url, env={"KORE_MOCK_ADMIN_TOKEN": token})
        assert env.exit_code == 2 and "KORE_MOCK_ADMIN_TOKEN" in env.output, env.output


def test_the_control_client_refuses_a_token_or_url_it_cannot_send():
    """The client of the pytest fixture (--kore-mock-admin-token) too: an error, not a crash."""
    from mockserver.control.client import ControlClient, ControlError

    with pytest.raises(ControlError, match="cannot be sent in X-Mock-Admin-Token: it holds a"):
        ControlClient(f"http://127.0.0.1:{free_port()}", "a\nb").call("GET", "/__mock__/health")
    with pytest.raises(ControlError, match="is not a URL kore-mock can be reached at"):
        ControlClient("http://127.0.0.1:1\n").call("GET", "/__mock__/health")


def test_odd_namespace_ids_and_unwritable_files_are_one_line_errors(server, tmp_path):
    people = tmp_path / "p.json"
    people.write_text(json.dumps([person("a", "b", "9876543210")]))
    for account, stream in (("bad acct!", STREAM), (ACCOUNT, "st-x?y")):
        seeded = run("seed", str(people), "--url", server, "--account", account, "--stream", stream)
        assert seeded.exit_code == 1 and "HTTP 4" in seeded.output, seeded.output
    exported = run("journal", "--url", server, "--export", str(tmp_path / "no" / "dir.jsonl"))
    assert exported.exit_code == 1 and "cannot write" in exported.output
    # nothing was seeded into a namespace cut at the "?" (st-x)
    assert call(f"{server}/__mock__/namespaces")[2]["namespaces"] == []


@pytest.mark.parametrize(
    "verb",
    [["seed", "people.json"], ["reset"], ["journal"]],
    ids=["seed", "reset", "journal"],
)
@pytest.mark.parametrize("option", ["--account", "--stream"])
def test_an_empty_namespace_id_is_refused_not_taken_for_the_development_one(
    server, tmp_path, monkeypatch, verb, option
):
    """(`seed --account ''` seeded, and `reset --account '' --stream st-x` reset, the
    development account's namespace.)"""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "people.json").write_text(json.dumps([person("a", "b", "9876543210")]))
    for empty in ("", "  "):
        result = run(*verb, "--url", server, *NS, option, empty)
        assert result.exit_code == 2 and f"'{option}': is empty" in result.output, result.output
    assert contacts(server) == []


def test_verbs_send_the_admin_token(settings):
    app = create_app(replace(settings, admin_token="t0ken"))
    try:
        with threaded_server(app) as url:
            refused = run("reset", "--url", url)
            assert refused.exit_code == 1 and "HTTP 403" in refused.output
            assert "--admin-token" in refused.output
            env = {"KORE_MOCK_ADMIN_TOKEN": "t0ken"}
            assert run("reset", "--url", url, env=env).exit_code == 0
    finally:
        mock_of(app).close()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"<html><body>hello</body></html>", "text/html"), (b'{"ok": true}', "application/json")],
    ids=["html", "json"],
)
def test_a_server_that_answers_but_is_no_kore_mock_is_one_error_line_and_nothing_is_written(
    tmp_path, body, content_type
):
    """(reset, journal, seed and snapshot load were tracebacks; snapshot save wrote the HTML
    page to the file, journal --clear said "Journal cleared.")"""
    people = tmp_path / "p.json"
    people.write_text("[]")
    saved = tmp_path / "saved.json"
    with answering(body, content_type) as url:  # another development server on the port
        for verb in (
            ["reset"],
            ["journal"],
            ["journal", "--clear"],
            ["journal", "--export", str(tmp_path / "export.jsonl")],
            ["seed", str(people)],
            ["snapshot", "save", str(saved)],
        ):
            result = CliRunner().invoke(main, [*verb, "--url", url])
            assert result.exit_code == 1, (verb, result.output, result.exception)
            assert "answered, but not as a kore-mock" in result.output, (verb, result.output)
    assert not saved.exists() and not (tmp_path / "export.jsonl").exists()


def test_health_wait_retries_a_server_not_up_yet_but_not_an_answer():
    """--wait is for a server still starting: one that answers (a 404, a 500) is the answer."""
    for status in (404, 500):
        with answering(b"nope", "text/plain", status=status) as url:
            started = time.monotonic()
            result = run("health", "--url", url, "--wait", "30")
            assert result.exit_code == 1 and f"HTTP {status}" in result.output, result.output
            assert time.monotonic() - started < 10


def test_seed_says_when_the_refused_rows_it_lists_are_cut(tmp_path):
    path = tmp_path / "many.csv"
    path.write_bytes(csv_file(*[f"n{i},x,Mr,9876543210,+91," for i in range(1002)]))
    app = create_app(Settings(db=":memory:"))
    try:
        with threaded_server(app) as url:
            result = run("seed", str(path), "--url", url)
    finally:
        mock_of(app).close()
    assert result.exit_code == 0, result.output[-500:]
    assert "1001" in result.output.splitlines()[0] or "1,001" in result.output.splitlines()[0]
    assert result.output.rstrip().endswith("(the server listed the first 1,000 refused rows only)")
