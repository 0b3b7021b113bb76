"""``kore-mock proxy`` and ``kore-mock replay``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import click

from mockserver import __version__
from mockserver.admin_token import AdminToken
from mockserver.cli_option import Seconds, admin_token_value, option, store_value
from mockserver.host_options import (
    UsageFailure,
    host_options,
    interrupted,
    interruptible,
    needs_test_extras,
    note_unused_host_options,
    suite_settings,
)
from mockserver.profile import DEFAULT
from mockserver.progress import Progress
from mockserver.settings import (
    MAX_PORT,
    Settings,
    SettingsError,
    load,
    load_profile,
)
from mockserver.shadow.recording import RecordingError, RecordingWriter, read_recording
from mockserver.shadow.upstream import Upstream
from mockserver.spec import API_PREFIX
from mockserver.store.base import display_url
from mockserver.urls import url_problem

if TYPE_CHECKING:
    from mockserver.shadow.proxy import ShadowProxy

# The mock a proxy or a replay runs (``mirror``: the whole app, Flask and the spec's validators)
# is imported by those commands when they run: every other command of the CLI, ``serve`` above
# all, loads without it (the gunicorn master is the ``serve`` process and would keep it all).

MOCK_CONFIG_OPTION = option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    help="Settings YAML of the mock that mirrors (proxy) or replays (replay): limits, import "
    "policy...; its apps are not used: that mock takes the host's word on credentials.",
)
MOCK_PROFILE_OPTION = option(
    "--profile",
    "profile_file",
    type=click.Path(dir_okay=False),
    help="Tenant profile YAML of that mock (e.g. the profile.yaml `kore-mock fidelity` wrote "
    "for the host), over the settings file's profile:. Default: kore-mock's readings.",
)


def _mock_settings(
    config: str | None, profile_file: str | None, base: Settings | None = None, **overrides: Any
) -> Settings:
    try:
        settings = load(config, base).with_overrides(**overrides)
        return load_profile(profile_file, settings) if profile_file else settings
    except SettingsError as exc:
        raise UsageFailure(str(exc)) from None


def _readings(settings: Settings) -> str:
    """The readings of ``settings`` that are not kore-mock's defaults, for a banner."""
    changed = {
        name: value
        for name, value in settings.profile.to_mapping().items()
        if value != DEFAULT.get(name)
    }
    if not changed:
        return "kore-mock's default readings"
    return "readings " + ", ".join(f"{name}: {value}" for name, value in changed.items())


def _upstream(url: str, timeout: float = 60.0) -> Upstream:
    if API_PREFIX in url:
        raise UsageFailure(
            f"--upstream takes the host, e.g. https://platform.kore.ai, not an API path ({url})"
        )
    problem = url_problem(url)
    if problem:  # a port over 65535 started a proxy that answered every request 502
        raise UsageFailure(f"--upstream must be an http(s) URL, not {url!r}: {problem}")
    try:
        return Upstream(url, timeout=timeout)
    except ValueError as exc:
        raise UsageFailure(str(exc)) from None


