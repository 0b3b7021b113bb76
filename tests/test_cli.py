"""The `kore-mock` command: token, serve, and the settings YAML."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import click
import jwt
import pytest
from click.testing import CliRunner

from mockserver import settings
from mockserver.cli import main
from mockserver.cli_option import Seconds
from mockserver.settings import DEV_APP, read_yaml

CONFIG = """
apps:
  - clientId: cs-test
    clientSecret: a-secret-of-32-or-more-characters
    accountId: 63c7ebae6a2aef36de8f0001
    scopes: [Configuration]
    streams: ["*"]
  - clientId: cs-second
    clientSecret: another-secret-of-32-or-more-characters
    accountId: 63c7ebae6a2aef36de8f0002
    streams: [st-0000-1111]
importPolicy: reject
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "kore-mock.yaml"
    path.write_text(CONFIG)
    return path


def test_token_prints_only_a_jwt_for_the_development_app():
    result = CliRunner().invoke(main, ["token"], env={"KORE_MOCK_CONFIG": None})
    assert result.exit_code == 0
    token = result.output.strip()
    assert result.output == token + "\n"
    claims = jwt.decode(token, DEV_APP.client_secret, algorithms=["HS256"])
    assert claims["appId"] == DEV_APP.client_id and "exp" in claims


def test_token_for_an_app_of_the_settings_file(config):
    result = CliRunner().invoke(
        main, ["token", "--config", str(config), "--client-id", "cs-second", "--ttl", "0"]
    )
    assert result.exit_code == 0, result.output
    claims = jwt.decode(
        result.output.strip(), "another-secret-of-32-or-more-characters", algorithms=["HS256"]
    )
    assert claims["appId"] == "cs-second" and "exp" not in claims


