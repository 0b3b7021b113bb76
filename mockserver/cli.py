"""``kore-mock``: serve the mock, mint tokens, and drive a running server's control plane."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from mockserver import __version__
from mockserver import admin_token as admin_tokens
from mockserver.auth import mint_token
from mockserver.cli_option import Port, Seconds, admin_token_value, option, store_value
from mockserver.contacts.rules import POLICIES, SKIP
from mockserver.control.client import (
    DEFAULT_URL,
    PORT_ENV,
    ControlClient,
    ControlError,
    default_url,
)
from mockserver.errors import clip
from mockserver.fidelity.command import fidelity
from mockserver.host_options import (
    HOST_ENV,
    UsageFailure,
    host_options,
    needs_test_extras,
    note_unused_host_options,
    with_flags,
    writable_directory,
)
from mockserver.json_body import MAX_DEPTH as MAX_JSON_DEPTH
from mockserver.json_body import nests_too_deep
from mockserver.profile import DEFAULT
from mockserver.progress import Progress, human_bytes
from mockserver.settings import (
    DEV_ACCOUNT_ID,
    DEV_STREAM_ID,
    MAX_PORT,
    MAX_WORKERS,
    Settings,
    SettingsError,
    check_app_accounts,
    check_policy,
    load,
    load_profile,
)
from mockserver.shadow.commands import proxy, replay
from mockserver.store.base import StoreUnavailable, display_url
from mockserver.urls import url_problem

CONFIG_OPTION = option(
    "--config",
    "config",
    envvar="KORE_MOCK_CONFIG",
    type=click.Path(dir_okay=False),
    help="Settings YAML file (apps, importPolicy, limits...). Env: KORE_MOCK_CONFIG.",
)


def _settings(config: str | None, **overrides: Any) -> Settings:
    try:
        return load(config).with_overrides(**overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.version_option(__version__, prog_name="kore-mock")
def main() -> None:
    """A stateful stand-in for Kore.ai's AgentAssist contacts API."""


@main.command()
@option("--host", envvar="KORE_MOCK_HOST", help="Address to bind (default 127.0.0.1).")
@option(
    "--port",
    envvar="KORE_MOCK_PORT",
    type=Port(MAX_PORT),
    help="Port to listen on (default 8080).",
)
@option(
    "--db",
    envvar="KORE_MOCK_DB",
    callback=store_value,
    help="SQLite file (default kore-mock.db), :memory:, or postgresql://...",
)
@option(
    "--workers",
    envvar="KORE_MOCK_WORKERS",
    type=click.IntRange(1, MAX_WORKERS),
    help="Worker processes (default 1).",
)
@option(
    "--import-policy",
    envvar="KORE_MOCK_IMPORT_POLICY",
    type=click.Choice(POLICIES),
    help=f"What to do with rejected rows (default {SKIP}).",
)
@option(
    "--admin-token",
    envvar="KORE_MOCK_ADMIN_TOKEN",
    callback=admin_token_value,
    help="Open the control plane to every host, for callers sending this token in the "
    "header X-Mock-Admin-Token (default: loopback callers only).",
)
@option(
    "--admin-token-file",
    envvar="KORE_MOCK_ADMIN_TOKEN_FILE",
    type=click.Path(dir_okay=False),
    help="Keep the admin token in this file: without --admin-token, read it from there, or "
    "generate one into it and print it (the container image's default).",
)
@option(
    "--profile",
    "profile_file",
    envvar="KORE_MOCK_PROFILE",
    type=click.Path(dir_okay=False),
    help="Tenant profile YAML: readings such as 'validationStatus: 400' or 'importPolicy: "
    "reject' (over the settings file's profile:). Env: KORE_MOCK_PROFILE.",
)
@CONFIG_OPTION
def serve(
    host: str | None,
    port: int | None,
    db: str | None,
    workers: int | None,
    import_policy: str | None,
    config: str | None,
    admin_token: str | None = None,
    admin_token_file: str | None = None,
    profile_file: str | None = None,
) -> None:
    """Run the mock server (a production WSGI server, gunicorn)."""
    from mockserver.server import run

    settings = _settings(
        config,
        host=host,
        port=port,
        db=db,
        workers=workers,
        admin_token=admin_token or None,
        admin_token_file=admin_token_file or None,
    )
    try:
        if profile_file:
            settings = load_profile(profile_file, settings)
        if import_policy:
            source = click.get_current_context().get_parameter_source("import_policy")
            origin = "environment" if source == click.core.ParameterSource.ENVIRONMENT else "flag"
            settings = settings.with_profile(
                settings.profile.with_readings({"importPolicy": check_policy(import_policy)}),
                origin,
                ["importPolicy"],
            )
        check_app_accounts(settings.apps, settings.profile)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.workers > 1 and settings.db == ":memory:":
        raise click.ClickException(  # db and workers from a flag, a variable or the file
            f"the store :memory: (db) cannot be shared by {settings.workers} workers: give db a "
            "SQLite file or a postgresql:// URL, or one worker"
        )
    try:
        admin = admin_tokens.resolve(settings)
        settings = settings.with_overrides(admin_token=admin.token)
        run(settings, banner=lambda url, serving: click.echo(banner(serving, url, admin)))
    except (SettingsError, StoreUnavailable) as exc:
        raise click.ClickException(str(exc)) from None


