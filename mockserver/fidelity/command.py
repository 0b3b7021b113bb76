"""``kore-mock fidelity``: which of this kore-mock's readings a host confirms."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from mockserver.auth import mint_token
from mockserver.cli_option import option
from mockserver.host_options import (
    UsageFailure,
    host_options,
    interrupted,
    interruptible,
    needs_test_extras,
    note_unused_host_options,
    remove_directories,
    suite_settings,
    writable_directory,
)
from mockserver.settings import App, Settings, SettingsError, load_profile, unsendable

DEFAULT_OUT = "fidelity-report"
TOKEN_TTL = 3600  # seconds; a run takes a few minutes at most


@click.command()
@host_options(
    url_help="Host to probe, e.g. https://platform.kore.ai. Default: kore-mock in-process."
)
@option(
    "--profile",
    type=click.Path(dir_okay=False),
    envvar="KORE_PROFILE",
    help="The readings this kore-mock is expected to share with the host (a profile file, as "
    "`kore-mock serve --profile` takes). Default: kore-mock's defaults. Env: KORE_PROFILE (as "
    "`kore-mock contract` reads it).",
)
@option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=DEFAULT_OUT,
    show_default=True,
    help="Directory for fidelity.json, profile.yaml and fidelity.md.",
)
@option(
    "--unscoped-client-id",
    envvar="KORE_UNSCOPED_CLIENT_ID",
    help="An app of the same account without the Configuration scope (with "
    "--unscoped-client-secret): lets the scopeErrorCode probe run. Env: KORE_UNSCOPED_CLIENT_ID.",
)
@option(
    "--unscoped-client-secret",
    envvar="KORE_UNSCOPED_CLIENT_SECRET",
    help="That app's client secret. Env: KORE_UNSCOPED_CLIENT_SECRET.",
)
@option(
    "--unscoped-jwt",
    envvar="KORE_UNSCOPED_JWT",
    help="Or a ready JWT of such an app. Env: KORE_UNSCOPED_JWT.",
)
def fidelity(
    profile: str | None,
    out_dir: str,
    unscoped_client_id: str | None,
    unscoped_client_secret: str | None,
    unscoped_jwt: str | None,
    **host: Any,
) -> None:
    """Probe a host with one small, safe scenario per reading of the tenant profile.

    Each probe sends fictitious numbers only and deletes what it created (the namespace is
    listed before and after). Writes fidelity.json, profile.yaml (the host's readings, loadable
    by `kore-mock serve --profile`) and fidelity.md into --out. Exit status 0 when the host
    contradicts nothing, 1 when it contradicts a reading, 2 on a usage or connection error.
    """
    note_unused_host_options(host)
    expected = _expected(profile)
    unscoped = _unscoped_token(unscoped_client_id, unscoped_client_secret, unscoped_jwt, host)
    # in-process, the mock runs with the profile it is expected to have (a self-check)
    settings = suite_settings(host, {"KORE_PROFILE": profile})
    try:
        from mockserver.fidelity.report import write_reports
        from mockserver.fidelity.run import FidelityError, Interrupted, run_fidelity
    except ImportError:
        raise needs_test_extras("fidelity") from None
    created = _make_out_dir(out_dir)  # before a probe runs (a real host's run takes minutes)
    click.echo(f"kore-mock fidelity: probing {settings.describe()}")
    try:
        with interruptible():
            report = run_fidelity(settings, expected, unscoped_token=unscoped, progress=click.echo)
    except BaseException as exc:
        remove_directories(created)  # no report: no directory made for it
        if isinstance(exc, FidelityError):
            raise UsageFailure(str(exc)) from None
        if isinstance(exc, Interrupted):
            raise interrupted("kore-mock fidelity", str(exc)) from None
        if isinstance(exc, KeyboardInterrupt):  # while it read the namespace, before any
            # probe; or a stop again and again during the cleanup, which ended it
            raise interrupted(
                "kore-mock fidelity",
                "before its first probe, or again during its cleanup: list the namespace, "
                "contacts may remain",
            ) from None
        raise
    try:
        written = write_reports(report, Path(out_dir))
    except OSError as exc:
        raise UsageFailure(_cannot_write(out_dir, exc)) from None
    contradicted = report.count("contradicted")
    click.echo(
        f"{report.count('confirmed')} confirmed, {contradicted} contradicted, "
        f"{report.count('untestable')} untestable — {report.probes_run} probes, "
        f"{report.requests} requests, {report.wall_time:.1f} s; namespace "
        + ("as found" if report.namespace.get("asFound") else "NOT as found")
    )
    for path in written:
        click.echo(f"  wrote {path}")
    sys.exit(1 if contradicted else 0)


def _make_out_dir(out_dir: str) -> list[Path]:
    """``--out`` made and checked to take a file (``writable_directory``); the directories it
    made. ``UsageFailure`` if it cannot be."""
    try:
        return writable_directory(Path(out_dir))
    except OSError as exc:
        raise UsageFailure(_cannot_write(out_dir, exc)) from None


def _cannot_write(out_dir: str, exc: OSError) -> str:
    why = "not a directory" if isinstance(exc, FileExistsError) else exc.strerror or exc
    return f"cannot write the reports into --out {out_dir}: {why}"


def _expected(profile: str | None) -> Any:
    if profile is None:
        return Settings().profile
    try:
        return load_profile(profile, Settings()).profile
    except SettingsError as exc:
        raise UsageFailure(str(exc)) from None


def _unscoped_token(
    client_id: str | None, client_secret: str | None, token: str | None, host: dict[str, Any]
) -> str | None:
    """The token of the app without the Configuration scope, if one is given."""
    if token and (client_id or client_secret):
        raise UsageFailure("give --unscoped-jwt or --unscoped-client-id/-secret, not both")
    problem = unsendable((("--unscoped-jwt", token), ("--unscoped-client-id", client_id)))
    if problem:  # a line end in it was a ValueError traceback from the HTTP client
        raise UsageFailure(problem)
    if token:
        return token
    if bool(client_id) != bool(client_secret):
        raise UsageFailure("--unscoped-client-id and --unscoped-client-secret go together")
    if not client_id:
        return None
    if not host.get("base_url"):
        raise UsageFailure(
            "--unscoped-client-id is for a host (--base-url): the mock in-process "
            "knows its development app only"
        )
    account = host.get("account_id") or os.environ.get("KORE_ACCOUNT_ID") or ""
    app = App(client_id, client_secret or "", account, scopes=())
    return mint_token(app, ttl=TOKEN_TTL, subject="kore-mock-fidelity")