@pytest.mark.parametrize("ttl", [60, 86400])
def test_a_token_lives_as_long_as_ttl_says(ttl):
    result = CliRunner().invoke(main, ["token", "--ttl", str(ttl)])
    claims = jwt.decode(result.output.strip(), DEV_APP.client_secret, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == ttl


def test_token_for_an_unknown_app_is_a_clear_error(config):
    result = CliRunner().invoke(main, ["token", "--config", str(config), "--client-id", "nobody"])
    assert result.exit_code != 0
    assert "no app with clientId 'nobody'" in result.output


def test_serve_refuses_an_app_whose_account_the_profile_would_refuse(tmp_path):
    path = tmp_path / "objectid.yaml"
    path.write_text(
        "apps: [{clientId: cs-x, clientSecret: a-secret-of-32-or-more-characters-x,"
        " accountId: '123'}]\nprofile: {accountIdFormat: objectId}\n"
    )
    result = CliRunner().invoke(main, ["serve", "--config", str(path), "--db", ":memory:"])
    assert result.exit_code == 1
    assert "accountId '123' is not of the profile's accountIdFormat 'objectId'" in result.output


def test_serve_on_a_port_in_use_is_one_clear_error(tmp_path):
    """(gunicorn retried for seconds, logging each failed bind.)"""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(main, ["serve", "--port", port, "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 1
    assert result.output == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_the_settings_file_bounds_per_minute_as_the_control_plane_does():
    from mockserver.settings import MAX_PER_MINUTE
    from mockserver.spec import CONTROL

    per_minute = CONTROL.document["components"]["schemas"]["PerMinute"]
    assert (per_minute["minimum"], per_minute["maximum"]) == (1, MAX_PER_MINUTE)


def _app(**fields: str) -> str:
    """A settings file of one app, ``fields`` (YAML values) over a good one's."""
    app = {
        "clientId": "cs-test",
        "clientSecret": "a-secret-of-32-or-more-characters",
        "accountId": "63c7ebae6a2aef36de8f0001",
        **fields,
    }
    return "apps: [{" + ", ".join(f"{key}: {value}" for key, value in app.items()) + "}]"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apps: [{clientId: a, clientSecret: short, accountId: 63c7ebae6a2aef36de8f0001}]",
            "at least 32",
        ),
        ("importPolicy: sometimes", "importPolicy must be 'skip' or 'reject'"),
        ("colour: blue", "unknown key(s) colour"),
        (
            "apps: [{clientId: a, clientSecret: a-secret-of-32-or-more-characters,"
            " accountId: 'acc 01!'}]",
            "accountId must be 1-64 letters, digits",
        ),
        ("a: [", "not valid YAML"),
        # PyYAML kept the last: a second rateLimit block switched the first one's limit off
        (
            "rateLimit: {enabled: true, perMinute: 5}\nrateLimit: {enabled: false}",
            "line 2, column 1: the key 'rateLimit' is given twice",
        ),
        ("limits: {maxJsonItems: 5, maxJsonItems: 6}", "the key 'maxJsonItems' is given twice"),
        ("http: {headersTimeout: 0}", "http.headersTimeout must be a positive number of seconds"),
        ("http: {sendTimeout: 1000000000}", "seconds under 1000000000, not 1000000000"),
        ("http: {bodyMinRate: 1.5}", "http.bodyMinRate must be a positive integer"),
        ("http: {maxQueuedRequests: -1}", "http.maxQueuedRequests must be a positive integer"),
        ("http: {headerTimeout: 5}", "unknown key(s) headerTimeout; known: bodyGracePeriod"),
        ("http: 10", "http must be a mapping"),
        # bounded as the flags are (1000 workers once started, and took the machine's memory)
        ("workers: 1000", "workers must be at most 64"),
        ("port: 70000", "port must be at most 65535"),  # was a traceback from bind()
        ("port: -1", "port must be an integer from 0, not -1"),  # 0, as --port 0: a free port
        ("rateLimit: {enabled: true, perMinute: true}", "perMinute must be a positive integer"),
        ("limits: {maxJsonItems: true}", "maxJsonItems must be a positive integer"),
        # as the control plane bounds it (a larger one was served against its own schema)
        ("rateLimit: {perMinute: 1000001}", "perMinute must be at most 1000000"),
        # beyond a store's 64-bit integers: every journal write failed, in the log only
        ("journalSize: 100000000000000000000", "journalSize must be at most 9223372036854775807"),
        ("limits: {maxImportRows: 100000000000000000000}", "maxImportRows must be at most"),
        ("http: {retryAfter: 100000000000000000000}", "retryAfter must be at most"),
        # apps as POST /__mock__/apps and a snapshot take them (a server's own snapshot of a
        # longer one was refused when loaded back, and such a clientId could not be removed)
        (_app(clientId="c" * 201), "apps[0]: clientId must have at most 200 characters, not 201"),
        (_app(name="n" * 201), "apps[0]: name must have at most 200 characters, not 201"),
        # POST /__mock__/apps refuses it too: no /__mock__/apps/{clientId} could reach it
        (_app(clientId="team/qa"), 'apps[0]: clientId: "team/qa" must not hold a /, be . or ..'),
        (_app(clientSecret="s" * 501), "clientSecret must have at most 500 characters"),
        (_app(name="[1, 2]"), "apps[0]: name must be a string"),  # was listed as "[1, 2]"
        (_app(name="null"), "apps[0]: name must be a string"),  # was listed as "None"
        # a copy-pasted app: the second one's account could never be used (its token: 401)
        (
            "apps: [{clientId: cs-a, clientSecret: a-secret-of-32-or-more-characters,"
            " accountId: 63c7ebae6a2aef36de8f0001}, {clientId: cs-a,"
            " clientSecret: a-secret-of-32-or-more-characters-2,"
            " accountId: 63c7ebae6a2aef36de8f0002}]",
            "apps: clientId values must be unique",
        ),
        # "every count here: 1 to 2^63-1": a journal of 0 kept nothing, silently
        ("journalSize: 0", "journalSize must be a positive integer, not 0"),
        ("limits: {maxJsonItems: 0}", "maxJsonItems must be a positive integer, not 0"),
        ("workers: 0", "workers must be a positive integer, not 0"),
    ],
)
def test_bad_settings_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["token", "--config", str(path)])
    assert result.exit_code != 0
    assert message in result.output


UNREADABLE_YAML = {
    "latin-1": (b'port: "\xe9"\n', "is not UTF-8 text (byte 0xe9 at offset 7)"),
    "utf-16": (b"\xff\xfep\x00o\x00r\x00t\x00", "is not UTF-8 text (byte 0xff at offset 0)"),
    "deep": (b"port: " + b"[" * 500 + b"]" * 500, "nests mappings and lists deeper than 32"),
    # PyYAML's own text quotes the lines around the problem: seven lines
    "broken": (b"a: [unclosed\n", "is not valid YAML: line 2, column 1: expected ',' or ']'"),
}


