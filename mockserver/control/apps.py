"""Apps at run time: add, remove, rotate a secret. They live in ``Runtime`` (the store)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from mockserver.errors import Conflict, NotFound, ValidationError
from mockserver.runtime import Runtime
from mockserver.settings import App, SettingsError, check_app_account


def new_secret() -> str:
    """A random client secret (48 URL-safe characters, above the 32-character minimum)."""
    return secrets.token_urlsafe(36)


def add_app(runtime: Runtime, raw: dict[str, Any]) -> App:
    try:
        app = App.from_dict({"clientSecret": new_secret(), **raw}, where="app")
        check_app_account(app, runtime.profile())
    except SettingsError as exc:
        raise ValidationError(str(exc)) from None

    def added(apps: tuple[App, ...]) -> tuple[App, ...]:
        if any(a.client_id == app.client_id for a in apps):
            raise Conflict(f"An app with clientId {app.client_id!r} exists already")
        return (*apps, app)

    runtime.change_apps(added)
    return app


def remove_app(runtime: Runtime, client_id: str) -> App:
    removed: list[App] = []

    def without(apps: tuple[App, ...]) -> tuple[App, ...]:
        removed.append(_find(apps, client_id))
        return tuple(a for a in apps if a.client_id != client_id)

    runtime.change_apps(without)
    return removed[-1]


def rotate_secret(runtime: Runtime, client_id: str, secret: str | None = None) -> App:
    rotated: list[App] = []

    def with_new_secret(apps: tuple[App, ...]) -> tuple[App, ...]:
        rotated.append(replace(_find(apps, client_id), client_secret=secret or new_secret()))
        return tuple(rotated[-1] if a.client_id == client_id else a for a in apps)

    runtime.change_apps(with_new_secret)
    return rotated[-1]


def _find(apps: tuple[App, ...], client_id: str) -> App:
    for app in apps:
        if app.client_id == client_id:
            return app
    raise NotFound(f"No app with clientId {client_id!r}")
