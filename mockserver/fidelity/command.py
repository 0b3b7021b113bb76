"""``kore-mock fidelity``: which of this kore-mock's readings a host confirms."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mockserver.host_options import UsageFailure, host_options, needs_test_extras, suite_settings
from mockserver.settings import Settings, SettingsError, load_profile

DEFAULT_OUT = "fidelity-report"


@click.command()
@host_options(
    url_help="Host to probe, e.g. https://platform.kore.ai. Default: kore-mock in-process."
)
@click.option(
    "--profile",
    type=click.Path(dir_okay=False),
    help="The readings this kore-mock is expected to share with the host (a profile file, as "
    "`kore-mock serve --profile` takes). Default: kore-mock's defaults.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=DEFAULT_OUT,
    show_default=True,
    help="Directory for fidelity.json, profile.yaml and fidelity.md.",
)
def fidelity(profile: str | None, out_dir: str, **host: Any) -> None:
    """Probe a host with one small, safe scenario per reading of the tenant profile.

    Each probe sends fictitious numbers only and deletes what it created (the namespace is
    listed before and after). Writes fidelity.json, profile.yaml (the host's readings, loadable
    by `kore-mock serve --profile`) and fidelity.md into --out. Exit status 0 when the host
    contradicts nothing, 1 when it contradicts a reading, 2 on a usage or connection error.
    """
    expected = _expected(profile)
    # in-process, the mock runs with the profile it is expected to have (a self-check)
    settings = suite_settings(host, {"KORE_PROFILE": profile})
    try:
        from mockserver.fidelity.report import write_reports
        from mockserver.fidelity.run import FidelityError, run_fidelity
    except ImportError:
        raise needs_test_extras("fidelity") from None
    click.echo(f"kore-mock fidelity: probing {settings.describe()}")
    try:
        report = run_fidelity(settings, expected, progress=click.echo)
    except FidelityError as exc:
        raise UsageFailure(str(exc)) from None
    written = write_reports(report, Path(out_dir))
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


def _expected(profile: str | None) -> Any:
    if profile is None:
        return Settings().profile
    try:
        return load_profile(profile, Settings()).profile
    except SettingsError as exc:
        raise UsageFailure(str(exc)) from None
