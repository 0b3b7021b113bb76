"""Apps at run time: add, remove, rotate a secret. They live in ``Runtime`` (the store)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from mockserver.errors import Conflict, NotFound, ValidationError
from mockserver.runtime import Runtime
from mockserver.settings import App, SettingsError


def new_secret() -> str:
    """A random client secret (48 URL-safe characters, above the 32-character minimum)."""
    return secrets.token_urlsafe(36)


def add_app(runtime: Runtime, raw: dict[str, Any]) -> App:
    try:
        app = App.from_dict({"clientSecret": new_secret(), **raw}, where="app")
    except SettingsError as exc:
        raise ValidationError(str(exc)) from None
    apps = runtime.apps()
    if any(a.client_id == app.client_id for a in apps):
        raise Conflict(f"An app with clientId {app.client_id!r} exists already")
    runtime.set_apps((*apps, app))
    return app


def remove_app(runtime: Runtime, client_id: str) -> App:
    apps = runtime.apps()
    app = _find(apps, client_id)
    runtime.set_apps(tuple(a for a in apps if a.client_id != client_id))
    return app


def rotate_secret(runtime: Runtime, client_id: str, secret: str | None = None) -> App:
    apps = runtime.apps()
    rotated = replace(_find(apps, client_id), client_secret=secret or new_secret())
    runtime.set_apps(tuple(rotated if a.client_id == client_id else a for a in apps))
    return rotated


def _find(apps: tuple[App, ...], client_id: str) -> App:
    for app in apps:
        if app.client_id == client_id:
            return app
    raise NotFound(f"No app with clientId {client_id!r}")
