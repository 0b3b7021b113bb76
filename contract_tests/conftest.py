"""Session set-up of the contract suite: the run, timing, cleanup, and the summary."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import hypothesis
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from contract_tests import run as run_module
from contract_tests.client import KoreClient
from contract_tests.namespace import Baseline, clean_up
from contract_tests.observed import Observations
from contract_tests.run import Run, current
from contract_tests.settings import SuiteConfigError
from contract_tests.target import Target
from mockserver.ci import hypothesis_profile

RUN_KEY = pytest.StashKey[Run]()
# the suite signs with the secret the host's app has: its length is the host's business, and
# PyJWT's warning about a short one (with a source line) is noise in every run against that host
SHORT_SECRET_WARNING = "ignore::jwt.warnings.InsecureKeyLengthWarning"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("kore contract suite").addoption(
        "--kore-target",
        action="store_true",
        help="test the host the KORE_* variables name (KORE_BASE_URL, KORE_STREAM_ID, "
        "KORE_ACCOUNT_ID, KORE_JWT or KORE_CLIENT_ID + KORE_CLIENT_SECRET); without it the "
        "suite tests kore-mock in-process whatever they say (kore-mock contract uses them too)",
    )


def pytest_configure(config: pytest.Config) -> None:
    hypothesis.settings.load_profile(hypothesis_profile())  # CI as every conftest sees it
    config.addinivalue_line("filterwarnings", SHORT_SECRET_WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            run_module.from_environment(target=bool(config.getoption("kore_target", default=False)))
            current()
    except SuiteConfigError as exc:
        message = f"contract suite: {exc}"
        if config.option.xmlpath:  # a CI that publishes the report sees why there are no tests
            write_setup_error_report(config.option.xmlpath, message)
        raise pytest.UsageError(message) from None


def write_setup_error_report(path: str, message: str) -> None:
    """A JUnit XML report of one errored test case, ``setup``: the run could not start."""
    suite = ElementTree.Element(
        "testsuite", name="kore-contract", tests="1", errors="1", failures="0", skipped="0"
    )
    case = ElementTree.SubElement(suite, "testcase", classname="contract_tests", name="setup")
    ElementTree.SubElement(case, "error", message=message).text = message
    root = ElementTree.Element("testsuites")
    root.append(suite)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


@pytest.fixture(scope="session")
def run() -> Run:
    return current()


@pytest.fixture(scope="session")
def target(run: Run) -> Target:
    return run.target


@pytest.fixture(scope="session")
def kore(run: Run) -> KoreClient:
    return run.client


@pytest.fixture(scope="session")
def baseline(run: Run) -> Baseline:
    return run.baseline


@pytest.fixture
def fresh_number(target: Target):
    """A fictitious number no contact of the run or the namespace holds: ``fresh_number()``."""
    return target.numbers.fresh


@pytest.fixture(scope="session")
def observed(run: Run) -> Observations:
    """Which reading of the tenant profile the host showed (``Observations.saw``)."""
    return run.observed


@pytest.fixture(scope="session", autouse=True)
def _namespace(
    request: pytest.FixtureRequest, run: Run, record_testsuite_property
) -> Iterator[None]:
    """Time the run from its first test; delete what it created after the last."""
    request.config.stash[RUN_KEY] = run
    run.started = time.monotonic()
    record_testsuite_property("kore_target", run.settings.describe())
    record_testsuite_property("kore_seed", run.seed)
    try:
        yield
    finally:
        run.cleanup = clean_up(run.client, run.baseline)
        run.finished = time.monotonic()
        record_testsuite_property("kore_wall_time_s", f"{run.wall_time():.1f}")
        record_testsuite_property("kore_requests", run.target.ledger.requests)
        for name, reading in run.observed.to_dict()["readings"].items():
            if reading["seen"]:
                shown = ",".join(str(value) for value in reading["seen"])
                record_testsuite_property(f"kore_reading_{name}", shown)
        if run.settings.profile_report:
            run.observed.write(Path(run.settings.profile_report))
        run.target.close()
    if run.cleanup.remaining:
        pytest.fail(
            f"cleanup left {len(run.cleanup.remaining)} contact(s) the suite created: "
            + ", ".join(run.cleanup.remaining),
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    settings = run.settings
    ignored = run_module.ignored_target_variables()
    lines = [
        f"target        {settings.describe()}",
        *(
            [
                f"ignored       {', '.join(ignored)}: this run stays on this machine; "
                "pytest --kore-target or kore-mock contract tests that host"
            ]
            if ignored
            else []
        ),
        f"examples      {settings.examples} per operation, "
        f"{settings.stateful_examples} stateful scenarios, "
        f"coverage phase {'on' if settings.coverage else 'off'}",
        f"seed          {run.seed}  "
        + (
            "(derandomized by Hypothesis' CI profile: every run sends the same data)"
            if hypothesis.settings.default.derandomize
            else f"(KORE_SEED={run.seed} repeats the generated data)"
        ),
        f"requests      {run.target.ledger.requests}"
        + (
            f" (throttled to {settings.rate_per_minute}/min)"
            if run.target.gateway and settings.rate_per_minute
            else ""
        ),
    ]
    cases = run.target.rewriter.cases
    if cases:
        lines.append(
            "cases sent    " + ", ".join(f"{name} {count}" for name, count in sorted(cases.items()))
        )
    if run.target.gateway and run.target.gateway.waited_on_429:
        lines.append(f"429 back-off  {run.target.gateway.waited_on_429:.0f} s")
    if run.baseline.legacy_duplicates:
        lines.append(
            "legacy dups   numbers shared before the run (left out of the invariant): "
            + ", ".join(sorted(run.baseline.legacy_duplicates))
        )
    skipped = run.target.numbers.skipped
    if skipped:
        lines.append(
            f"taken numbers {len(skipped)} fresh number(s) the host refused to the run's number "
            "holder (kept by deleted contacts of earlier runs?) were skipped: "
            + ", ".join(skipped[:10])
            + (" ..." if len(skipped) > 10 else "")
        )
    if run.cleanup is not None:
        lines.append(
            f"cleanup       {run.cleanup.deleted} contact(s) the scenarios left were deleted at "
            f"the end, {len(run.cleanup.remaining)} left (the scenarios delete their own)"
        )
    for index, line in enumerate(run.observed.summary_lines()):
        lines.append(("readings      " if index == 0 else "              ") + line)
    if run.settings.profile_report:
        lines.append(f"reading report {run.settings.profile_report}")
    lines.append(f"wall time     {run.wall_time():.1f} s")
    terminalreporter.write_sep("=", "kore contract suite")
    for line in lines:
        terminalreporter.write_line(line)
