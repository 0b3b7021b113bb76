"""Run-time settings shared by every process on one store.

The control plane changes them while the server runs (import policy, apps, faults, the rate
limit); they live in the store's ``state`` table so that all workers — and all machines on one
PostgreSQL — agree.
Start-up settings are the fallback when nothing was changed.

A *reading* is one named value the mock's behaviour depends on that can change at run time:
``READINGS`` lists them, each with its state key (also its name in the settings file and on
the control plane), its start-up value and its stored form. Apps and faults have their own
atomic read-modify-write methods below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from mockserver.settings import App, RateLimit, Settings, check_policy
from mockserver.store.base import Store

APPS_KEY = "apps"
FAULTS_KEY = "faults"

T = TypeVar("T")


@dataclass(frozen=True)
class Reading(Generic[T]):
    key: str  # the state key; the same name as in the settings file and the control plane
    start_up: Callable[[Settings], T]  # the value when nothing was changed at run time
    load: Callable[[Any], T]  # stored JSON -> value
    dump: Callable[[T], Any]  # value -> stored JSON


IMPORT_POLICY: Reading[str] = Reading(
    "importPolicy", lambda s: s.import_policy, load=str, dump=check_policy
)
RATE_LIMIT: Reading[RateLimit] = Reading(
    "rateLimit",
    lambda s: s.rate_limit,
    load=lambda raw: RateLimit(enabled=raw["enabled"], per_minute=raw["perMinute"]),
    dump=lambda limit: {"enabled": limit.enabled, "perMinute": limit.per_minute},
)
READINGS: tuple[Reading[Any], ...] = (IMPORT_POLICY, RATE_LIMIT)
# every key of the run-time state (what a reset forgets, what a snapshot carries)
STATE_KEYS: tuple[str, ...] = (*(reading.key for reading in READINGS), APPS_KEY, FAULTS_KEY)


class Scope(Protocol):
    """Where one request keeps its read of the state (the web layer's request record)."""

    state: dict[str, Any] | None


def _no_scope() -> Scope | None:
    return None


class Runtime:
    def __init__(
        self, settings: Settings, store: Store, *, scope: Callable[[], Scope | None] = _no_scope
    ) -> None:
        """``scope`` gives the current request's ``Scope``, or None outside a request."""
        self.settings = settings
        self.store = store
        self._scope = scope
        self._parsed_from: object = None
        self._parsed: tuple[App, ...] = ()

    def _get(self, key: str) -> Any:
        """One run-time value. Within a request, every value comes from one read of the state,
        taken at its first use (auth, faults, the rate limit and the policy each need one)."""
        scope = self._scope()
        if scope is None:
            return self.store.get_state(key)
        if scope.state is None:
            scope.state = self.store.all_state()
        return scope.state.get(key)

    def _set(self, key: str, value: Any) -> None:
        self.store.set_state(key, value)
        self._forget_snapshot()

    def _update(self, key: str, change: Callable[[Any], Any]) -> Any:
        value = self.store.update_state(key, change)
        self._forget_snapshot()
        return value

    def _forget_snapshot(self) -> None:
        scope = self._scope()
        if scope is not None:
            scope.state = None  # this request reads what it just wrote

    def get(self, reading: Reading[T]) -> T:
        """The reading's run-time value, or its start-up value when nothing changed it."""
        stored = self._get(reading.key)
        return reading.start_up(self.settings) if stored is None else reading.load(stored)

    def set(self, reading: Reading[T], value: T) -> None:
        self._set(reading.key, reading.dump(value))

    def import_policy(self) -> str:
        return self.get(IMPORT_POLICY)

    def set_import_policy(self, policy: str) -> None:
        self.set(IMPORT_POLICY, policy)

    def apps(self) -> tuple[App, ...]:
        return self._parse_apps(self._get(APPS_KEY))

    def _parse_apps(self, stored: Any) -> tuple[App, ...]:
        if stored is None:
            return self.settings.apps
        if stored != self._parsed_from:  # parse (and check) each stored version once
            self._parsed = tuple(App.from_dict(raw) for raw in stored)
            self._parsed_from = stored
        return self._parsed

    def change_apps(self, change: Callable[[tuple[App, ...]], tuple[App, ...]]) -> None:
        """Apply ``change`` to the current apps atomically (across workers)."""
        self._update(
            APPS_KEY,
            lambda stored: [a.to_dict(with_secret=True) for a in change(self._parse_apps(stored))],
        )

    def faults(self) -> dict[str, dict[str, Any]]:
        """operationId (or ``*`` for every operation) -> fault, as the control API shows it."""
        return self._get(FAULTS_KEY) or {}

    def change_faults(
        self, change: Callable[[dict[str, dict[str, Any]]], dict[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any]]:
        """Apply ``change`` to the faults atomically (across workers); returns the new faults."""
        return self._update(FAULTS_KEY, lambda stored: change(dict(stored or {})) or None) or {}

    def rate_limit(self) -> RateLimit:
        return self.get(RATE_LIMIT)

    def set_rate_limit(self, limit: RateLimit) -> None:
        self.set(RATE_LIMIT, limit)

    def reset(self) -> None:
        """Back to the start-up settings: forget every run-time change."""
        for key in STATE_KEYS:
            self._set(key, None)
