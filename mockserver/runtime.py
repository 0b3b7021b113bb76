"""Run-time settings shared by every process on one store.

The control plane changes them while the server runs (import policy, apps); they live in the
store's ``state`` table so that all workers — and all machines on one PostgreSQL — agree.
Start-up settings are the fallback when nothing was changed.
"""

from __future__ import annotations

from mockserver.settings import App, Settings, check_policy
from mockserver.store.base import Store

POLICY_KEY = "importPolicy"
APPS_KEY = "apps"


class Runtime:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._parsed_from: object = None
        self._parsed: tuple[App, ...] = ()

    def import_policy(self) -> str:
        return self.store.get_state(POLICY_KEY) or self.settings.import_policy

    def set_import_policy(self, policy: str) -> None:
        self.store.set_state(POLICY_KEY, check_policy(policy))

    def apps(self) -> tuple[App, ...]:
        stored = self.store.get_state(APPS_KEY)
        if stored is None:
            return self.settings.apps
        if stored != self._parsed_from:  # parse (and check) each stored version once
            self._parsed = tuple(App.from_dict(raw) for raw in stored)
            self._parsed_from = stored
        return self._parsed

    def set_apps(self, apps: tuple[App, ...]) -> None:
        self.store.set_state(APPS_KEY, [a.to_dict(with_secret=True) for a in apps])
