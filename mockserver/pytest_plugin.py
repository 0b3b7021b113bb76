"""pytest plugin (entry point ``pytest11``): the ``kore_mock`` fixtures.

``kore_mock`` gives each test its own mock (fresh data); ``kore_mock_session`` shares one for
the whole run. Options per test come from a marker or from the ``kore_mock_options`` fixture::

    @pytest.mark.kore_mock(import_policy="reject")
    def test_refused_file(kore_mock): ...

    @pytest.mark.kore_mock(profile={"validationStatus": 400})
    def test_a_tenant_that_answers_400(kore_mock): ...

``--kore-mock-url URL`` (or ``KORE_MOCK_SHARED_URL``) points them at a running ``kore-mock
serve`` shared with other sessions instead: each fixture then has a namespace and a scenario
of its own, and its faults, import policy and profile hit only its own requests
(``mockserver.shared_mock``). ``--kore-mock-admin-token`` / ``KORE_MOCK_ADMIN_TOKEN`` for a
server started with one.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

MARKER = "kore_mock"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kore-mock")
    group.addoption(
        "--kore-mock-url",
        default=os.environ.get("KORE_MOCK_SHARED_URL") or None,
        help="a running kore-mock serve the kore_mock fixtures share (each in its own "
        "namespace and scenario); env KORE_MOCK_SHARED_URL. Default: a mock per fixture.",
    )
    group.addoption(
        "--kore-mock-admin-token",
        default=os.environ.get("KORE_MOCK_ADMIN_TOKEN") or None,
        help="the shared server's admin token; env KORE_MOCK_ADMIN_TOKEN.",
    )


def _shared(config: pytest.Config) -> dict[str, Any]:
    url = config.getoption("kore_mock_url", None)
    if not url:
        return {}
    return {"url": url, "admin_token": config.getoption("kore_mock_admin_token", None)}


def pytest_configure(config: pytest.Config) -> None:
    token = config.getoption("kore_mock_admin_token", None)
    from_flag = token and token != os.environ.get("KORE_MOCK_ADMIN_TOKEN")  # the env is serve's too
    if from_flag and not config.getoption("kore_mock_url", None):
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(
                "--kore-mock-admin-token is unused without --kore-mock-url (or "
                "KORE_MOCK_SHARED_URL): each kore_mock starts a mock of its own, without one"
            ),
            stacklevel=2,
        )
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): options for the kore_mock fixture "
        "(import_policy='skip'|'reject', profile={reading: value}, "
        "faults={operationId: {...}}, apps=[...], "
        "stream_id='st-...', settings=Settings(...))",
    )


@pytest.fixture
def kore_mock_options() -> dict[str, Any]:
    """Override in a conftest.py to change the defaults of every ``kore_mock`` in scope."""
    return {}


@pytest.fixture
def kore_mock(request: pytest.FixtureRequest, kore_mock_options: dict[str, Any]) -> Iterator[Any]:
    """An isolated kore-mock on a free loopback port, with a ready token (``kore_mock.token``)."""
    from mockserver.testing import kore_mock as start

    if not isinstance(kore_mock_options, Mapping):  # an override that forgot its return
        pytest.fail(
            f"kore_mock_options must return a dict of options (import_policy=..., profile=..."
            f"), not {type(kore_mock_options).__name__}: does the override return it?",
            pytrace=False,
        )
    options = {**_shared(request.config), **kore_mock_options}
    # every marker in scope (module, class, the test; two stacked on one test), the closest
    # last: its options win, the others' stay (only the closest one was read)
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.{MARKER} takes keyword arguments only (import_policy=..., "
                f"profile=..., faults=...), not {', '.join(map(repr, marker.args))}",
                pytrace=False,
            )
        options.update(marker.kwargs)
    with _started(start, options) as kore:
        yield kore


@pytest.fixture(scope="session")
def kore_mock_session(request: pytest.FixtureRequest) -> Iterator[Any]:
    """One kore-mock shared by every test of the session (data persists between tests)."""
    from mockserver.testing import kore_mock as start

    with _started(start, _shared(request.config)) as kore:
        yield kore


@contextlib.contextmanager
def _started(start: Any, options: dict[str, Any]) -> Iterator[Any]:
    """``start(**options)`` entered; a bad option or an unreachable shared server fails the
    test with its message alone (not a traceback through this plugin's and the mock's code).
    What the test body raises goes on as it is."""
    known = set(inspect.signature(start).parameters)
    unknown = sorted(set(options) - known)
    if unknown:
        pytest.fail(
            f"{MARKER}: unknown option(s) {', '.join(unknown)}; "
            f"the options are {', '.join(sorted(known))}",
            pytrace=False,
        )
    with contextlib.ExitStack() as stack:
        try:
            kore = stack.enter_context(start(**options))
        except (ValueError, TypeError, RuntimeError) as exc:
            failure = f"{MARKER}: {exc}"
        else:
            failure = None
        if failure:  # failed outside the handler: the message once, without "During handling"
            pytest.fail(failure, pytrace=False)
        try:
            yield kore
        finally:
            ended = _ended(stack)
            if ended:  # the test's own failure, if any, is reported as well, by pytest
                pytest.fail(ended, pytrace=False)


def _ended(stack: contextlib.ExitStack) -> str | None:
    """The mock's end (a shared server's cleanup) run; its failure as one line, not a
    traceback through this plugin's and the mock's code."""
    try:
        stack.close()
    except (ValueError, TypeError, RuntimeError) as exc:
        return f"{MARKER}: {exc}"
    return None
