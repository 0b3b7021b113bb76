"""``kore-mock``: serve the mock, mint tokens, and (later) drive the control plane."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from mockserver import __version__
from mockserver.auth import mint_token
from mockserver.settings import Settings, SettingsError, check_policy, load

CONFIG_OPTION = click.option(
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
@click.option("--host", envvar="KORE_MOCK_HOST", help="Address to bind (default 127.0.0.1).")
@click.option(
    "--port",
    envvar="KORE_MOCK_PORT",
    type=click.IntRange(0, 65535),
    help="Port to listen on (default 8080).",
)
@click.option(
    "--db",
    envvar="KORE_MOCK_DB",
    help="SQLite file (default kore-mock.db), :memory:, or postgresql://...",
)
@click.option(
    "--workers",
    envvar="KORE_MOCK_WORKERS",
    type=click.IntRange(1, 64),
    help="Worker processes (default 1).",
)
@click.option(
    "--import-policy",
    envvar="KORE_MOCK_IMPORT_POLICY",
    type=click.Choice(["skip", "reject"]),
    help="What to do with rejected rows (default skip).",
)
@CONFIG_OPTION
def serve(
    host: str | None,
    port: int | None,
    db: str | None,
    workers: int | None,
    import_policy: str | None,
    config: str | None,
) -> None:
    """Run the mock server (a production WSGI server, gunicorn)."""
    from mockserver.server import run

    settings = _settings(
        config,
        host=host,
        port=port,
        db=db,
        workers=workers,
        import_policy=import_policy and check_policy(import_policy),
    )
    if settings.workers > 1 and settings.db == ":memory:":
        raise click.ClickException(
            "--db :memory: cannot be shared by several workers; use a file or PostgreSQL"
        )
    try:
        run(settings, banner=lambda url: click.echo(banner(settings, url)))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def banner(settings: Settings, url: str) -> str:
    app = settings.app()
    stream = app.example_stream()
    base = f"{url}/agentassist/api/v1/public/{stream}"
    config = f" --config {settings.config_file}" if settings.config_file else ""
    lines = [
        f"kore-mock {__version__} — Kore.ai contacts API stand-in",
        f"  base URL   {base}/contacts",
        f"  accountId  {app.account_id}    (send it in the header accountId)",
        f"  streamId   {stream}",
        f"  app        {app.client_id}"
        + ("  (development app, built in)" if settings.using_dev_app else ""),
        f"  token      kore-mock token{config}    (send it in the header auth)",
        f"  store      {settings.db}    import policy: {settings.import_policy}",
        f"  control    {url}/__mock__/health",
        "",
        "  try:",
        f"    curl -H \"auth: $(kore-mock token{config})\" -H 'accountId: {app.account_id}' \\",
        f"      '{base}/contacts?limit=10'",
    ]
    return "\n".join(lines)


@main.command()
@CONFIG_OPTION
@click.option(
    "--client-id",
    envvar="KORE_MOCK_CLIENT_ID",
    help="Which app to sign for (default: the first app).",
)
@click.option(
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
    "base_url": "KORE_BASE_URL",
    "stream_id": "KORE_STREAM_ID",
    "account_id": "KORE_ACCOUNT_ID",
    "jwt": "KORE_JWT",
    "client_id": "KORE_CLIENT_ID",
    "client_secret": "KORE_CLIENT_SECRET",
    "examples": "KORE_EXAMPLES",
    "stateful_examples": "KORE_STATEFUL_EXAMPLES",
    "rate_per_minute": "KORE_RATE_PER_MINUTE",
    "coverage": "KORE_COVERAGE",
    "seed": "KORE_SEED",
    "import_policy": "KORE_MOCK_IMPORT_POLICY",
}


@main.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--base-url",
    envvar="KORE_BASE_URL",
    help="Host to test, e.g. https://platform.kore.ai. Default: kore-mock in-process.",
)
@click.option("--stream-id", envvar="KORE_STREAM_ID", help="Stream (bot) id st-... of the host.")
@click.option("--account-id", envvar="KORE_ACCOUNT_ID", help="24-hex account id of the host.")
@click.option("--jwt", envvar="KORE_JWT", help="A ready JWT for the auth header.")
@click.option("--client-id", envvar="KORE_CLIENT_ID", help="App client id (to sign a JWT).")
@click.option("--client-secret", envvar="KORE_CLIENT_SECRET", help="App client secret.")
@click.option(
    "--examples",
    envvar="KORE_EXAMPLES",
    type=click.IntRange(1),
    help="Generated examples per operation (default 100 in-process, 10 over HTTP).",
)
@click.option(
    "--stateful-examples",
    envvar="KORE_STATEFUL_EXAMPLES",
    type=click.IntRange(1),
    help="Stateful scenarios (default 30 in-process, 3 over HTTP).",
)
@click.option(
    "--rate-per-minute",
    envvar="KORE_RATE_PER_MINUTE",
    type=click.IntRange(0),
    help="Request budget per minute over HTTP, 0 = unlimited (default 60, Kore's limit).",
)
@click.option(
    "--coverage/--no-coverage",
    envvar="KORE_COVERAGE",
    default=None,
    help="schemathesis' coverage phase: boundary values, missing parts, wrong methods "
    "(~100 more requests per operation; default on in-process, off over HTTP).",
)
@click.option("--seed", envvar="KORE_SEED", type=click.IntRange(0), help="Repeat a run's data.")
@click.option(
    "--import-policy",
    envvar="KORE_MOCK_IMPORT_POLICY",
    type=click.Choice(["skip", "reject"]),
    help="In-process mock only: what to do with rejected rows (default skip).",
)
@click.option("--junitxml", type=click.Path(dir_okay=False), help="Write a JUnit XML report.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def contract(junitxml: str | None, pytest_args: tuple[str, ...], **options: Any) -> None:
    """Run the contract suite against the mock in-process, or a host with --base-url.

    Extra arguments go to pytest, e.g. `kore-mock contract -- -k duplicate -x`.
    """
    try:
        import pytest

        import contract_tests
    except ImportError as exc:
        raise click.ClickException(
            f"the contract suite needs the test extras ({exc.name} is missing): "
            "pip install 'kore-mock[test]'"
        ) from None
    for name, value in options.items():  # the suite reads its settings from the environment
        if value is not None:
            os.environ[CONTRACT_ENV[name]] = str(int(value) if isinstance(value, bool) else value)
    args = [str(Path(contract_tests.__file__).parent), "-p", "no:cacheprovider", *pytest_args]
    if junitxml:
        args.append(f"--junitxml={junitxml}")
    sys.exit(pytest.main(args))


if __name__ == "__main__":
    main()
