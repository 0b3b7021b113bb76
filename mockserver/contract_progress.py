"""The progress of ``kore-mock contract``: tests done of those collected, requests sent so far.

A pytest plugin that ``kore-mock contract`` hands to pytest. On a terminal it draws one bar in
place of pytest's row of dots (failures are still reported in full at the end); in a log it
adds a plain line now and then, so that a run throttled to Kore's 60 requests a minute shows it
is alive between tests.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import pytest

from mockserver.progress import Progress, draws_bar


class ContractProgress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.config: pytest.Config | None = None
        self.progress: Progress | None = None
        self.failed: set[str] = set()
        self.bar = draws_bar(self.stream)

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if self.bar and reporter is not None:
            reporter.showfspath = False  # the bar tells where the run is

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.progress = Progress(
            "contract", len(session.items), unit="tests", stream=self.stream, status=self.status
        )

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        result = yield
        if self.bar and self.progress is not None and result:
            category = result[0]
            return category, "", ""  # no dot or letter: the bar stands for them
        return result

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.add(report.nodeid)
        if report.when == "teardown" and self.progress is not None:
            self.progress.advance(1)

    def pytest_sessionfinish(self) -> None:
        if self.progress is not None:
            self.progress.close()

    def status(self) -> str:
        requests = self._requests()
        sent = "" if requests is None else f"{requests:,} requests, "
        return f"{sent}{len(self.failed)} failed"

    def _requests(self) -> int | None:
        try:
            from contract_tests.conftest import RUN_KEY
        except ImportError:  # pragma: no cover - the suite is what `contract` runs
            return None
        run = self.config.stash.get(RUN_KEY, None) if self.config is not None else None
        return None if run is None else run.target.ledger.requests
