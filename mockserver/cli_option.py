"""The CLI's option decorator: click's, whose errors also name the environment variable when the
bad value came from one (click names only the flag, which the user never typed); and the checks
of values several commands' options share."""

from __future__ import annotations

import functools
import math
from typing import Any

import click
from click.core import ParameterSource

from mockserver.settings import SettingsError, check_admin_token


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


def admin_token_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An ``--admin-token`` (or its environment variable) an HTTP client can send."""
    if value:
        try:
            check_admin_token(value, "the admin token")
        except SettingsError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
    return value
