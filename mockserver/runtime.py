"""Run-time settings shared by every process on one store.

The control plane changes them while the server runs (import policy, apps, faults, the rate
limit); they live in the store's ``state`` table so that all workers — and all machines on one
PostgreSQL — agree.
Start-up settings are the fallback when nothing was changed.
"""

from __future__ import annotations

from typing import Any

from mockserver.settings import App, RateLimit, Settings, check_policy
from mockserver.store.base import Store

POLICY_KEY = "importPolicy"
APPS_KEY = "apps"
FAULTS_KEY = "faults"
RATE_LIMIT_KEY = "rateLimit"


class Runtime:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    def import_policy(self) -> str:
        return self.store.get_state(POLICY_KEY) or self.settings.import_policy

    def set_import_policy(self, policy: str) -> None:
        self.store.set_state(POLICY_KEY, check_policy(policy))

    def apps(self) -> tuple[App, ...]:
        stored = self.store.get_state(APPS_KEY)
        if stored is None:
            return self.settings.apps
        return tuple(App.from_dict(raw) for raw in stored)

    def set_apps(self, apps: tuple[App, ...]) -> None:
        self.store.set_state(APPS_KEY, [a.to_dict(with_secret=True) for a in apps])

    def faults(self) -> dict[str, dict[str, Any]]:
        """operationId (or ``*`` for every operation) -> fault, as the control API shows it."""
        return self.store.get_state(FAULTS_KEY) or {}

    def set_faults(self, faults: dict[str, dict[str, Any]]) -> None:
        self.store.set_state(FAULTS_KEY, faults or None)

    def rate_limit(self) -> RateLimit:
        stored = self.store.get_state(RATE_LIMIT_KEY)
        if stored is None:
            return self.settings.rate_limit
        return RateLimit(enabled=stored["enabled"], per_minute=stored["perMinute"])

    def set_rate_limit(self, limit: RateLimit) -> None:
        self.store.set_state(
            RATE_LIMIT_KEY, {"enabled": limit.enabled, "perMinute": limit.per_minute}
        )

    def reset(self) -> None:
        """Back to the start-up settings: forget every run-time change."""
        for key in (POLICY_KEY, APPS_KEY, FAULTS_KEY, RATE_LIMIT_KEY):
            self.store.set_state(key, None)
