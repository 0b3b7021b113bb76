"""``kore-mock``: serve the mock, mint tokens, and (later) drive the control plane."""

from __future__ import annotations

import sys
from typing import Any

import click

from mockserver import __version__
from mockserver.auth import mint_token
from mockserver.settings import Settings, SettingsError, check_policy, load
from mockserver.store import redacted
from mockserver.store.base import StoreUnavailable

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
    except (SettingsError, StoreUnavailable) as exc:
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
        f"  store      {redacted(settings.db)}    import policy: {settings.import_policy}",
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


if __name__ == "__main__":
    main()
