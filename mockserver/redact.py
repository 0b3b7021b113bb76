"""What the mock writes down about a request never holds a credential.

The journal keeps each request's query string and the errors it was answered; a client that puts
its token or secret in the wrong place (``?auth=eyJ...``, a token in the accountId header) must
not find it in the journal, nor must anyone else who reads the journal.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

import orjson

REDACTED = "REDACTED"
SECRET_NAMES = {
    "auth",
    "authorization",
    "token",
    "access_token",
    "jwt",
    "secret",
    "clientsecret",
    "client_secret",
    "password",
}
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


def redacted_query(raw: bytes) -> str:
    """The query string with the values of credential-named parameters and any JWT hidden."""
    pairs = []
    for pair in raw.decode("latin-1").split("&") if raw else []:
        name, sep, _ = pair.partition("=")
        if sep and unquote_plus(name).strip().lower() in SECRET_NAMES:
            pair = f"{name}={REDACTED}"
        pairs.append(pair)
    return _JWT.sub(REDACTED, "&".join(pairs))


def redacted_text(text: str) -> str:
    """``text`` with anything shaped like a JWT hidden (a JSON text stays valid JSON)."""
    return _JWT.sub(REDACTED, text) if "eyJ" in text else text


def redacted(value: Any) -> Any:
    """``value`` (a journal entry) with every JWT in its strings hidden, wherever a client put
    one: a header it echoes in an error message, a cell of a rejected row... A dict or list
    without one is returned as it is (no copy); one with one, as a changed copy."""
    try:  # most entries hold no JWT at all: one look at their JSON text says so, no walk
        if b"eyJ" not in orjson.dumps(value):
            return value
    except TypeError:  # not JSON (a set, an object): walked like the rest
        pass
    return _redacted(value)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return _JWT.sub(REDACTED, value) if "eyJ" in value else value
    if isinstance(value, dict):
        changed = {key: new for key, item in value.items() if (new := _redacted(item)) is not item}
        return {**value, **changed} if changed else value
    if isinstance(value, list):
        items = [_redacted(item) for item in value]
        same = all(new is old for new, old in zip(items, value, strict=True))
        return value if same else items
    return value
