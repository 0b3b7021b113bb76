"""JWT -> the calling app. Nothing else in kore-mock knows about JWT.

Kore's API-scope apps sign HS256 tokens with their client secret; the payload names the app in
``appId``. Any other algorithm (``none`` included) is refused before a key is looked at.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import jwt

from mockserver.errors import InvalidToken, ScopeDenied, Unauthorized
from mockserver.settings import CONFIGURATION_SCOPE, App

ALGORITHM = "HS256"


class Authenticator:
    def __init__(self, apps: Callable[[], Iterable[App]]) -> None:
        self._apps = apps

    def app_for(self, token: str | None) -> App:
        """The app whose secret signed ``token``, or 401 in Kore's words."""
        if not token:
            raise InvalidToken("Invalid JWT token: the auth header is missing")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken() from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"Invalid JWT token: only {ALGORITHM} is accepted")
        app_id = claims.get("appId")
        if not isinstance(app_id, str) or not app_id:
            raise InvalidToken("Invalid JWT token: appId is missing")
        app = next((a for a in self._apps() if a.client_id == app_id), None)
        if app is None:
            raise Unauthorized()
        try:
            jwt.decode(
                token,
                app.client_secret,
                algorithms=[ALGORITHM],
                options={"verify_aud": False},
            )
        except jwt.InvalidSignatureError:
            raise Unauthorized() from None
        except jwt.ExpiredSignatureError:
            raise InvalidToken("Invalid JWT token: the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("Invalid JWT token: the token is not valid yet") from None
        except jwt.PyJWTError:
            raise InvalidToken() from None
        if CONFIGURATION_SCOPE not in app.scopes:
            raise ScopeDenied()
        return app


def authorize(app: App, account_id: str, stream_id: str) -> None:
    """The app may act only in its own account and on the streams it is allowed."""
    if app.account_id.lower() != account_id.lower() or not app.allows_stream(stream_id):
        raise Unauthorized()


def mint_token(app: App, *, ttl: int | None = 3600, subject: str = "kore-mock") -> str:
    """A token exactly like Kore's JWT generation page describes, optionally expiring."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "appId": app.client_id, "iat": now}
    if ttl:
        claims["exp"] = now + ttl
    return jwt.encode(claims, app.client_secret, algorithm=ALGORITHM)
