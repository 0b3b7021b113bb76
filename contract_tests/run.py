"""The one run of this process: settings, target, schema and client, built once from the env.

Test modules need the schema when pytest imports them (``schema.parametrize()``), before any
fixture exists, so the run is created on first use and shared.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from schemathesis.schemas import BaseSchema

from contract_tests import checks, oracle
from contract_tests.client import KoreClient
from contract_tests.namespace import Baseline, Cleanup
from contract_tests.number_holder import NumberHolder
from contract_tests.observed import Observations
from contract_tests.schema import load_schema
from contract_tests.settings import TARGET_VARIABLES, SuiteConfigError, SuiteSettings
from contract_tests.target import Target, open_target


@dataclass
class Run:
    settings: SuiteSettings
    target: Target
    schema: BaseSchema
    client: KoreClient
    baseline: Baseline
    observed: Observations = field(default_factory=lambda: Observations(None))
    started: float = field(default_factory=time.monotonic)
    cleanup: Cleanup | None = None
    finished: float | None = None

    @property
    def seed(self) -> int:
        return self.schema.config.seed

    def wall_time(self) -> float:
        return (self.finished or time.monotonic()) - self.started


_variables: Mapping[str, str] | None = None  # set by ``configure``; else the environment's own


def configure(variables: Mapping[str, str]) -> None:
    """Describe the run with ``variables`` (the names of ``settings.VARIABLES``), all of them
    used: ``kore-mock contract`` passes its options (and the environment's variables) this
    way. Call it before pytest starts the suite."""
    global _variables
    if current.cache_info().currsize:
        raise RuntimeError("the contract run is already set up")
    _variables = variables


def from_environment(*, target: bool) -> None:
    """The run from the process environment (a plain pytest run), unless ``configure`` came
    first. Its target variables (KORE_BASE_URL, the credentials) count only with ``target``
    (pytest's ``--kore-target``): without it the suite tests kore-mock in-process, so the
    project's test command never sends a request to a host someone exported for other work."""
    if _variables is None:
        if target and not os.environ.get("KORE_BASE_URL", "").strip():
            # a CI whose secret is missing would test the in-process mock and pass green
            raise SuiteConfigError(
                "--kore-target tests the host KORE_BASE_URL names, and KORE_BASE_URL is not "
                "set (or empty); without --kore-target the suite tests kore-mock in-process"
            )
        configure(os.environ if target else without_target(os.environ))


def without_target(variables: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in variables.items() if k not in TARGET_VARIABLES}


def ignored_target_variables() -> list[str]:
    """The target variables set in the environment that this run does not use."""
    used = os.environ if _variables is None else _variables
    return [n for n in TARGET_VARIABLES if os.environ.get(n, "").strip() and n not in used]


@functools.cache
def current() -> Run:
    """The run described by ``configure`` (without it: the environment less its target
    variables); raises ``SuiteConfigError`` when it is unusable.

    The namespace is listed first: what it holds is never touched, and its numbers never used.
    """
    settings = SuiteSettings.from_env(
        without_target(os.environ) if _variables is None else _variables
    )
    oracle.use_profile(settings.profile)
    target = open_target(settings)
    client = KoreClient(target)
    try:
        existing = client.list_active()
    except (AssertionError, OSError) as exc:
        raise SuiteConfigError(
            f"cannot list the contacts of {settings.describe()}: {exc}"
        ) from None
    baseline = Baseline.of(existing)
    target.numbers.exclude(baseline.numbers)
    if settings.profile is None or settings.profile.deleted_numbers == "kept":
        # numbers an earlier run's deleted contacts may keep are found before a test meets them
        target.numbers.vet_with(NumberHolder(client))
    checks.leave_out_legacy(baseline.legacy_duplicates)
    observed = Observations(settings.profile)
    schema = load_schema(target)
    target.numbers.start_from(schema.config.seed)  # KORE_SEED repeats the numbers too
    return Run(settings, target, schema, client, baseline, observed)
