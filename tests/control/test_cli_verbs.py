"""`kore-mock reset | seed | journal` drive a running server over HTTP."""

from __future__ import annotations

import http.server
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
from tests.live import answering, call, free_port, serving, threaded_server

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


def seed_on_a_server_of_its_own(path):
    """``kore-mock seed PATH`` against a fresh in-memory server."""
    app = create_app(Settings(db=":memory:"))
    try:
        with threaded_server(app) as url:
            return run("seed", str(path), "--url", url)
    finally:
        mock_of(app).close()


def test_seed_says_when_the_refused_rows_it_lists_are_cut(tmp_path):
    path = tmp_path / "many.csv"
    path.write_bytes(csv_file(*[f"n{i},x,Mr,9876543210,+91," for i in range(1002)]))
    result = seed_on_a_server_of_its_own(path)
    assert result.exit_code == 0, result.output[-500:]
    assert "1001" in result.output.splitlines()[0] or "1,001" in result.output.splitlines()[0]
    assert result.output.rstrip().endswith("(the server listed the first 1,000 refused rows only)")


def test_seed_says_nothing_of_cut_refused_rows_when_only_the_created_list_is_cut(tmp_path):
    """More than 1,000 created makes the answer `truncated`, but every refused row is listed:
    no "(the server listed the first N refused rows only)" note."""
    path = tmp_path / "many.csv"
    rows = [f"n{i},x,Mr,98765{i:05d},+91," for i in range(1001)]
    path.write_bytes(csv_file(*rows, "dup,x,Mr,9876500000,+91,"))
    result = seed_on_a_server_of_its_own(path)
    assert result.exit_code == 0, result.output[-500:]
    assert "1001 created, 1 refused." in result.output
    assert "refused row 1002" in result.output
    assert "refused rows only" not in result.output, result.output[-300:]


def test_journal_export_says_how_many_entries_it_wrote_in_words_that_fit_the_count(
    server, api, tmp_path
):
    call(f"{server}/agentassist/api/v1/public/{STREAM}/contacts", headers=api.headers())
    one = run("journal", "--url", server, "--export", str(tmp_path / "one.jsonl"))
    assert one.output == f"Exported 1 journal entry to {tmp_path / 'one.jsonl'}.\n"
    call(f"{server}/agentassist/api/v1/public/{STREAM}/contacts", headers=api.headers())
    two = run("journal", "--url", server, "--export", str(tmp_path / "two.jsonl"))
    assert two.output == f"Exported 2 journal entries to {tmp_path / 'two.jsonl'}.\n"


def test_journal_table_shows_a_dropped_connection_as_dropped_not_as_its_status(server, api):
    assert call(f"{server}/__mock__/faults/listContacts", "PUT", {"dropConnection": True})[0] == 200
    with pytest.raises(OSError):  # the server closes the connection without an answer
        call(f"{server}/agentassist/api/v1/public/{STREAM}/contacts", headers=api.headers())
    table = run("journal", "--url", server).output.splitlines()
    assert table[0].split()[3] == "STATUS"
    assert table[1].split()[3] == "dropped", table


def test_journal_table_shows_how_many_rows_an_import_refused(server, api):
    api.import_csv(csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543210,+91,"))
    table = run("journal", "--url", server).output.splitlines()
    header = table[0].split()
    import_row = table[1].split()
    assert import_row[header.index("OPERATION")] == "importContacts", table
    assert import_row[header.index("REFUSED")] == "1", table


def test_journal_table_shows_the_query_a_request_sent(server, api):
    url = f"{server}/agentassist/api/v1/public/{STREAM}/contacts?limit=5&skip=1"
    call(url, headers=api.headers())
    table = run("journal", "--url", server).output.splitlines()
    assert table[1].endswith(f"/agentassist/api/v1/public/{STREAM}/contacts?limit=5&skip=1"), table


@pytest.mark.parametrize("given", [["--account", ACCOUNT], ["--stream", STREAM]])
def test_journal_with_one_namespace_option_is_a_usage_error_naming_both(server, api, given):
    call(f"{server}/agentassist/api/v1/public/{STREAM}/contacts", headers=api.headers())
    result = run("journal", "--url", server, *given)
    assert result.exit_code == 2, result.output
    assert "--account and --stream filter on a namespace together" in result.output


def test_journal_verify_with_json_prints_the_servers_answer_as_json(server, api):
    call(f"{server}/agentassist/api/v1/public/{STREAM}/contacts", headers=api.headers())
    verify = ["journal", "--url", server, "--operation", "listContacts", "--json"]
    ok = run(*verify, "--count", "1")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["count"] == 1
    failed = run(*verify, "--count", "2")
    assert failed.exit_code == 1
    assert json.loads(failed.output)["errors"][0]["code"] == 406


def test_health_of_a_server_with_kore_mocks_header_but_not_its_health_fields_is_one_error_line():
    """(an older or another X-Mock-Server answering {"status": "ok"} only)"""

    class HalfHealth(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"status": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Mock-Server", "kore-mock")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(HalfHealth) as host:
        url = f"http://127.0.0.1:{host.server_port}"
        result = CliRunner().invoke(main, ["health", "--url", url])
    assert result.exit_code == 1, (result.output, result.exception)
    assert f"{url} answered, but not as a kore-mock's health" in result.output


def test_seed_takes_a_json_file_holding_an_object_with_contacts(server, tmp_path):
    path = tmp_path / "people.json"
    path.write_text(json.dumps({"contacts": [person("a", "b", "9876543210")]}))
    result = run("seed", str(path), "--url", server, *NS)
    assert result.exit_code == 0, result.output
    assert f"Seeded {ACCOUNT} / {STREAM}: 1 created, 0 refused." in result.output
    assert len(contacts(server)) == 1


def test_a_long_foreign_error_page_is_cut_and_says_so():
    page = b"<html>" + b"x" * 300 + b"</html>"
    with answering(page, "text/html", status=502) as url:
        result = run("reset", "--url", url)
    assert result.exit_code == 1
    assert "HTTP 502: not a kore-mock answer: <html>" + "x" * 114 + "..." in result.output