def banner(settings: Settings, url: str, admin: admin_tokens.AdminToken | None = None) -> str:
    if admin is None:
        admin = admin_tokens.AdminToken(
            settings.admin_token, "given" if settings.admin_token else "none"
        )
    app = settings.app()
    stream = app.example_stream()
    base = f"{url}/agentassist/api/v1/public/{stream}"
    # commands to paste into a shell: a path with a space or a quote must stay one word
    config = f" --config {shlex.quote(settings.config_file)}" if settings.config_file else ""
    lines = [
        f"kore-mock {__version__} — Kore.ai contacts API stand-in",
        f"  base URL   {base}/contacts",
        f"  accountId  {app.account_id}    (send it in the header accountId)",
        f"  streamId   {stream}",
        f"  app        {app.client_id}"
        + ("  (development app, built in)" if settings.using_dev_app else ""),
        f"  token      kore-mock token{config}    (send it in the header auth)",
        f"  store      {display_url(settings.db)}    import policy: {settings.import_policy}",
        f"  profile    {_changed_readings(settings)}    (GET {url}/__mock__/profile)",
        f"  control    {url}/__mock__/health",
        f"  console    {url}/__mock__/ui    (QA console; control API under {url}/__mock__/)",
        *_wildcard_note(settings, url),
        admin.banner_line(),
        "",
        "  try:",
        f"    curl -H \"auth: $(kore-mock token{config})\" -H 'accountId: {app.account_id}' \\",
        f"      '{base}/contacts?limit=10'",
    ]
    return "\n".join(lines)


def _wildcard_note(settings: Settings, url: str) -> list[str]:
    """Bound to every address (0.0.0.0, as in the container image): the URLs above are this
    machine's own; from elsewhere, its address, and from a container's host the published
    port."""
    from mockserver.server import WILDCARD_HOSTS

    if settings.host not in WILDCARD_HOSTS:
        return []
    port = urllib.parse.urlsplit(url).port
    return [
        f"  listening  on every address ({settings.host}), port {port}: from another machine use "
        "this one's address;",
        f"             from a container's host, the port published for {port} (docker run -p)",
    ]


def _changed_readings(settings: Settings) -> str:
    changed = {
        name: value
        for name, value in settings.profile.to_mapping().items()
        if value != DEFAULT.get(name)
    }
    return ", ".join(f"{k}: {v}" for k, v in changed.items()) or "the defaults"


@main.command()
@CONFIG_OPTION
@option(
    "--client-id",
    envvar="KORE_MOCK_CLIENT_ID",
    help="Which app to sign for (default: the first app).",
)
@option(
    "--ttl",
    type=click.IntRange(0),
    default=3600,
    show_default=True,
    help="Seconds until the token expires; 0 for a token without exp.",
)
def token(config: str | None, client_id: str | None, ttl: int) -> None:
    """Print a valid JWT for the header ``auth`` (and nothing else)."""
    settings = _settings(config)
    try:
        app = settings.app(client_id)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    sys.stdout.write(mint_token(app, ttl=ttl or None) + "\n")


# contract option -> the environment variable the suite reads (contract_tests.settings)
CONTRACT_ENV = {
    **HOST_ENV,
    "examples": "KORE_EXAMPLES",
    "stateful_examples": "KORE_STATEFUL_EXAMPLES",
    "coverage": "KORE_COVERAGE",
    "seed": "KORE_SEED",
    "import_policy": "KORE_MOCK_IMPORT_POLICY",
    "profile": "KORE_PROFILE",
    "profile_report": "KORE_PROFILE_REPORT",
}


