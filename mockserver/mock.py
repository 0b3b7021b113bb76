"""``Mock``: everything one app instance works with, and the one way to reach it.

``create_app`` builds one ``Mock`` and attaches it to its Flask app; request code gets it with
``current_mock()``, code holding the app (the test helper, the contract suite) with
``mock_of(app)``. Nothing else knows where it is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from mockserver.auth import Authenticator
from mockserver.contacts.service import ContactsService
from mockserver.runtime import Runtime
from mockserver.settings import Settings
from mockserver.store.base import Store

_EXTENSION = "kore_mock"  # the key in ``Flask.extensions``


@dataclass
class Mock:
    settings: Settings
    store: Store
    runtime: Runtime
    service: ContactsService
    authenticator: Authenticator

    def attach(self, app: Flask) -> None:
        app.extensions[_EXTENSION] = self

    def reset(self) -> int:
        """Everything back to start-up: contacts, journal, rate-limit counters and run-time
        settings (policy, apps, faults, rate limit). Returns how many contacts were removed."""
        removed = self.store.reset()
        self.store.journal_clear()
        self.store.counters_clear()
        self.runtime.reset()
        return removed

    def close(self) -> None:
        """Release the store's connections (the app must not serve requests afterwards)."""
        self.store.close()


def mock_of(app: Flask) -> Mock:
    """The ``Mock`` behind an app made by ``create_app``."""
    return app.extensions[_EXTENSION]


def current_mock() -> Mock:
    """The ``Mock`` of the app serving the current request."""
    return mock_of(current_app)
