"""The probes against one host, in order, each cleaned up and checked by listing.

The namespace is listed once before the first probe: those contacts are never touched and their
numbers never used. After each probe, every contact it created is deleted (the contract suite's
``delete_created``: the ids save answers carried, plus any new contact holding a number the run
used) and the namespace is listed again: it must hold exactly what it held before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from contract_tests.guard import UnsafeRequest
from contract_tests.interrupts import held
from contract_tests.namespace import Baseline, clean_up, delete_created
from contract_tests.settings import SuiteSettings
from contract_tests.target import Target, open_target
from mockserver.contacts.model import now_iso
from mockserver.fidelity.client import ProbeClient
from mockserver.fidelity.probes import PROBES, Context, Outcome, Probe, Unexpected
from mockserver.profile import Profile, Reading, readings

CONFIRMED, CONTRADICTED, UNTESTABLE = "confirmed", "contradicted", "untestable"


class Interrupted(RuntimeError):
    """The run was stopped (Ctrl-C, SIGTERM); its message says what the cleanup did."""


class FidelityError(RuntimeError):
    """The host cannot be probed (does not answer, refuses the credentials...)."""


@dataclass
class Behaviour:
    reading: Reading
    expected: Any
    outcome: Outcome
    probe: Probe
    evidence: list[dict[str, Any]]
    cleanup: dict[str, Any]

    @property
    def observed(self) -> Any:
        return self.outcome.observed

    @property
    def verdict(self) -> str:
        if self.observed is None:
            return UNTESTABLE
        if isinstance(self.observed, Unexpected) or self.observed != self.expected:
            return CONTRADICTED
        return CONFIRMED

    @property
    def shown_value(self) -> Any:
        """What profile.yaml holds: the value observed, else the one expected."""
        if self.observed is None or isinstance(self.observed, Unexpected):
            return self.expected
        return self.observed


@dataclass
class Fidelity:
    host: str  # the base URL probed (or "kore-mock in-process")
    stream_id: str
    account_id: str
    at: str
    behaviours: list[Behaviour]
    requests: int
    wall_time: float
    probes_run: int
    namespace: dict[str, Any] = field(default_factory=dict)

    def count(self, verdict: str) -> int:
        return sum(b.verdict == verdict for b in self.behaviours)


def run_fidelity(
    settings: SuiteSettings,
    expected: Profile,
    *,
    unscoped_token: str | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Fidelity:
    """Every probe against the host of ``settings``; ``unscoped_token`` (a token of an app
    without the Configuration scope) lets the scopeErrorCode probe run."""
    started = time.monotonic()
    target = open_target(settings)
    try:
        return _run(target, settings, expected, unscoped_token, progress, started)
    except requests.RequestException as exc:
        raise FidelityError(f"{settings.describe()} stopped answering: {exc}") from None
    except AssertionError as exc:  # a listing for the cleanup check failed
        first = str(exc).splitlines()[0] if str(exc) else "no details"
        raise FidelityError(f"cannot list the contacts of {settings.describe()}: {first}") from None
    finally:
        target.close()


def _run(
    target: Target,
    settings: SuiteSettings,
    expected: Profile,
    unscoped_token: str | None,
    progress: Callable[[str], None],
    started: float,
) -> Fidelity:
    kore = ProbeClient(target)
    baseline = _baseline(kore, settings)
    behaviours: list[Behaviour] = []
    probes_run = 0
    when = "before its first probe"
    try:  # a stop (Ctrl-C, SIGTERM) anywhere from here cleans up first
        target.numbers.exclude(baseline.numbers)  # (the pool starts at random: runs seldom meet)
        ctx = Context(kore, target.numbers, unscoped_token=unscoped_token)
        by_name = {r.name: r for r in readings()}
        for probe in PROBES:
            when = f"during probe {probe.name}"
            outcomes: dict[str, Outcome] = {}
            if probe.run is not None:
                progress(f"probe {probe.name}: {probe.sends}")
                try:
                    outcomes = _guarded(probe, ctx)
                except FidelityError as exc:  # the run ends: what the probe created goes first
                    raise FidelityError(f"{exc}; {_clean_after_failure(kore, baseline)}") from None
            evidence = kore.take_evidence()
            cleanup: dict[str, Any] = {}
            if evidence:  # the probe sent something (one needs a token the run may not be given)
                probes_run += 1
                with held():  # a stop waits for the cleanup, then cleans up again (a no-op)
                    cleanup = _clean(kore, baseline)
            for name in probe.readings:
                outcome = outcomes.get(name) or Outcome(None, probe.untestable or "not told apart")
                ctx.shown[name] = outcome.observed
                behaviour = Behaviour(
                    by_name[name], expected.get(name), outcome, probe, evidence, cleanup
                )
                behaviours.append(behaviour)
                progress(f"  {name}: {behaviour.verdict} ({_value(behaviour)})")
        when = "after its last probe"
        final = _listed_ids(kore)
    except KeyboardInterrupt:  # Ctrl-C, or a SIGTERM (the command makes it one)
        raise Interrupted(f"{when}; {_clean_after_failure(kore, baseline)}") from None
    return Fidelity(
        host=settings.base_url or "kore-mock in-process",
        stream_id=settings.stream_id,
        account_id=settings.account_id,
        at=now_iso(),
        behaviours=behaviours,
        requests=target.ledger.requests,
        wall_time=time.monotonic() - started,
        probes_run=probes_run,
        namespace={
            "before": len(baseline.ids),
            "after": len(final),
            "asFound": final == baseline.ids,
        },
    )


def _baseline(kore: ProbeClient, settings: SuiteSettings) -> Baseline:
    try:
        existing = kore.list_active()
    except requests.RequestException as exc:
        raise FidelityError(f"{settings.describe()} does not answer: {exc}") from None
    except AssertionError as exc:
        raise FidelityError(
            f"cannot list the contacts of {settings.describe()} (wrong credentials, account "
            f"or stream?): {str(exc).splitlines()[0]}"
        ) from None
    finally:
        kore.take_evidence()
    return Baseline.of(existing)


def _guarded(probe: Probe, ctx: Context) -> dict[str, Outcome]:
    assert probe.run is not None
    try:
        return probe.run(ctx)
    except UnsafeRequest as exc:  # a bug in a probe: never send it, say so
        return {name: Outcome(None, f"not sent: {exc}") for name in probe.readings}
    except requests.RequestException as exc:
        raise FidelityError(f"the host stopped answering during {probe.name}: {exc}") from None


def _clean(kore: ProbeClient, baseline: Baseline) -> dict[str, Any]:
    """Delete what the probe created; list to check the namespace is as it was found."""
    asked = delete_created(kore, baseline)
    listed = _listed_ids(kore)
    if listed != baseline.ids:  # a host whose bulk delete failed: the suite's slower way
        clean_up(kore, baseline)
        listed = _listed_ids(kore)
    kore.take_evidence()  # cleanup calls are not evidence
    left = sorted(listed - baseline.ids)
    cleanup: dict[str, Any] = {
        "deleted": max(0, asked - len(left)),  # gone, not asked to go
        "asFound": listed == baseline.ids,
    }
    if left:
        cleanup["left"] = left  # the ids of what the host kept
    return cleanup


def _clean_after_failure(kore: ProbeClient, baseline: Baseline) -> str:
    """The cleanup of a probe the host stopped answering, as far as the host lets it: what it
    did, in words for the error line. The run is ending: a stop that comes during it is
    dropped, not raised, so what it did is still said."""
    try:
        with held(then_raise=False):
            cleanup = _clean(kore, baseline)
    except (requests.RequestException, AssertionError) as exc:
        return f"the cleanup could not run either ({exc}): contacts the probe created may remain"
    if cleanup["asFound"]:
        return "the contacts the probes created were deleted: the namespace is as found"
    left = cleanup.get("left", [])
    return f"{len(left)} contact(s) the probes created remain: {', '.join(left)}"


def _listed_ids(kore: ProbeClient) -> set[str]:
    return {c["id"] for c in kore.list_active()}


def _value(behaviour: Behaviour) -> str:
    if behaviour.observed is None:
        return behaviour.outcome.note
    return f"expected {behaviour.expected}, host showed {behaviour.observed}"
