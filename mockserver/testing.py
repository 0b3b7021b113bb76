"""Use kore-mock inside your own tests: ``with kore_mock() as kore:``.

Starts the mock on a free loopback port in a background thread — a real HTTP server, so any
client (requests, httpx, aiohttp, a subprocess running curl) can reach it — with its own
in-memory store, and gives you the URL, ids, a ready token and direct access to the data::

    from mockserver.testing import kore_mock

    with kore_mock() as kore:
        requests.get(kore.contacts_url, headers=kore.headers())
        kore.seed([...], legacy_duplicates=True)
        kore.rejected_rows()   # what the last import / create refused, and why

The pytest plugin (``mockserver.pytest_plugin``, registered by the package) wraps this in the
``kore_mock`` fixture.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
from werkzeug.serving import WSGIRequestHandler, make_server

from mockserver.app import create_app
from mockserver.contacts.csv_rows import read_contacts
from mockserver.contacts.model import Caller, Namespace
from mockserver.faults import Fault
from mockserver.fixture_surface import (
    ENDED,
    READY_TOKEN_TTL,
    FixtureSurface,
    check_stream_id,
    checked_options,
    seed_refused,
    seed_source,
    seed_stream,
)
from mockserver.mock import Mock, mock_of
from mockserver.settings import (
    DEV_APP,
    DEV_STREAM_ID,
    App,
    Limits,
    Settings,
    check_app_accounts,
    check_policy,
)
from mockserver.spec import CONTROL, with_integers
from mockserver.store.base import JournalFilter

SEED_CALLER = Caller.for_app("kore-mock-seed")
POLL_SECONDS = 0.02  # how soon the server thread notices it should stop


class _QuietHandler(WSGIRequestHandler):
    """No access log on the test output; the journal has every request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class KoreMock(FixtureSurface):
    """A running mock: where it is, who may call it, and a window onto its data."""

    base_url: str
    account_id: str
    stream_id: str
    app: App
    flask_app: Any = field(repr=False)
    token: str = field(init=False, repr=False)
    ended: bool = field(default=False, init=False, repr=False)  # its block or test is over
    # a shared server's share has a scenario of its own (X-Mock-Scenario); a mock of one's own
    # needs none
    scenario: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.token = self.mint_token(ttl=READY_TOKEN_TTL)

    # -- calling it ------------------------------------------------------------------------

    def headers(self, token: str | None = None) -> dict[str, str]:
        """The ``auth`` and ``accountId`` headers every vendor API call needs."""
        return {"auth": self.token if token is None else token, "accountId": self.account_id}

    # -- its data --------------------------------------------------------------------------

    @property
    def _mock(self) -> Mock:
        if self.ended:  # its store is gone: a sqlite error from deep inside said nothing useful
            raise RuntimeError(ENDED)
        return mock_of(self.flask_app)

    def _ns(self, stream_id: str | None) -> Namespace:
        return Namespace(self.account_id.lower(), stream_id or self.stream_id)

    def seed(
        self,
        contacts: Sequence[dict[str, Any]] | bytes | str | Path,
        *,
        legacy_duplicates: bool = False,
        stream_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Store contacts directly (JSON-shaped items, or CSV bytes / a CSV file path).

        ``legacy_duplicates=True`` bypasses the duplicate-number rule, like data saved before
        the rule existed: those numbers stay duplicated and still block new saves.
        Returns the stored contacts as the API shows them.
        """
        ns = self._ns(seed_stream(stream_id))
        items = _items(contacts, self._mock.settings.limits)
        outcome = self._mock.service.seed(
            ns, SEED_CALLER, items, legacy_duplicates=legacy_duplicates
        )
        if outcome.rejected and not legacy_duplicates:
            raise seed_refused([r.msg for r in outcome.rejected], stored=len(outcome.created))
        return [c.to_wire() for c in outcome.created]

    def contacts(self, stream_id: str | None = None) -> list[dict[str, Any]]:
        """The ACTIVE contacts of a stream, oldest first, as the API shows them."""
        with self._mock.store.read() as tx:
            return [c.to_wire() for c in tx.active(self._ns(stream_id))]

    def _journal(self, operation: str | None, status: int | None, limit: int) -> list[dict]:
        return self._mock.store.journal_query(
            JournalFilter(operation=operation, status=status), limit=limit
        )

    def set_fault(self, operation: str, **fault: Any) -> None:
        """Inject a fault into one operation (an operationId, or ``*`` for all), as the control
        plane's ``PUT /__mock__/faults/{operation}`` does: ``latencyMs``, ``latencyMaxMs``,
        ``latencyLogNormal={"medianMs", "sigma", "maxMs"}``, ``trickle={"totalMs", "chunks"}``,
        ``errorStatus``, ``errorRate``, ``errorMessage``, ``dropConnection``, ``dropRate``."""
        self._check_operation(operation)
        problem = _fault_problem()(fault)
        if problem is not None:
            raise ValueError(f"fault {fault!r}: {problem}")
        wire = Fault.from_wire(with_integers(copy.deepcopy(fault), "Fault")).to_wire()
        self._mock.runtime.change_faults(lambda faults: {**faults, operation: wire})

    def clear_faults(self) -> None:
        self._mock.runtime.change_faults(lambda faults: {})

    def set_import_policy(self, policy: str) -> None:
        """``skip`` (refused rows left out, 200) or ``reject`` (any refused row -> 400)."""
        self._mock.runtime.set_import_policy(check_policy(policy, name="import_policy"))

    def set_profile(self, readings: dict[str, Any]) -> dict[str, Any]:
        """The tenant profile at run time, like ``PUT /__mock__/profile``: the readings named
        take these values, the others their start-up values. Returns the profile in force.
        ``ValueError`` (``ProfileError``) names a reading or value it does not know."""
        return self._mock.runtime.set_profile(dict(readings)).to_mapping()

    def profile(self) -> dict[str, Any]:
        """Every reading of the tenant profile and its value in force."""
        return self._mock.runtime.profile().to_mapping()

    def reset(self) -> None:
        """Back to the start: no contacts, an empty journal, no faults or run-time changes."""
        self._mock.reset()


@functools.cache
def _fault_problem() -> Any:
    """fault -> what breaks the control contract's ``Fault`` schema, or None."""
    validator = jsonschema_rs.validator_for(
        {"$ref": "#/components/schemas/Fault", "components": CONTROL.document["components"]}
    )
    return lambda fault: next((e.message for e in validator.iter_errors(fault)), None)


def _items(
    contacts: Sequence[dict[str, Any]] | bytes | str | Path, limits: Limits
) -> list[dict[str, Any]]:
    source = seed_source(contacts)
    if isinstance(source, bytes):
        return [row.item for row in read_contacts(source, max_rows=limits.max_import_rows)]
    return source


def _checked_server_options(apps: Any, settings: Any) -> None:
    """``ValueError`` for ``apps`` or ``settings`` of the wrong kind, before anything starts
    (a string, or a settings file's mapping, went on to an AttributeError deep in the mock)."""
    if settings is not None and not isinstance(settings, Settings):
        raise ValueError(
            f"settings must be a mockserver.settings.Settings, not {type(settings).__name__}"
        )
    if settings is not None and not settings.apps:
        raise ValueError("settings has no app: give it one (apps=(App(...),)), or leave apps out")
    if apps is None:
        apps = settings.apps if settings is not None else ()
    elif isinstance(apps, str | bytes | Mapping) or not all(isinstance(a, App) for a in apps):
        raise ValueError(
            "apps must be a list of mockserver.settings.App (App.from_dict builds one from a "
            f"settings file's mapping), not {_kind(apps)}"
        )
    elif not apps:  # as a settings file's empty list: the development app would stand in
        raise ValueError("apps is empty: give it one App at least, or leave apps out")
    for index, app in enumerate(apps):  # as a settings file's app is checked: one line each
        if isinstance(app.streams, str):  # ("st-a") without its comma: the stream "s", "t"...
            raise ValueError(
                f"apps[{index}].streams must be a tuple of stream ids, not the string "
                f"{app.streams!r} (a one-item tuple needs its comma: ({app.streams!r},))"
            )
        App.from_dict(app.to_dict(with_secret=True), f"apps[{index}]")


def _kind(value: Any) -> str:
    if isinstance(value, str | bytes | Mapping):
        return type(value).__name__
    return f"{type(value).__name__} of " + ", ".join(sorted({type(v).__name__ for v in value}))


@contextmanager
def kore_mock(
    *,
    import_policy: str | None = None,
    profile: dict[str, Any] | None = None,
    apps: Sequence[App] | None = None,
    stream_id: str = DEV_STREAM_ID,
    settings: Settings | None = None,
    faults: dict[str, dict[str, Any]] | None = None,
    url: str | None = None,
    admin_token: str | None = None,
) -> Iterator[Any]:
    """Run an isolated mock (in-memory store) on a free loopback port for the block's length.

    ``profile`` is the tenant profile's readings to start with (e.g. ``{"validationStatus":
    400}``; ``ValueError`` names a bad one); ``import_policy`` is its reading importPolicy.
    ``faults`` maps an operationId (or ``*``) to a fault, as ``KoreMock.set_fault`` takes it.
    With ``url`` (a running ``kore-mock serve``, shared with other sessions) no mock is started:
    the block gets a ``SharedKoreMock`` with a namespace and a scenario of its own
    (``mockserver.shared_mock``); ``apps``, ``settings`` and ``stream_id`` are the server's.
    """
    checked_options(profile, faults)
    if import_policy is not None:  # "" too: one message for every bad value
        check_policy(import_policy, name="import_policy")
    if url is not None:
        from mockserver.shared_mock import shared_kore_mock

        given = [
            name for name, value in (("apps", apps), ("settings", settings)) if value is not None
        ] + ["stream_id"] * (stream_id != DEV_STREAM_ID)
        if given:
            raise ValueError(
                f"{' and '.join(given)} given, but apps, settings and stream_id are the shared "
                "server's own: leave them out with url"
            )
        with shared_kore_mock(
            url,
            admin_token=admin_token,
            import_policy=import_policy,
            profile=profile,
            faults=faults,
        ) as shared:
            yield shared
        return
    if admin_token is not None:
        raise ValueError("admin_token is a shared server's: give its url too, or leave it out")
    _checked_server_options(apps, settings)
    base = settings or Settings()
    if profile:
        base = base.with_profile(base.profile.with_readings(profile), "settings", list(profile))
    settings = base.with_overrides(
        db=":memory:",
        host="127.0.0.1",
        port=0,
        apps=tuple(apps) if apps is not None else None,
        import_policy=import_policy,
    )
    check_app_accounts(settings.apps, settings.profile)  # as serve: an app its profile refuses
    app = settings.apps[0]
    if stream_id != DEV_STREAM_ID:  # one asked for: used as it is, or refused
        check_stream_id(stream_id)
        if not app.allows_stream(stream_id):
            raise ValueError(
                f"stream_id {stream_id!r}: the app {app.client_id} may use "
                f"{', '.join(app.streams)} only"
            )
    flask_app = create_app(settings)
    kore: KoreMock | None = None
    try:
        with serve_wsgi(flask_app) as base_url:
            kore = KoreMock(
                base_url=base_url,
                account_id=app.account_id,
                # the default stream, unless the app may not use it: the app's first
                stream_id=stream_id if app.allows_stream(stream_id) else app.example_stream(),
                app=app,
                flask_app=flask_app,
            )
            for operation, fault in (faults or {}).items():
                kore.set_fault(operation, **fault)
            yield kore
    finally:
        if kore is not None:
            kore.ended = True
        mock_of(flask_app).close()


@contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """Any WSGI app on a free loopback port, in a background thread; yields its base URL.

    werkzeug's threaded server (what ``flask run`` uses), without an access log.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": POLL_SECONDS},
        name="kore-mock",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


__all__ = ["DEV_APP", "KoreMock", "kore_mock", "serve_wsgi"]