@click.command()
@option(
    "--upstream",
    required=True,
    envvar="KORE_MOCK_UPSTREAM",
    help="The host every request goes to, e.g. https://platform.kore.ai. Env: KORE_MOCK_UPSTREAM.",
)
@option("--host", help="Address to bind. Default: the --config file's host, else 127.0.0.1.")
@option(
    "--port",
    type=click.IntRange(0, MAX_PORT),
    help="Port. Default: the --config file's port, else 8080.",
)
@option(
    "--db",
    callback=store_value,
    help="The store of the proxy's own mock (the mirror): :memory:, a SQLite file, or "
    "postgresql://... Default: the --config file's db, else :memory:.",
)
@option(
    "--record",
    type=click.Path(dir_okay=False),
    help="Append every exchange to FILE, one JSON line each (credentials redacted); "
    "`kore-mock replay FILE` replays it.",
)
@option(
    "--timeout",
    type=Seconds(1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the upstream's answer.",
)
@option(
    "--admin-token",
    envvar="KORE_MOCK_ADMIN_TOKEN",
    callback=admin_token_value,
    help="The proxy's control plane (/__mock__) then answers holders of this token in "
    "X-Mock-Admin-Token, from any host, and no one else (default: loopback callers only).",
)
@MOCK_CONFIG_OPTION
@MOCK_PROFILE_OPTION
def proxy(
    upstream: str,
    host: str,
    port: int,
    db: str,
    record: str | None,
    timeout: float,
    admin_token: str | None,
    config: str | None,
    profile_file: str | None,
) -> None:
    """A shadowing proxy in front of a real tenant.

    Every request goes to --upstream and its answer back to the caller unchanged; the same
    request is applied to the proxy's own mock, and the two answers are compared (ids,
    timestamps and audit ids normalised). GET /__mock__/shadow lists the exchanges and their
    differences; the QA console (/__mock__/ui) shows them.
    """
    settings = _mock_settings(
        config,
        profile_file,
        base=Settings(db=":memory:"),  # the mirror starts empty (serve's store is ./kore-mock.db)
        db=db,
        host=host,
        port=port,
        admin_token=admin_token,
    )
    host, port = settings.host, settings.port
    target = _upstream(upstream, timeout)
    target.close()
    _check_can_serve(host, port, record, settings.db)
    from mockserver.shadow.mirror import Mirror
    from mockserver.shadow.proxy import ShadowProxy, run_proxy

    def make() -> ShadowProxy:
        return ShadowProxy(
            _upstream(upstream, timeout),
            Mirror(settings),
            recorder=RecordingWriter(record) if record else None,
        )

    run_proxy(
        make, host, port, banner=lambda url: click.echo(_banner(url, target, settings, record))
    )


def _check_can_serve(host: str, port: int, record: str | None, db: str) -> None:
    """The address, the recording and the mirror's store, checked before gunicorn starts: one
    line for what is wrong (gunicorn retried a bind for seconds; a recording that cannot be
    opened or a store that cannot be used failed the worker's boot with a traceback)."""
    from mockserver.server import CannotListen, check_listen
    from mockserver.store import open_store
    from mockserver.store.base import StoreUnavailable

    try:
        check_listen(host, port)
        open_store(db).close()  # as serve does: its schema created once, before the worker
    except (CannotListen, StoreUnavailable) as exc:
        raise UsageFailure(str(exc)) from None
    if record:
        try:
            RecordingWriter(record).close()
        except OSError as exc:
            msg = f"cannot write the recording {record}: {exc.strerror or exc}"
            raise UsageFailure(msg) from None


def _banner(url: str, upstream: Upstream, settings: Settings, record: str | None) -> str:
    lines = [
        f"kore-mock {__version__} proxy — shadowing {upstream.url}",
        f"  base URL   {url}{API_PREFIX}/{{streamId}}/contacts",
        f"  upstream   {upstream.url}    (every request goes there; its answer comes back "
        "unchanged)",
        f"  mock       {display_url(settings.db)}    {_readings(settings)}",
        f"  shadow     {url}/__mock__/shadow    (the exchanges and their differences)",
        f"  console    {url}/__mock__/ui",
        AdminToken(settings.admin_token, "given" if settings.admin_token else "none").banner_line(),
    ]
    if record:
        lines.append(f"  recording  {record}    (appending one JSON line per exchange)")
    return "\n".join(lines)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@host_options(
    url_flag="--upstream",
    url_help="Replay against this host instead of a fresh in-process mock (with the host "
    "options below; throttled like the contract suite).",
    url_envvar=None,  # a replay goes to a host only when told so on its command line
)
@MOCK_CONFIG_OPTION
@MOCK_PROFILE_OPTION
@option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@option("--verbose", "-v", is_flag=True, help="List every exchange, not only those that differ.")
def replay(
    file: str,
    config: str | None,
    profile_file: str | None,
    as_json: bool,
    verbose: bool,
    **host: Any,
) -> None:
    """Replay a recording (kore-mock proxy --record, kore-mock journal --export) in order.

    Against a fresh in-process mock by default, mapping ids as the proxy does; with --upstream
    against a host instead. Every exchange whose answer differs from the recorded one is
    reported. Exit status 1 if any differs or none could be replayed (nothing was checked), 2
    on a usage or connection error.
    """
    try:
        recorded = read_recording("/dev/stdin" if file == "-" else file)
    except RecordingError as exc:
        raise UsageFailure(str(exc)) from None
    note_unused_host_options(host, "--upstream")
    if host.get("base_url") and (profile_file or config):
        click.echo(
            "note: --profile and --config shape the fresh mock of a replay; with --upstream the "
            "host answers with its own readings, so they are not used",
            err=True,
        )
    on_mock = not host.get("base_url")
    if on_mock:  # loaded before the progress starts: the replay's own work is what it counts
        from mockserver.shadow.replay import replay_on_mock

        settings = _mock_settings(config, profile_file)
    with Progress("replay", len(recorded), unit="exchanges") as progress:
        counted = _counted(recorded, progress)
        if on_mock:
            target = f"a fresh kore-mock ({_readings(settings)})"
            report, extra = replay_on_mock(counted, settings, target), []
        else:
            report, extra = _on_host(counted, host)
    if as_json:
        click.echo(json.dumps({**report.to_wire(), **dict(extra)}, indent=2, ensure_ascii=False))
    else:
        click.echo(report.to_text(verbose=verbose))
        for key, value in extra:
            click.echo(f"{key}: {value}")
    sys.exit(0 if report.passed else 1)


def _counted(recorded: list[Any], progress: Progress) -> Iterator[Any]:
    """The recording's exchanges, each counted as done once the replay has taken the next."""
    for exchange in recorded:
        yield exchange
        progress.advance(1)


def _on_host(recorded: Iterable[Any], host: dict[str, Any]) -> tuple[Any, list[tuple[str, Any]]]:
    settings = suite_settings(host, url_flag="--upstream")
    try:
        import requests

        from contract_tests.target import open_target
        from mockserver.shadow.host_replay import replay_on_host
    except ImportError:
        raise needs_test_extras("replay --upstream", url_flag=None) from None
    target = open_target(settings)
    try:
        with interruptible():  # a SIGTERM cleans up as a Ctrl-C does
            result = replay_on_host(recorded, target)
    except KeyboardInterrupt:  # replay_on_host's cleanup ran (its finally)
        raise interrupted(
            "kore-mock replay", f"after its cleanup on {settings.describe()}"
        ) from None
    except requests.RequestException as exc:
        raise UsageFailure(f"{settings.describe()} does not answer: {exc}") from None
    except AssertionError as exc:  # the listing before or after failed
        raise UsageFailure(f"cannot list the contacts of {settings.describe()}: {exc}") from None
    finally:
        target.close()
    extra = [
        ("requests", result.requests),
        ("notSent", result.not_sent),
        ("namespaceBefore", result.before),
        ("namespaceAfter", result.after),
        ("cleanupRemaining", result.cleanup.remaining),
    ]
    if result.before:
        click.echo(
            f"note: the namespace held {result.before} contact(s) before the replay; list "
            "answers show them too (replay against an empty stream)",
            err=True,
        )
    return result.report, extra
