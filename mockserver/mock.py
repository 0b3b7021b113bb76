"""``Mock``: everything one app instance works with, and the one way to reach it.

``create_app`` builds one ``Mock`` and attaches it to its Flask app; request code gets it with
``current_mock()``, code holding the app (the test helper, the contract suite) with
``mock_of(app)``. Nothing else knows where it is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import Flask, current_app

from mockserver.auth import Authenticator
from mockserver.contacts.service import ContactsService
from mockserver.runtime import Runtime
from mockserver.settings import Settings
from mockserver.store.base import Store, StoreContents

_EXTENSION = "kore_mock"  # the key in ``Flask.extensions``


class ShadowSource(Protocol):
    """What a shadowing proxy (``shadow.proxy``) shows of its exchanges through this mock's
    control plane (``GET /__mock__/shadow``)."""

    upstream: str

    def view(self, *, differing: bool | None, limit: int) -> dict[str, Any]: ...

    def clear(self) -> None: ...


@dataclass
class Mock:
    settings: Settings
    store: Store
    runtime: Runtime
    service: ContactsService
    authenticator: Authenticator
    shadow: ShadowSource | None = None  # set when this mock is the mirror of a proxy
    # set by close(): a request still on its way (one waiting out a fault's delay when the
    # test that started an in-process mock ended) is answered 503 without an error logged
    closed: bool = field(default=False, init=False, repr=False)

    def attach(self, app: Flask) -> None:
        app.extensions[_EXTENSION] = self

    def reset(self) -> int:
        """Everything back to start-up: contacts, journal, rate-limit counters and run-time
        settings (policy, apps, faults, rate limit). Returns how many contacts were removed."""
        # one replace by empty contents: all or nothing, also across a crash (four steps of
        # their own were each committed alone: a kill -9 left contacts gone and faults in force)
        removed = self.store.replace_contents(StoreContents(contacts=[], state={}, journal=[]))
        if self.shadow is not None:
            self.shadow.clear()
        return removed

    def close(self) -> None:
        """Release the store's connections (the app must not serve requests afterwards)."""
        self.closed = True
        self.store.close()


def mock_of(app: Flask) -> Mock:
    """The ``Mock`` behind an app made by ``create_app``."""
    return app.extensions[_EXTENSION]


def current_mock() -> Mock:
    """The ``Mock`` of the app serving the current request."""
    return mock_of(current_app)
