"""The CLI's option decorator: click's, whose errors also name the environment variable when the
bad value came from one (click names only the flag, which the user never typed); and the checks
of values several commands' options share."""

from __future__ import annotations

import functools
import math
from typing import Any

import click
from click.core import ParameterSource

from mockserver.settings import SettingsError, check_admin_token, is_service_link


class EnvOption(click.Option):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.envvar and self.help and "Env:" not in self.help:  # --help names the variable
            self.help = f"{self.help.rstrip()} Env: {' or '.join(self._envvars())}."

    def _envvars(self) -> list[str]:
        return [self.envvar] if isinstance(self.envvar, str) else list(self.envvar or ())

    def get_error_hint(self, ctx: click.Context | None) -> str:
        hint = super().get_error_hint(ctx)
        if (
            ctx is not None
            and self.envvar
            and ctx.get_parameter_source(self.name) is ParameterSource.ENVIRONMENT
        ):
            hint += " (from the environment variable " + " or ".join(self._envvars()) + ")"
        return hint


option = functools.partial(click.option, cls=EnvOption)

MAX_SECONDS = 1_000_000.0  # any wait or timeout of the CLI (11.5 days); 1e10 overflowed a socket


class Seconds(click.FloatRange):
    """A number of seconds from ``minimum`` to ``maximum``: the type of every float option (click's
    FLOAT takes nan and inf: a wait of nan never ended, a timeout of inf failed every call)."""

    name = "seconds"

    def __init__(self, minimum: float = 0.0, maximum: float = MAX_SECONDS) -> None:
        super().__init__(minimum, maximum)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a number of seconds", param, ctx)
        return super().convert(number, param, ctx)


class Port(click.IntRange):
    """A port to serve on, 0 to 65535; a Kubernetes service link in its environment variable
    (``KORE_MOCK_PORT=tcp://10.96.0.12:8080``, set for a service named kore-mock) is not one:
    left out, saying so (the server took it for a bad port and would not start)."""

    def __init__(self, maximum: int) -> None:
        super().__init__(0, maximum)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if (
            isinstance(value, str)
            and is_service_link(value)
            and ctx is not None
            and param is not None
            and ctx.get_parameter_source(param.name or "") is ParameterSource.ENVIRONMENT
        ):
            click.echo(
                f"note: {param.envvar}={value.strip()} is a service link (Kubernetes or Docker "
                "set it for a service named kore-mock), not a port: left out",
                err=True,
            )
            return None
        if isinstance(value, str) and not value.strip().isdigit():  # click: "integer range"
            self.fail(f"{value!r} is not a port number (0 to {self.max})", param, ctx)
        return super().convert(value, param, ctx)


def store_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A ``--db`` that names a store: an empty one (``--db "$DB"`` with DB unset) was taken by
    SQLite for a private temporary database per connection — nothing kept, workers not sharing
    it, the duplicate rule broken between them."""
    if value is not None and not value.strip():
        raise click.BadParameter(
            "is empty; give a SQLite file, ':memory:' or a postgresql:// URL", ctx, param
        )
    if value is not None and value != value.strip():  # ':memory: ' from an env file: a file
        raise click.BadParameter(
            f"{value!r} has leading or trailing blanks (a file of that name would be made)",
            ctx,
            param,
        )
    return value


def admin_token_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An ``--admin-token`` (or its environment variable) an HTTP client can send."""
    if value:
        try:
            check_admin_token(value, "the admin token")
        except SettingsError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
    return value