@main.command(context_settings={"ignore_unknown_options": True})
@host_options(
    url_help="Host to test, e.g. https://platform.kore.ai. Default: kore-mock in-process."
)
@option(
    "--examples",
    envvar="KORE_EXAMPLES",
    type=click.IntRange(1),
    help="Generated examples per operation (default 100 in-process, 10 over HTTP).",
)
@option(
    "--stateful-examples",
    envvar="KORE_STATEFUL_EXAMPLES",
    type=click.IntRange(1),
    help="Stateful scenarios (default 30 in-process, 3 over HTTP).",
)
@option(
    "--coverage/--no-coverage",
    envvar="KORE_COVERAGE",
    default=None,
    help="schemathesis' coverage phase: boundary values, missing parts, wrong methods "
    "(~100 more requests per operation; default on in-process, off over HTTP).",
)
@option("--seed", envvar="KORE_SEED", type=click.IntRange(0), help="Repeat a run's data.")
@option(
    "--import-policy",
    envvar="KORE_MOCK_IMPORT_POLICY",
    type=click.Choice(POLICIES),
    help=f"In-process mock only: what to do with rejected rows (default {SKIP}).",
)
@option(
    "--profile",
    envvar="KORE_PROFILE",
    type=click.Path(dir_okay=False),
    help="Tenant profile YAML the host is stated to have (in-process: the mock runs with it); "
    "a reading the host does not show then fails. Default: in-process the mock's defaults, "
    "a host unknown (every reading accepted, and recorded).",
)
@option(
    "--profile-report",
    envvar="KORE_PROFILE_REPORT",
    type=click.Path(dir_okay=False),
    help="Write which reading of the profile the host showed, per reading, as JSON.",
)
@option("--junitxml", type=click.Path(dir_okay=False), help="Write a JUnit XML report.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def contract(junitxml: str | None, pytest_args: tuple[str, ...], **options: Any) -> None:
    """Run the contract suite against the mock in-process, or a host with --base-url.

    Extra arguments go to pytest, e.g. `kore-mock contract -- -k duplicate -x`.
    """
    try:
        import pytest

        import contract_tests
        from contract_tests import run
    except ImportError as exc:  # exit status 2: 1 is pytest's for failed tests
        raise needs_test_extras("contract", exc.name or "a module") from None
    note_unused_host_options(options)
    given = {
        CONTRACT_ENV[name]: str(int(value) if isinstance(value, bool) else value)
        for name, value in options.items()
        if value is not None
    }
    variables = {**os.environ, **given}  # options win over the environment's variables
    _check_contract_run(variables)
    _check_one_process(pytest_args)
    for flag, report in (("--junitxml", junitxml), ("--profile-report", _given_report(variables))):
        if report:  # before the run (over HTTP, minutes), not after it
            _check_report_path(flag, report)
    run.configure(variables)
    suite = Path(contract_tests.__file__).parent
    args = [
        str(suite),
        # the suite's own pytest settings and conftest only, wherever its virtualenv is
        # (inside a project, pytest found that project's settings and root conftest.py)
        "-c",
        str(suite / "pytest.ini"),
        "--rootdir",
        str(suite),
        "--confcutdir",
        str(suite),
        "-p",
        "no:xdist",
        "-p",
        "no:cacheprovider",
        # the suite's settings imported hypothesis and schemathesis before pytest could
        # rewrite their plugins' asserts: three warnings a plain `pytest contract_tests` lacks
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        *pytest_args,
    ]
    if junitxml:
        args.append(f"--junitxml={junitxml}")
    from mockserver.contract_progress import ContractProgress

    sys.exit(pytest.main(args, plugins=[ContractProgress()]))


def _check_one_process(pytest_args: tuple[str, ...]) -> None:
    """pytest-xdist's ``-n`` would run the suite in worker processes that never see this run's
    settings: they tested kore-mock in-process with the defaults and passed, whatever the host
    (and each would keep its own request budget, baseline and cleanup)."""
    for arg in pytest_args:
        if arg == "--":
            break
        if arg in ("-n", "--numprocesses", "--dist") or arg.startswith(
            ("-n", "--numprocesses=", "--dist=")
        ):
            raise UsageFailure(
                f"the contract suite runs in one process (its request budget, the namespace's "
                f"baseline and its cleanup are one run's): drop {arg.split('=')[0]}"
            )


def _given_report(variables: dict[str, str]) -> str | None:
    return variables.get("KORE_PROFILE_REPORT", "").strip() or None


def _check_report_path(flag: str, report: str) -> None:
    """A report file can be written where ``report`` says (its directory made, as the suite
    would: ``writable_directory``); ``UsageFailure`` naming ``flag`` if not."""
    path = Path(report)
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a directory")
        writable_directory(path.parent)
    except OSError as exc:
        why = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror or exc
        raise UsageFailure(f"cannot write {flag} {report}: {why}") from None


def _check_contract_run(variables: dict[str, str]) -> None:
    """The run's settings, checked before pytest starts: a usage error names the flags and
    exits 2, as fidelity and replay do (the suite's own check, inside pytest, named only the
    variables and exited 4)."""
    from contract_tests.settings import SuiteConfigError, SuiteSettings

    try:
        suite = SuiteSettings.from_env(variables)
    except SuiteConfigError as exc:
        raise UsageFailure(with_flags(str(exc), variables=CONTRACT_ENV)) from None
    source = click.get_current_context().get_parameter_source("import_policy")
    if not suite.in_process and source is click.core.ParameterSource.COMMANDLINE:
        raise UsageFailure(
            "--import-policy sets the in-process mock's policy, and --base-url (KORE_BASE_URL) "
            "names a host, which has its own: state it in a --profile file (importPolicy)"
        )


# -- control-plane verbs: they drive a running server over HTTP ------------------------------


def _server_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A URL a kore-mock can be reached at (http or https, no user:password@, no line end)."""
    problem = url_problem(value)
    if problem:
        source = ctx.get_parameter_source(param.name or "")
        if source is click.core.ParameterSource.DEFAULT:  # made of KORE_MOCK_PORT
            raise click.BadParameter(
                f"{value!r}, made of {PORT_ENV}={os.environ.get(PORT_ENV, '')!r}, is not a URL "
                f"kore-mock can be reached at: {problem}; give --url or KORE_MOCK_URL",
                ctx,
                param,
            )
        raise click.BadParameter(
            f"{value!r} is not a URL kore-mock can be reached at: {problem}", ctx, param
        )
    return value


URL_OPTION = option(
    "--url",
    envvar="KORE_MOCK_URL",
    default=default_url,
    callback=_server_url,
    help=f"The running kore-mock. Env: KORE_MOCK_URL. Default: http://127.0.0.1:${PORT_ENV} "
    f"when {PORT_ENV} is set (the port serve reads; in a container, the port inside), else "
    f"{DEFAULT_URL}.",
)


def _token_or_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """No token given: the one a server on this machine keeps in KORE_MOCK_ADMIN_TOKEN_FILE."""
    if value:
        return admin_token_value(ctx, param, value)
    path = os.environ.get("KORE_MOCK_ADMIN_TOKEN_FILE")
    try:
        return admin_tokens.read_file(path) if path else None
    except SettingsError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


ADMIN_TOKEN_OPTION = option(
    "--admin-token",
    envvar="KORE_MOCK_ADMIN_TOKEN",
    callback=_token_or_file,
    help="The server's admin token, if it was started with one. Env: KORE_MOCK_ADMIN_TOKEN; "
    "else the file KORE_MOCK_ADMIN_TOKEN_FILE names.",
)


def _not_blank(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An id given empty or blank is refused (it was taken as not given: the development
    account's namespace was seeded or reset instead)."""
    if value is not None and not value.strip():
        raise click.BadParameter("is empty: give an id, or leave the option out")
    return value


def _namespace_options(reset: bool) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """--account and --stream; ``reset``: without both, reset resets everything."""
    note = "; reset without --account and --stream resets everything" if reset else ""
    return (
        option(
            "--account",
            "account_id",
            envvar="KORE_MOCK_ACCOUNT_ID",
            callback=_not_blank,
            help=f"accountId of the namespace (default {DEV_ACCOUNT_ID}{note}). "
            "Env: KORE_MOCK_ACCOUNT_ID.",
        ),
        option(
            "--stream",
            "stream_id",
            envvar="KORE_MOCK_STREAM_ID",
            callback=_not_blank,
            help=f"streamId of the namespace (default {DEV_STREAM_ID}{note}). "
            "Env: KORE_MOCK_STREAM_ID.",
        ),
    )


ACCOUNT_OPTION, STREAM_OPTION = _namespace_options(reset=False)
RESET_ACCOUNT_OPTION, RESET_STREAM_OPTION = _namespace_options(reset=True)


def _control(url: str, admin_token: str | None, method: str, path: str, **kw: Any) -> Any:
    try:
        return ControlClient(url, admin_token).call(method, path, **kw)
    except ControlError as exc:
        raise click.ClickException(str(exc)) from None


HEALTH_ANSWER_SECONDS = 5.0  # a health check's answer, when --wait leaves less


@main.command()
@URL_OPTION
@ADMIN_TOKEN_OPTION
@option(
    "--wait",
    type=Seconds(0),
    default=0,
    help="Keep trying for up to this many seconds while the server does not answer yet.",
)
@option(
    "--live",
    is_flag=True,
    help="A liveness check (the container image's HEALTHCHECK): a kore-mock that refuses the "
    "admin token given or found (403: none, or not the one it started with) is up too.",
)
def health(url: str, admin_token: str | None, wait: float, live: bool = False) -> None:
    """Check that a running server answers; exit status 0 when it does (a HEALTHCHECK)."""
    deadline = time.monotonic() + wait
    while True:
        # an answer may take what is left of --wait, and at least HEALTH_ANSWER_SECONDS
        timeout = max(HEALTH_ANSWER_SECONDS, deadline - time.monotonic())
        try:
            client = ControlClient(url, admin_token, timeout=timeout)
            result = client.call("GET", "/__mock__/health")
            break
        except ControlError as exc:
            refusal = _admin_refusal(exc)
            if live and refusal:
                click.echo(f"live: kore-mock at {url} answers (HTTP 403: {refusal})")
                return
            if exc.status is not None or time.monotonic() >= deadline:
                raise click.ClickException(str(exc)) from None
            time.sleep(0.2)
    fields = ("status", "version", "store")
    if not isinstance(result, dict) or not all(isinstance(result.get(f), str) for f in fields):
        shown = clip(repr(result), 120)
        raise click.ClickException(f"{url} answered, but not as a kore-mock's health: {shown}")
    click.echo(f"{result['status']}: kore-mock {result['version']} at {url} ({result['store']})")


def _admin_refusal(exc: ControlError) -> str | None:
    """The message of a kore-mock control plane's 403 for the admin token (in its envelope: it
    wants the token, another one, or a loopback caller); None for any other answer."""
    if exc.status != 403 or not isinstance(exc.body, dict):
        return None
    errors = exc.body.get("errors")
    if not isinstance(errors, list) or len(errors) != 1 or not isinstance(errors[0], dict):
        return None
    msg, code = errors[0].get("msg"), errors[0].get("code")
    if code != 403 or not isinstance(msg, str):
        return None
    return msg if msg.startswith(("The control plane ", "The X-Mock-Admin-Token ")) else None


@main.command()
@URL_OPTION
@ADMIN_TOKEN_OPTION
@RESET_ACCOUNT_OPTION
@RESET_STREAM_OPTION
def reset(url: str, admin_token: str | None, account_id: str | None, stream_id: str | None) -> None:
    """Reset a running server: everything, or one namespace with --account/--stream.

    Everything = contacts, journal, faults, rate-limit counters and run-time settings (import
    policy, rate limit, apps) back to how the server started.
    """
    body = None
    if account_id or stream_id:
        body = {"accountId": account_id or DEV_ACCOUNT_ID, "streamId": stream_id or DEV_STREAM_ID}
    result = _control(url, admin_token, "POST", "/__mock__/reset", json_body=body or {})
    if result["scope"] == "namespace":
        ns = result["namespace"]
        click.echo(
            f"Reset {ns['accountId']} / {ns['streamId']}: "
            f"{result['removedContacts']} contact(s) removed."
        )
    else:
        click.echo(
            f"Reset everything: {result['removedContacts']} contact(s) removed; journal, faults, "
            "rate-limit counters and run-time settings cleared."
        )


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@URL_OPTION
@ADMIN_TOKEN_OPTION
@ACCOUNT_OPTION
@STREAM_OPTION
@option(
    "--legacy-duplicates",
    is_flag=True,
    help="Bypass the duplicate-number rule: store the data as if saved before Kore's rule.",
)
@option("--json", "as_json", is_flag=True, help="Print the server's answer as JSON.")
def seed(
    file: str,
    url: str,
    admin_token: str | None,
    account_id: str | None,
    stream_id: str | None,
    legacy_duplicates: bool,
    as_json: bool,
) -> None:
    """Seed contacts from FILE (CSV in the import's format, or JSON) into a running server.

    FILE ending in .json holds a list of contacts in the create shape (or {"contacts": [...]});
    anything else is read as CSV. '-' reads standard input (CSV). Refused rows are listed with
    their reasons; they do not make the command fail.
    """
    account = (account_id or DEV_ACCOUNT_ID).lower()
    stream = stream_id or DEV_STREAM_ID
    quoted = "/".join(urllib.parse.quote(part, safe="") for part in (account, stream))
    path = f"/__mock__/namespaces/{quoted}/seed"  # an id with "?" or "/" is the id, refused
    with click.open_file(file, "rb") as handle:
        data = handle.read()
    if file.lower().endswith(".json"):
        try:
            parsed = json.loads(data)
            too_deep = nests_too_deep(data, parsed)  # the server refuses it, and json recurses
        except ValueError as exc:
            raise click.ClickException(f"{file} is not valid JSON: {exc}") from None
        except RecursionError:
            too_deep = True
        if too_deep:
            raise click.ClickException(
                f"{file} nests arrays and objects more than {MAX_JSON_DEPTH} levels deep "
                "(a contact has 3)"
            )
        contacts = parsed.get("contacts") if isinstance(parsed, dict) else parsed
        if not isinstance(contacts, list):
            raise click.ClickException(
                f'{file} holds neither a list of contacts nor {{"contacts": [...]}}'
            )
        body = {"contacts": contacts, "legacyDuplicates": legacy_duplicates}
        data, content_type = json.dumps(body).encode(), "application/json"
    else:
        path += "?legacyDuplicates=true" if legacy_duplicates else ""
        content_type = "text/csv"
    with Progress("seed", len(data), server_work="the server checks and stores them") as progress:
        result = _control(
            url, admin_token, "POST", path, data=data, content_type=content_type, progress=progress
        )
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    kind = " as legacy duplicates" if result["legacyDuplicates"] else ""
    click.echo(
        f"Seeded {account} / {stream}{kind}: {result['createdCount']} created, "
        f"{result['rejectedCount']} refused."
    )
    for row in result["rejected"]:
        click.echo(f"  refused row {row.get('row', '?')}: {row['reason']}: {row['msg']}")
    if result["truncated"] and result["rejectedCount"] > len(result["rejected"]):
        click.echo(f"  (the server listed the first {len(result['rejected']):,} refused rows only)")


@main.group()
def snapshot() -> None:
    """Save the whole state of a running server to a file, or load one into it.

    A snapshot holds every contact (ACTIVE and INACTIVE, legacy duplicates, ids and timestamps),
    the apps with their secrets, the import policy, rate limit and faults, and with
    --with-journal the request journal. It loads into any kore-mock, SQLite or PostgreSQL.
    """


@snapshot.command("save")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@URL_OPTION
@ADMIN_TOKEN_OPTION
@option("--with-journal", is_flag=True, help="Include the request journal.")
def snapshot_save(file: str, url: str, admin_token: str | None, with_journal: bool) -> None:
    """Save the server's state to FILE ('-': standard output)."""
    query = "?journal=true" if with_journal else ""
    with Progress("snapshot save", server_work="the server reads its store") as progress:
        answer = _control(
            url, admin_token, "GET", "/__mock__/snapshot" + query, progress=progress, raw=True
        )
    if file == "-":
        sys.stdout.buffer.write(answer.body)
        sys.stdout.flush()
    else:
        _write_whole(Path(file), answer.body)
    header = answer.headers.get("X-Mock-Snapshot", "")
    summary = _snapshot_summary(header)
    click.echo(f"Saved {summary} to {file} ({human_bytes(len(answer.body))}).", err=file == "-")
    counts = _snapshot_counts(header)
    if "unloadable" in counts:
        click.echo(
            f"warning: {counts['unloadable']} contact(s) hold a NUL character (first: "
            f"{counts.get('first', '?')}), which an older kore-mock stored and a snapshot load "
            "refuses: update or delete them, then save again",
            err=True,
        )


@snapshot.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@URL_OPTION
@ADMIN_TOKEN_OPTION
@option(
    "--with-journal",
    is_flag=True,
    help="Load the journal the file holds too (without: the journal starts empty).",
)
def snapshot_load(file: str, url: str, admin_token: str | None, with_journal: bool) -> None:
    """Replace the server's whole state by the snapshot in FILE ('-': standard input).

    All or nothing: a bad or truncated file is refused with the reason, and nothing changes.
    """
    with click.open_file(file, "rb") as handle:
        data = handle.read()
    query = "?journal=" + ("true" if with_journal else "false")
    with Progress(
        "snapshot load", len(data), server_work="the server checks and replaces everything"
    ) as progress:
        result = _control(
            url,
            admin_token,
            "PUT",
            "/__mock__/snapshot" + query,
            data=data,
            content_type="application/json",
            progress=progress,
        )
    journal = f", {result['journal']} journal entries" if with_journal else ""
    click.echo(
        f"Loaded {file}: {result['contacts']} contacts{journal}; run-time settings: "
        + (", ".join(result["state"]) or "none")
        + "."
    )


def _snapshot_summary(header: str) -> str:
    """``contacts=5; active=4; apps=1; journal=3`` -> words."""
    counts = _snapshot_counts(header)
    text = f"{counts.get('contacts', '?')} contacts ({counts.get('active', '?')} ACTIVE), "
    text += f"{counts.get('apps', '?')} app(s)"
    if "journal" in counts:
        text += f", {counts['journal']} journal entries"
    return text


def _snapshot_counts(header: str) -> dict[str, str]:
    return dict(part.strip().partition("=")[::2] for part in header.split(";") if "=" in part)


def _write_whole(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a partial file would look like a bad snapshot): a
    temporary file of a short name beside it, renamed over it (a name of its own plus
    ``.partial`` could pass the file system's longest name)."""
    partial: str | None = None
    try:
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".kore-mock-", suffix=".partial")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(partial, path)
    except OSError as exc:
        if partial is not None:
            with contextlib.suppress(OSError):
                os.unlink(partial)
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None


@main.command()
@URL_OPTION
@ADMIN_TOKEN_OPTION
@option("--operation", help="Only this operationId (e.g. importContacts).")
@option("--status", type=click.IntRange(0, 599), help="Only this HTTP status.")
@option("--since", help="Only entries at or after this ISO-8601 instant.")
@option("--until", help="Only entries at or before this ISO-8601 instant.")
@option("--scenario", help="Only requests that named this scenario (X-Mock-Scenario).")
@option(
    "--account",
    "account_id",
    callback=_not_blank,
    help="With --stream: only requests to that namespace.",
)
@option(
    "--stream",
    "stream_id",
    callback=_not_blank,
    help="With --account: only requests to that namespace.",
)
@option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Newest N.")
@option("--id", "entry_id", type=click.IntRange(1), help="Show one entry in full.")
@option("--count", type=click.IntRange(0), help="Verify: exactly N entries match.")
@option("--at-least", type=click.IntRange(0), help="Verify: at least N entries match.")
@option("--at-most", type=click.IntRange(0), help="Verify: at most N entries match.")
@option("--clear", is_flag=True, help="Forget every entry.")
@option(
    "--export",
    "export_to",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the matching entries, oldest first, as a recording `kore-mock replay` replays "
    "(JSON lines, request bodies kept, credentials redacted); '-' = standard output.",
)
@option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def journal(
    url: str,
    admin_token: str | None,
    operation: str | None,
    status: int | None,
    since: str | None,
    until: str | None,
    scenario: str | None,
    account_id: str | None,
    stream_id: str | None,
    limit: int,
    entry_id: int | None,
    count: int | None,
    at_least: int | None,
    at_most: int | None,
    clear: bool,
    as_json: bool,
    export_to: str | None = None,
) -> None:
    """Read, verify, export or clear the request journal of a running server.

    With --count/--at-least/--at-most it verifies (like WireMock's verify): it prints the count
    and exits with status 1 when the matching entries do not meet the expectation.
    """
    _one_journal_action(
        clear=clear,
        entry_id=entry_id,
        verifies=(count, at_least, at_most) != (None, None, None),
        export_to=export_to,
        filters={
            "--operation": operation,
            "--status": status,
            "--since": since,
            "--until": until,
            "--scenario": scenario,
            "--account": account_id,
            "--stream": stream_id,
        },
    )
    if clear:
        _control(url, admin_token, "DELETE", "/__mock__/journal")
        click.echo("Journal cleared.")
        return
    if entry_id is not None:
        entry = _control(url, admin_token, "GET", f"/__mock__/journal/{entry_id}")
        click.echo(json.dumps(entry, indent=2))
        return
    filters = {
        "operation": operation,
        "status": status,
        "since": since,
        "until": until,
        "scenario": scenario,
        "accountId": account_id,
        "streamId": stream_id,
    }
    filters = {k: v for k, v in filters.items() if v is not None}
    if (account_id is None) != (stream_id is None):
        raise click.UsageError("--account and --stream filter on a namespace together")
    expectation = {"count": count, "atLeast": at_least, "atMost": at_most}
    expectation = {k: v for k, v in expectation.items() if v is not None}
    if expectation:
        _verify(url, admin_token, {**filters, **expectation}, as_json)
        return
    if export_to is not None:
        _export(url, admin_token, filters, export_to)
        return
    query = urllib.parse.urlencode({**filters, "limit": limit})
    entries = _control(url, admin_token, "GET", f"/__mock__/journal?{query}")["entries"]
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    click.echo(journal_table(entries))


def _one_journal_action(
    *,
    clear: bool,
    entry_id: int | None,
    verifies: bool,
    export_to: str | None,
    filters: dict[str, Any],
) -> None:
    """``UsageError`` for options that ask ``journal`` for two things at once, or for one that
    the action asked for does not use (it was silently ignored: ``--clear --count 1`` cleared
    and said nothing of the verification)."""
    actions = {
        "--clear": clear,
        "--id": entry_id is not None,
        "--count/--at-least/--at-most": verifies,
        "--export": export_to is not None,
    }
    chosen = [flag for flag, given in actions.items() if given]
    if len(chosen) > 1:
        raise click.UsageError(f"{chosen[0]} cannot go with {', '.join(chosen[1:])}: give one")
    given_filters = [flag for flag, value in filters.items() if value is not None]
    if chosen and chosen[0] in ("--clear", "--id") and given_filters:
        what = "forgets every entry" if clear else "shows one entry"
        raise click.UsageError(f"{chosen[0]} {what}: it takes no {', '.join(given_filters)}")
    limit_given = click.get_current_context().get_parameter_source("limit")
    if chosen and limit_given not in (None, click.core.ParameterSource.DEFAULT):
        raise click.UsageError(f"--limit is for the listing; {chosen[0]} takes none")


def _export(url: str, admin_token: str | None, filters: dict[str, Any], target: str) -> None:
    query = urllib.parse.urlencode(filters)
    text = _control(
        url, admin_token, "GET", "/__mock__/journal/export" + (f"?{query}" * bool(query))
    )
    try:
        with click.open_file(target, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {target}: {exc.strerror or exc}") from None
    if target != "-":
        lines = text.count("\n")
        click.echo(f"Exported {lines} journal entr{'y' if lines == 1 else 'ies'} to {target}.")


def _verify(url: str, admin_token: str | None, body: dict[str, Any], as_json: bool) -> None:
    try:
        result = ControlClient(url, admin_token).call(
            "POST", "/__mock__/journal/verify", json_body=body
        )
    except ControlError as exc:
        if exc.status != 406:
            raise click.ClickException(str(exc)) from None
        error = exc.body["errors"][0]
        click.echo(json.dumps(exc.body, indent=2) if as_json else f"FAILED: {error['msg']}")
        sys.exit(1)
    click.echo(json.dumps(result, indent=2) if as_json else f"OK: {result['count']} matching")


def journal_table(entries: list[dict[str, Any]]) -> str:
    """Journal entries as a fixed-width table, newest first."""
    if not entries:
        return "No journal entries match."
    rows = [("ID", "AT", "METHOD", "STATUS", "MS", "OPERATION", "REFUSED", "PATH")]
    for e in entries:
        note = "dropped" if e.get("fault", {}).get("dropConnection") else str(e["status"])
        rows.append(
            (
                str(e["id"]),
                e["at"],
                e["method"],
                note,
                f"{e.get('latencyMs', 0):.1f}",
                e.get("operation") or "-",
                str(e["rejectedCount"]) if "rejectedCount" in e else "",
                e["path"] + (f"?{e['query']}" if e.get("query") else ""),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        for r in rows
    )


main.add_command(fidelity)
main.add_command(proxy)
main.add_command(replay)

if __name__ == "__main__":
    main()