@pytest.mark.parametrize("kind", list(UNREADABLE_YAML))
def test_a_settings_or_profile_file_kore_mock_cannot_read_is_one_line(tmp_path, kind):
    """(A UnicodeDecodeError or RecursionError traceback.)"""
    content, says = UNREADABLE_YAML[kind]
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    for args, file_kind, status in (
        (["token", "--config", str(path)], "settings file", 1),
        (["serve", "--db", ":memory:", "--config", str(path)], "settings file", 1),
        (["serve", "--db", ":memory:", "--profile", str(path)], "profile file", 1),
        (["replay", "--config", str(path), "-"], "settings file", 2),
        (["fidelity", "--profile", str(path)], "profile file", 2),
    ):
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == status, result.output
        assert result.output.startswith(f"Error: {file_kind} {path} {says}"), result.output
        assert result.output.count("\n") == 1, result.output


@pytest.mark.parametrize("top", ["[]", "false", "0", '""'])
def test_a_settings_file_whose_top_level_is_not_a_mapping_is_refused(tmp_path, top):
    """As 42 was; these were taken as no settings (the development app)."""
    path = tmp_path / "c.yaml"
    path.write_text(top + "\n")
    result = CliRunner().invoke(main, ["token", "--config", str(path)])
    assert result.exit_code == 1
    assert result.output == f"Error: {path}: the top level must be a mapping\n"


def test_a_setting_given_as_null_is_its_default_in_every_section(tmp_path):
    """(`db: ~` and `host: null` meant the default; `port: null`, `workers:`, `limits: null`
    and `importPolicy: ~` were refused.)"""
    path = tmp_path / "c.yaml"
    path.write_text(
        "port: ~\nworkers:\njournalSize: null\nimportPolicy: ~\ndb: ~\nhost: null\n"
        "limits: {maxImportRows: null}\nrateLimit: {enabled: true, perMinute: ~}\n"
        "http: {retryAfter: null}\n"
    )
    default = settings.Settings(config_file=str(path))
    assert settings.load(str(path)) == replace(default, rate_limit=settings.RateLimit(enabled=True))
    path.write_text("limits: null\napps: ~\nprofile: ~\n")
    assert settings.load(str(path)) == default
    path.write_text("colour: ~\n")  # an unknown key is still one
    with pytest.raises(settings.SettingsError, match="unknown key"):
        settings.load(str(path))


@pytest.mark.parametrize("empty", ["", "~\n", "# nothing yet\n"])
def test_an_empty_settings_file_is_no_settings(tmp_path, empty):
    path = tmp_path / "c.yaml"
    path.write_text(empty)
    result = CliRunner().invoke(main, ["token", "--config", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["serve"],
            {"KORE_MOCK_WORKERS": "abc"},
            "(from the environment variable KORE_MOCK_WORKERS)",
        ),
        (["serve"], {"KORE_MOCK_PORT": "99999"}, "(from the environment variable KORE_MOCK_PORT)"),
        (["contract"], {"KORE_RATE_PER_MINUTE": "-1"}, "environment variable KORE_RATE_PER_MINUTE"),
    ],
)
def test_a_bad_value_from_the_environment_names_the_variable(args, env, message):
    # click named only the flag, which the user never typed
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2
    assert message in result.output


