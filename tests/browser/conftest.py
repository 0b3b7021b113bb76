"""Real headless Chromium (Debian's chromium + chromium-driver) driving the QA console.

In CI (``mockserver.ci.in_ci``: CI=true, CI=1...) a missing browser fails these tests;
elsewhere they are skipped. Set KORE_MOCK_SCREENSHOTS=DIR to save screenshots of the console
(docs/ keeps the README's).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mockserver.app import create_app
from mockserver.ci import in_ci
from mockserver.mock import mock_of
from mockserver.settings import Limits, Settings
from tests.conftest import TEST_APPS
from tests.live import threaded_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1440,1000",
)


def _missing(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI needs the browser: {reason} (apt-get install chromium chromium-driver)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            _missing(f"{binary} is not installed")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[test]')")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    profile = tempfile.mkdtemp(prefix="kore-mock-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Live:
    url: str
    app: Any

    @property
    def console(self) -> str:
        return self.url + "/__mock__/ui"


@pytest.fixture
def live() -> Iterator[Live]:
    app = create_app(Settings(db=":memory:", apps=TEST_APPS, limits=Limits(max_import_rows=500)))
    try:
        with threaded_server(app) as url:
            yield Live(url, app)
    finally:
        mock_of(app).close()


ADMIN_TOKEN = "secret-tok-123"


@pytest.fixture
def live_with_token() -> Iterator[Live]:
    """A server whose control plane needs the admin token ``ADMIN_TOKEN``."""
    app = create_app(Settings(db=":memory:", apps=TEST_APPS, admin_token=ADMIN_TOKEN))
    try:
        with threaded_server(app) as url:
            yield Live(url, app)
    finally:
        mock_of(app).close()


@pytest.fixture
def screenshot(browser: Any) -> Any:
    """``screenshot(name)`` saves the page to $KORE_MOCK_SCREENSHOTS/name.png when set."""
    target = os.environ.get("KORE_MOCK_SCREENSHOTS")

    def take(name: str) -> None:
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(Path(target) / f"{name}.png"))

    return take
