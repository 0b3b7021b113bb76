"""The CLI's option decorator: click's, whose errors also name the environment variable when the
bad value came from one (click names only the flag, which the user never typed)."""

from __future__ import annotations

import functools

import click
from click.core import ParameterSource


class EnvOption(click.Option):
    def get_error_hint(self, ctx: click.Context | None) -> str:
        hint = super().get_error_hint(ctx)
        if (
            ctx is not None
            and self.envvar
            and ctx.get_parameter_source(self.name) is ParameterSource.ENVIRONMENT
        ):
            names = [self.envvar] if isinstance(self.envvar, str) else list(self.envvar)
            hint += " (from the environment variable " + " or ".join(names) + ")"
        return hint


option = functools.partial(click.option, cls=EnvOption)
