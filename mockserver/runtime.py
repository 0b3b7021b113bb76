"""Run-time settings shared by every process on one store.

The control plane changes them while the server runs (import policy, apps, faults, the rate
limit); they live in the store's ``state`` table so that all workers — and all machines on one
PostgreSQL — agree.
Start-up settings are the fallback when nothing was changed.

A *reading* is one named value the mock's behaviour depends on that can change at run time:
``READINGS`` lists them, each with its state key (also its name in the settings file and on
the control plane), its start-up value and its stored form. The tenant profile (its readings are
in ``profile.py``) is one of them: what is stored is the readings set at run time, over the
start-up profile. Apps and faults have their own atomic read-modify-write methods below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from mockserver.faults import EVERY_OPERATION
from mockserver.profile import Profile, ProfileError
from mockserver.settings import (
    App,
    RateLimit,
    Settings,
    SettingsError,
    check_app_accounts,
    check_policy,
)
from mockserver.store.base import Store

APPS_KEY = "apps"
FAULTS_KEY = "faults"
SCOPES_KEY = "scopes"  # scope key -> {"faults": {operationId: fault}, "readings": {key: value}}
LEGACY_POLICY_KEY = "importPolicy"  # where stores written before the profile keep the policy
RUNTIME_ORIGIN = "runtime"

T = TypeVar("T")


@dataclass(frozen=True)
class Reading(Generic[T]):
    key: str  # the state key; the same name as in the settings file and the control plane
    start_up: Callable[[Settings], T]  # the value when nothing was changed at run time
    load: Callable[[Any], T]  # stored JSON -> value
    dump: Callable[[T], Any]  # value -> stored JSON


def _checked_readings(readings: dict[str, Any]) -> dict[str, Any] | None:
    Profile.from_mapping(readings)  # ProfileError names a bad key or value
    return dict(readings) or None


PROFILE: Reading[dict[str, Any]] = Reading(
    "profile",
    lambda s: {},  # nothing set at run time: the start-up profile
    load=dict,
    dump=_checked_readings,
)
RATE_LIMIT: Reading[RateLimit] = Reading(
    "rateLimit",
    lambda s: s.rate_limit,
    load=lambda raw: RateLimit(enabled=raw["enabled"], per_minute=raw["perMinute"]),
    dump=lambda limit: {"enabled": limit.enabled, "perMinute": limit.per_minute},
)
READINGS: tuple[Reading[Any], ...] = (PROFILE, RATE_LIMIT)


# what each state key holds, as the start-up banner names it
_STATE_NAMES = {
    PROFILE.key: "profile readings",
    LEGACY_POLICY_KEY: "import policy",
    RATE_LIMIT.key: "rate limit",
    APPS_KEY: "apps",
    FAULTS_KEY: "faults",
    SCOPES_KEY: "scopes",
}


def stored_changes(state: dict[str, Any]) -> list[str]:
    """What a store holds of run-time changes (``all_state()``), named: a server started on
    it serves with them, over its start-up settings, until a reset."""
    named = []
    for key, name in _STATE_NAMES.items():
        value = state.get(key)
        if value:
            named.append(f"{name} ({_shown_values(key, value)})" if key in _SHOWN else name)
    return named


_SHOWN = (PROFILE.key, LEGACY_POLICY_KEY, RATE_LIMIT.key)  # the note says their values


def _shown_values(key: str, value: Any) -> str:
    if key == RATE_LIMIT.key:
        limit = RATE_LIMIT.load(value)
        return f"{limit.per_minute} a minute" if limit.enabled else "off"
    if key == PROFILE.key:
        return ", ".join(f"{name}: {reading}" for name, reading in value.items())
    return str(value)


class Scope(Protocol):
    """Where one request keeps its read of the state (the web layer's request record), and
    the keys of the scopes (``mockserver.scopes``) it belongs to, most specific first."""

    state: dict[str, Any] | None
    scopes: list[str]


def _no_scope() -> Scope | None:
    return None


def _copied(entry: dict[str, Any]) -> dict[str, Any]:
    return {part: dict(value) for part, value in entry.items()}


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
        """The reading's value for the current request: the one its most specific scope sets,
        else the run-time value, else the start-up value."""
        return self.get_with_origin(reading)[0]

    def get_with_origin(self, reading: Reading[T]) -> tuple[T, str | None]:
        """The value, and the key of the scope that set it (None: set for everyone)."""
        for key in self._request_scopes():
            stored = self._scoped_entry(key).get("readings", {}).get(reading.key)
            if stored is not None:
                return reading.load(stored), key
        stored = self._get(reading.key)
        value = reading.start_up(self.settings) if stored is None else reading.load(stored)
        return value, None

    def scoped_value(self, reading: Reading[T], scope_key: str) -> T:
        """The reading as the requests of one scope see it."""
        stored = self._scoped_entry(scope_key).get("readings", {}).get(reading.key)
        if stored is not None:
            return reading.load(stored)
        stored = self._get(reading.key)
        return reading.start_up(self.settings) if stored is None else reading.load(stored)

    def set_scoped(self, scope_key: str, reading: Reading[T], value: T) -> None:
        dumped = reading.dump(value)

        def change(entry: dict[str, Any]) -> dict[str, Any]:
            entry.setdefault("readings", {})[reading.key] = dumped
            return entry

        self.change_scope(scope_key, change)

    # -- scopes ---------------------------------------------------------------------------

    def _request_scopes(self) -> list[str]:
        scope = self._scope()
        return list(getattr(scope, "scopes", ()) or ()) if scope is not None else []

    def _scoped_entry(self, key: str) -> dict[str, Any]:
        return (self._get(SCOPES_KEY) or {}).get(key) or {}

    def scoped(self) -> dict[str, dict[str, Any]]:
        """Every scope key with what it sets (``faults``, ``readings``)."""
        return self._get(SCOPES_KEY) or {}

    def change_scope(
        self, key: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """Apply ``change`` to one scope's entry atomically; an entry left empty is dropped.
        Returns the entry as it now is ({} when dropped)."""

        def update(stored: Any) -> Any:
            scopes = dict(stored or {})
            entry = change(_copied(scopes.get(key) or {})) or {}
            entry = {part: value for part, value in entry.items() if value}
            if entry:
                scopes[key] = entry
            else:
                scopes.pop(key, None)
            return scopes or None

        return (self._update(SCOPES_KEY, update) or {}).get(key, {})

    def forget_scope(self, key: str) -> bool:
        """Drop everything one scope sets; whether there was anything."""
        existed = key in self.scoped()
        self.change_scope(key, lambda entry: None)
        return existed

    def fault_for(self, operation: str) -> tuple[dict[str, Any] | None, str | None]:
        """The fault the current request meets on ``operation``, and the scope that set it:
        its scopes first (an operation's own fault before ``*``), then the unscoped faults."""
        for key in self._request_scopes():
            faults = self._scoped_entry(key).get("faults") or {}
            raw = faults.get(operation) or faults.get(EVERY_OPERATION)
            if raw is not None:
                return raw, key
        faults = self.faults()
        return faults.get(operation) or faults.get(EVERY_OPERATION), None

    def set(self, reading: Reading[T], value: T) -> None:
        self._set(reading.key, reading.dump(value))

    # -- the tenant profile ----------------------------------------------------------------
    # The readings set at run time for everyone (state key ``profile``), and for a scope (its
    # entry's ``readings.profile``) over them: a request sees the start-up profile, then the
    # run-time readings, then those of its scopes (the most specific last, so it wins).

    def _profile_layers(self, scope_key: str | None) -> list[dict[str, Any]]:
        stored = self._get(PROFILE.key)
        unscoped = dict(stored or {})
        legacy = self._get(LEGACY_POLICY_KEY)
        if legacy is not None and "importPolicy" not in unscoped:
            unscoped["importPolicy"] = legacy
        keys = self._request_scopes() if scope_key is None else [scope_key]
        scoped = [self._scoped_entry(key).get("readings", {}).get(PROFILE.key) for key in keys]
        return [unscoped, *(dict(layer) for layer in reversed(scoped) if layer)]

    def changed_readings(self, scope_key: str | None = None) -> dict[str, Any]:
        """The readings set at run time (``PUT /__mock__/profile``, the import policy) that
        the current request sees — or, given ``scope_key``, the requests of that scope."""
        changed: dict[str, Any] = {}
        for layer in self._profile_layers(scope_key):
            changed.update(layer)
        return changed

    def scoped_readings(self, scope_key: str) -> dict[str, Any]:
        """The readings one scope sets (over the run-time ones)."""
        return dict(self._scoped_entry(scope_key).get("readings", {}).get(PROFILE.key) or {})

    def profile(self, scope_key: str | None = None) -> Profile:
        """The profile in force: the start-up profile with the readings set at run time (for
        everyone, then for the request's scopes, or for ``scope_key``'s)."""
        changed = self.changed_readings(scope_key)
        if not changed:  # nothing set at run time: the start-up profile, as it is
            return self.settings.profile
        return self.settings.profile.with_readings(changed, "run-time profile")

    def origin(self, name: str, scope_key: str | None = None) -> str:
        """Where a reading's value comes from: runtime, or its start-up origin."""
        if name in self.changed_readings(scope_key):
            return RUNTIME_ORIGIN
        return self.settings.origin(name)

    def set_profile(self, readings: dict[str, Any], scope_key: str | None = None) -> Profile:
        """``PUT /__mock__/profile``: the readings named take these values, the others their
        start-up values (for every worker) — or, for a scope, the values everyone else sees.
        ``ProfileError`` names a bad key or value."""
        if scope_key is not None:
            self._change_scoped_readings(scope_key, lambda stored: readings)
            return self.profile(scope_key)
        profile = self.settings.profile.with_readings(readings)  # ProfileError: a bad reading
        try:  # an app the profile would refuse every request of
            check_app_accounts(self.apps(), profile)
        except SettingsError as exc:
            raise ProfileError(f"{exc}; remove that app or change its account first") from None
        self.set(PROFILE, readings)
        self._set(LEGACY_POLICY_KEY, None)
        return self.profile()

    def change_readings(self, readings: dict[str, Any], scope_key: str | None = None) -> Profile:
        """Change some readings, keeping the other run-time changes (atomically)."""
        if scope_key is not None:
            self._change_scoped_readings(scope_key, lambda stored: {**stored, **readings})
            return self.profile(scope_key)
        self._update(PROFILE.key, lambda stored: _checked_readings({**(stored or {}), **readings}))
        return self.profile()

    def _change_scoped_readings(
        self, scope_key: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> None:
        def update(entry: dict[str, Any]) -> dict[str, Any]:
            held = entry.setdefault("readings", {})
            changed = _checked_readings(change(dict(held.get(PROFILE.key) or {})))
            if changed is None:
                held.pop(PROFILE.key, None)
            else:
                held[PROFILE.key] = changed
            return entry

        self.change_scope(scope_key, update)

    def import_policy(self, scope_key: str | None = None) -> str:
        return self.profile(scope_key).import_policy

    def set_import_policy(self, policy: str, scope_key: str | None = None) -> None:
        self.change_readings({"importPolicy": check_policy(policy)}, scope_key)

    def apps(self) -> tuple[App, ...]:
        return self._parse_apps(self._get(APPS_KEY))

    def _parse_apps(self, stored: Any) -> tuple[App, ...]:
        if stored is None:
            return self.settings.apps
        if stored != self._parsed_from:  # parse each stored version once
            self._parsed = tuple(App.kept(raw) for raw in stored)
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
