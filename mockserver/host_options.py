"""The options that name a host and its credentials, shared by ``contract``, ``fidelity`` and
``replay --upstream``: the same flags and environment variables everywhere (those the contract
suite reads, see ``contract_tests.settings``)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from mockserver.cli_option import option

# option -> the environment variable the suite reads
HOST_ENV = {
    "base_url": "KORE_BASE_URL",
    "stream_id": "KORE_STREAM_ID",
    "account_id": "KORE_ACCOUNT_ID",
    "jwt": "KORE_JWT",
    "client_id": "KORE_CLIENT_ID",
    "client_secret": "KORE_CLIENT_SECRET",
    "rate_per_minute": "KORE_RATE_PER_MINUTE",
}


class UsageFailure(click.ClickException):
    """A usage or connection error: exit status 2 (1 means the host differed)."""

    exit_code = 2


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """A SIGTERM (a CI job's timeout, ``kill``) inside the block is a KeyboardInterrupt, as a
    Ctrl-C is: the cleanup of what a run created on a host runs either way (a SIGTERM ended the
    process with its contacts left behind). Neither cuts a request to the host or a cleanup
    short (``contract_tests.interrupts``)."""
    from contract_tests.interrupts import signals_stop

    with signals_stop():
        yield


def writable_directory(directory: Path) -> list[Path]:
    """``directory`` made (with its missing parents) and checked to take a file, before a run
    whose reports go there (a real host's run takes minutes); the directories it made, deepest
    first. ``OSError`` if it cannot be (``/dev/null``, a file in the way), what it made undone."""
    missing = [path for path in (directory, *directory.parents) if not path.exists()]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError:
        remove_directories(missing)
        raise
    return missing


def remove_directories(directories: list[Path]) -> None:
    """``directories`` removed, deepest first, as far as they are empty."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:
            return


def interrupted(what: str, detail: str) -> UsageFailure:
    """An interrupted run: exit status 2, which no verdict has; ``detail`` says when, and what
    its cleanup did."""
    return UsageFailure(f"{what} was interrupted {detail}")


def host_options(
    *,
    url_flag: str | None = "--base-url",
    url_help: str | None = None,
    url_envvar: str | None = "KORE_BASE_URL",
) -> Any:
    """The host options as one decorator; ``url_flag=None`` leaves the URL option out."""
    options = [
        option("--stream-id", envvar="KORE_STREAM_ID", help="Stream (bot) id st-... of the host."),
        option("--account-id", envvar="KORE_ACCOUNT_ID", help="24-hex account id of the host."),
        option("--jwt", envvar="KORE_JWT", help="A ready JWT for the auth header."),
        option("--client-id", envvar="KORE_CLIENT_ID", help="App client id (to sign a JWT)."),
        option("--client-secret", envvar="KORE_CLIENT_SECRET", help="App client secret."),
        option(
            "--rate-per-minute",
            envvar="KORE_RATE_PER_MINUTE",
            type=click.IntRange(0),
            help="Request budget per minute over HTTP, 0 = unlimited (default 60, Kore's limit).",
        ),
    ]
    if url_flag is not None:
        options.insert(
            0,
            option(
                url_flag,
                "base_url",
                envvar=url_envvar,
                help=url_help
                or "Host to check, e.g. https://platform.kore.ai. Default: kore-mock in-process.",
            ),
        )

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(options):
            command = decorator(command)
        return command

    return decorate


def note_unused_host_options(host: Mapping[str, Any], url_flag: str = "--base-url") -> None:
    """A note (stderr) for host options typed on the command line that the run does not use:
    the host's, without a host to use them on (the run is in-process); the app's id and
    secret beside a ready JWT, which is the token sent. They were dropped without a word."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return
    typed = [
        name
        for name in HOST_ENV
        if name != "base_url"
        and ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    ]
    flags = [_flag(name) for name in typed]
    if not host.get("base_url") and flags:
        said = f"{', '.join(flags[:-1])} and {flags[-1]} are" if flags[1:] else f"{flags[0]} is"
        click.echo(f"note: {said} for a host ({url_flag}): not used without one", err=True)
    elif host.get("jwt") and (host.get("client_id") or host.get("client_secret")):
        click.echo(
            "note: --jwt is the token sent; --client-id and --client-secret are not used", err=True
        )


def host_environment(
    options: Mapping[str, Any], extra: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """The environment the suite reads, the given options over the process's variables."""
    given = {
        HOST_ENV[name]: str(value)
        for name, value in options.items()
        if name in HOST_ENV and value is not None
    }
    more = {k: v for k, v in (extra or {}).items() if v is not None}
    return {**os.environ, **given, **more}


def suite_settings(
    options: Mapping[str, Any],
    extra: Mapping[str, str | None] | None = None,
    url_flag: str = "--base-url",
) -> Any:
    """The suite's settings for a host, or ``UsageFailure`` saying what is missing."""
    try:
        from contract_tests.settings import SuiteConfigError, SuiteSettings
    except ImportError as exc:  # pragma: no cover - the package ships contract_tests
        raise UsageFailure(f"the contract suite is missing ({exc.name})") from None
    try:
        return SuiteSettings.from_env(host_environment(options, extra))
    except SuiteConfigError as exc:
        raise UsageFailure(with_flags(str(exc), url_flag)) from None


def with_flags(
    message: str, url_flag: str = "--base-url", variables: Mapping[str, str] = HOST_ENV
) -> str:
    """A message of the suite's settings, naming the command's flags beside its variables
    (``variables``: option name -> variable, the host's by default)."""
    for name, variable in variables.items():
        flag = url_flag if name == "base_url" else _flag(name)
        # another URL flag (replay's --upstream) is not read from KORE_BASE_URL: no variable
        named = flag if flag != "--base-url" and name == "base_url" else f"{flag} ({variable})"
        message = re.sub(rf"\b{variable}\b", named, message)
    return message


def _flag(name: str) -> str:
    """An option's flag, from its parameter name (``stream_id`` -> ``--stream-id``)."""
    return "--" + name.replace("_", "-")


def needs_test_extras(
    what: str, missing: str | None = None, url_flag: str | None = "--base-url"
) -> UsageFailure:
    """``kore-mock <what>`` cannot run without the contract extras (a plain install, or the
    container image: no pip there): exit status 2, nothing ran."""
    needs = (
        f"kore-mock {what} needs the contract extras ({missing} is missing)"
        if missing
        else f"kore-mock {what} uses the contract suite's safety machinery, which needs the "
        "contract extras"
    )
    against = f" (a container: {url_flag} http://127.0.0.1:PUBLISHED-PORT)" if url_flag else ""
    return UsageFailure(
        f"{needs}: pip install 'kore-mock[contract]'. The container image does not include them: "
        f"run it from such an install on the host{against}"
    )