def test_a_bad_flag_value_names_only_the_flag():
    result = CliRunner().invoke(main, ["serve", "--workers", "x"], env={"KORE_MOCK_WORKERS": None})
    assert "Invalid value for '--workers': 'x'" in result.output
    assert "environment" not in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_starts_a_server_in_an_empty_directory(tmp_path, config):
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockserver.cli",
            "serve",
            "--port",
            str(port),
            "--config",
            str(config),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"},
            "PYTHONPATH": str(Path(__file__).parent.parent),
            "HOME": str(home),  # the image's is its volume, /data
        },
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "/__mock__/health", timeout=1) as response:
                    assert json.load(response)["status"] == "ok"
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.time() < deadline, "the server did not start"
                time.sleep(0.1)
        token = CliRunner().invoke(main, ["token", "--config", str(config)]).output.strip()
        request = urllib.request.Request(
            url + "/agentassist/api/v1/public/st-1/contacts",
            headers={"auth": token, "accountId": "63c7ebae6a2aef36de8f0001"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["totalResults"] == 0
        assert (tmp_path / "kore-mock.db").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/agentassist/api/v1/public/" in output
    assert "accountId  63c7ebae6a2aef36de8f0001" in output
    assert "kore-mock token --config" in output
    # no gunicorn control socket (gunicornc) in $HOME/.gunicorn: one per user, taken over by the
    # last server started, and in the image the data volume shared by several containers
    assert list(home.iterdir()) == [] and "Control server" not in output


def test_the_http_settings_have_defaults_and_take_seconds_as_numbers():
    from mockserver.settings import Http, from_dict

    assert from_dict({}).http == Http(
        headers_timeout=10.0,
        body_grace_period=10.0,
        body_min_rate=1024,
        send_timeout=30.0,
        max_queued_requests=64,
        retry_after=1,
    )
    http = from_dict({"http": {"headersTimeout": 2.5, "maxQueuedRequests": 8}}).http
    assert http.headers_timeout == 2.5 and http.max_queued_requests == 8
    assert http.body_min_rate == 1024


def _float_options(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _float_options(command, (*path, name))
            continue
        for param in command.params:
            if isinstance(param.type, click.types.FloatParamType | click.FloatRange):
                yield (*path, name), param


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "1e10"])
def test_every_float_option_refuses_nan_infinity_and_seconds_no_socket_takes(value):
    """`health --wait nan` retried for ever; `proxy --timeout nan|inf|1e10` started, then
    answered every proxied request 500 with a traceback in its log."""
    found = list(_float_options(main))
    assert {(path, param.opts[0]) for path, param in found} >= {
        (("health",), "--wait"),
        (("proxy",), "--timeout"),
    }
    for path, param in found:
        assert isinstance(param.type, Seconds), (path, param.name)
        flag = param.opts[0]
        result = CliRunner().invoke(main, [*path, flag, value], catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert f"Error: Invalid value for '{flag}': " in result.output


@pytest.mark.parametrize(
    ("host", "shown"),
    [("0.0.0.0", "127.0.0.1"), ("::", "[::1]"), ("127.0.0.1", "127.0.0.1"), ("::1", "[::1]")],
)
def test_the_banner_shows_urls_one_can_call_when_bound_to_every_address(
    tmp_path, monkeypatch, host, shown
):
    # the image (KORE_MOCK_HOST=0.0.0.0) printed http://0.0.0.0:8080/... as base URL and curl
    from mockserver import server
    from mockserver.cli import banner
    from mockserver.settings import Settings

    class Ready:  # gunicorn, up to the point where it says it is ready
        def __init__(self, settings, options):
            self.options = options

        def run(self):
            self.options["when_ready"](object())

    printed: list[str] = []
    settings = Settings(host=host, port=25080, db=str(tmp_path / "k.db"))
    monkeypatch.setattr(server, "check_listen", lambda host, port: None)  # binds nothing
    monkeypatch.setattr(server, "_Gunicorn", Ready)
    server.run(settings, banner=lambda url, serving: printed.append(banner(serving, url)))
    (text,) = printed
    assert f"base URL   http://{shown}:25080/agentassist/" in text
    assert f"'http://{shown}:25080/agentassist/" in text  # the curl to try
    assert f"console    http://{shown}:25080/__mock__/ui" in text
    note = f"listening  on every address ({host}), port 25080"
    if host in ("0.0.0.0", "::"):
        assert note in text and "the port published for 25080 (docker run -p)" in text
        assert f"http://{host}" not in text and "http://[::]" not in text
    else:
        assert "listening" not in text


@pytest.mark.parametrize("command", [["serve"], ["proxy", "--upstream", "http://127.0.0.1:9"]])
def test_an_empty_db_is_a_usage_error_not_a_store_that_forgets(command, tmp_path):
    """``--db "$DB"`` with DB unset: SQLite took the empty name for a temporary database per
    connection (nothing kept across a restart; with two workers 500s and duplicate numbers)."""
    result = CliRunner().invoke(main, [*command, "--db", ""])
    assert result.exit_code == 2
    assert "Invalid value for '--db': is empty; give a SQLite file" in result.output
    # ':memory: ' from an env file made a SQLite file of that name (twelve, with its companions)
    blank = CliRunner().invoke(main, [*command, "--db", ":memory: "])
    assert blank.exit_code == 2 and "leading or trailing blanks" in blank.output, blank.output


def test_a_kubernetes_service_link_in_kore_mock_port_is_left_out(monkeypatch):
    """A Service named kore-mock sets KORE_MOCK_PORT=tcp://IP:PORT in every pod: serve refused
    it as a bad port and the control verbs built http://127.0.0.1:tcp://..."""
    from mockserver import server
    from mockserver.control.client import DEFAULT_URL, default_url

    served: list[int | None] = []
    monkeypatch.setattr(server, "run", lambda settings, banner: served.append(settings.port))
    link = "tcp://10.96.0.12:8080"
    result = CliRunner().invoke(
        main, ["serve", "--db", ":memory:"], env={"KORE_MOCK_PORT": link, "KORE_MOCK_CONFIG": None}
    )
    assert result.exit_code == 0, result.output
    assert served == [8080]
    assert f"KORE_MOCK_PORT={link} is a service link" in result.output
    monkeypatch.setenv("KORE_MOCK_PORT", link)
    assert default_url() == DEFAULT_URL
    result = CliRunner().invoke(main, ["serve"], env={"KORE_MOCK_PORT": "abc"})
    assert "'abc' is not a port number (0 to 65535)" in result.output


def test_a_service_link_typed_as_port_is_a_usage_error_not_left_out(monkeypatch):
    """Only KORE_MOCK_PORT (set by Kubernetes) is left out when it is a service link; a
    --port typed so is the user's mistake: exit 2, nothing served on another port."""
    from mockserver import server

    served: list[int | None] = []
    monkeypatch.setattr(server, "run", lambda settings, banner: served.append(settings.port))
    result = CliRunner().invoke(
        main,
        ["serve", "--db", ":memory:", "--port", "tcp://10.96.0.12:8080"],
        env={"KORE_MOCK_PORT": None, "KORE_MOCK_CONFIG": None},
    )
    assert result.exit_code == 2, result.output
    assert "is not a port number (0 to 65535)" in result.output
    assert served == []


def test_the_store_is_shown_as_the_file_it_is_and_a_name_in_any_bytes_is_printable(tmp_path):
    """A relative path is the working directory's (the banner and health show where), ``~`` is
    the home directory (a directory named ~ was made), and a name not in UTF-8 made health a
    500."""
    from mockserver.store.base import display_url, sqlite_path

    assert display_url("kore-mock.db") == os.path.join(os.getcwd(), "kore-mock.db")
    assert display_url("~/k.db") == os.path.join(os.path.expanduser("~"), "k.db")
    assert sqlite_path("sqlite:///~/k.db") == os.path.join(os.path.expanduser("~"), "k.db")
    assert display_url(":memory:") == ":memory:"
    raw = os.fsdecode(b"/tmp/caf\xe9.db")
    assert display_url(raw) == "/tmp/caf\\xe9.db"
    json.dumps(display_url(raw)).encode("utf-8")  # what the health answer does


def test_the_banner_quotes_a_settings_path_for_the_shell(tmp_path):
    from mockserver.cli import banner
    from mockserver.settings import Settings

    settings = Settings(db=":memory:", config_file=str(tmp_path / "my settings.yaml"))
    text = banner(settings, "http://127.0.0.1:8080")
    assert f"kore-mock token --config '{tmp_path}/my settings.yaml'" in text


def test_a_settings_file_may_merge_an_anchors_keys_and_override_them(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text(
        "x-base: &base {perMinute: 5, enabled: true}\nrateLimit:\n  <<: *base\n  perMinute: 7\n"
    )
    assert read_yaml(str(path), "settings file")["rateLimit"] == {"perMinute": 7, "enabled": True}


def test_an_in_memory_store_with_several_workers_is_refused_wherever_either_was_set(tmp_path):
    """(The message named --db when both came from the settings file.)"""
    config = tmp_path / "k.yaml"
    config.write_text("db: ':memory:'\nworkers: 2\n")
    for args in (["--config", str(config)], ["--db", ":memory:", "--workers", "3"]):
        result = CliRunner().invoke(main, ["serve", *args])
        assert result.exit_code == 1, result.output
        assert "the store :memory: (db) cannot be shared by" in result.output, result.output
        assert "--db" not in result.output
