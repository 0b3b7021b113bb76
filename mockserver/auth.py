"""JWT -> the calling app. Nothing else in kore-mock knows about JWT.

Kore's API-scope apps sign HS256 tokens with their client secret; the payload names the app in
``appId``. Any other algorithm (``none`` included) is refused before a key is looked at.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from mockserver.errors import InvalidToken, ScopeDenied, Unauthorized
from mockserver.json_body import is_number
from mockserver.memory import remember
from mockserver.settings import CONFIGURATION_SCOPE, App

ALGORITHM = "HS256"
VERIFIED_CACHE_SIZE = 4096  # tokens remembered after a full check
TIME_CLAIMS = ("exp", "nbf", "iat")  # JWT NumericDates: JSON numbers


@dataclass(frozen=True, slots=True)
class _Verified:
    """A token whose signature was checked, and what still has to hold on each use."""

    client_id: str
    secret: str
    exp: float | None
    nbf: float | None


class Authenticator:
    def __init__(self, apps: Callable[[], Iterable[App]]) -> None:
        self._apps = apps
        self._verified: dict[str, _Verified] = {}

    def app_for(self, token: str | None, headers: Mapping[str, str] | None = None) -> App:
        """The app whose secret signed ``token``, or 401 in Kore's words. (``headers``: the
        request's, for an authenticator that needs more than the token; this one does not.)"""
        if not token:
            # Kore's platform answers a request without the header so (its API tests)
            raise Unauthorized(
                detail="the auth header is missing (send the JWT in the header auth)"
            )
        seen = self._verified.get(token)
        if seen is not None:
            app = next((a for a in self._apps() if a.client_id == seen.client_id), None)
            if app is not None and app.client_secret == seen.secret:
                _check_times(seen)
                return _with_scope(app)
        app, claims = self._verify(token)
        seen = _Verified(
            app.client_id, app.client_secret, _number(claims.get("exp")), _number(claims.get("nbf"))
        )
        remember(self._verified, token, seen, VERIFIED_CACHE_SIZE)
        return _with_scope(app)

    def _verify(self, token: str) -> tuple[App, dict[str, Any]]:
        """Full check of an unseen token: algorithm, app, signature, exp / nbf."""
        header, claims, signature_readable = _unverified(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(detail=f"only {ALGORITHM} is accepted")
        app_id = claims.get("appId")
        if not isinstance(app_id, str) or not app_id:
            raise InvalidToken(detail="appId is missing")
        for name in TIME_CLAIMS:
            if name in claims and _number(claims[name]) is None:
                raise InvalidToken(detail=f"{name} is not a number (a JWT NumericDate)")
        app = next((a for a in self._apps() if a.client_id == app_id), None)
        if app is None or not signature_readable:
            raise Unauthorized()  # an unknown app, or a signature with characters appended
        try:
            claims = jwt.decode(
                token,
                app.client_secret,
                algorithms=[ALGORITHM],
                # exp and nbf are honoured; an iat in the future (a client's clock a second
                # ahead) is not a reason to refuse, as behaviour.md lists only those two
                options={"verify_aud": False, "verify_iat": False},
            )
        except jwt.InvalidSignatureError:
            raise Unauthorized() from None
        except jwt.ExpiredSignatureError:
            raise InvalidToken(detail="the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken(detail="the token is not valid yet") from None
        except jwt.PyJWTError:
            raise InvalidToken() from None
        return app, claims


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """The header and claims of ``token`` before any check, and whether its signature segment
    is readable at all: a token with characters appended (as Kore's own tests send one) may
    leave the signature invalid base64 — still a bad signature, not a token that is no JWT."""
    signed, _, _ = token.rpartition(".")
    # as sent; else header.payload alone, when the signature is all that cannot be read
    readings = [(token, True)] + ([(signed + ".", False)] if signed.count(".") == 1 else [])
    for text, signature_readable in readings:
        try:
            header = jwt.get_unverified_header(text)
            claims = jwt.decode(text, options={"verify_signature": False})
        except jwt.PyJWTError:
            continue
        return header, claims, signature_readable
    raise InvalidToken(detail=_not_a_jwt(token))


def _not_a_jwt(token: str) -> str:
    """Why a token that cannot be read as a JWT is refused: client libraries' auth helpers
    put ``Bearer`` before it, which the header ``auth`` does not take."""
    scheme, _, rest = token.partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        return "send the JWT alone in the header auth, without 'Bearer '"
    return "the token is not a JWT (header.payload.signature, each part base64url)"


def _with_scope(app: App) -> App:
    if CONFIGURATION_SCOPE not in app.scopes:
        raise ScopeDenied()
    return app


def _check_times(seen: _Verified) -> None:
    now = time.time()
    if seen.exp is not None and now >= seen.exp:
        raise InvalidToken(detail="the token has expired")
    if seen.nbf is not None and now < seen.nbf:
        raise InvalidToken(detail="the token is not valid yet")


def _number(value: Any) -> float | None:
    """A NumericDate claim as a float (an integer past a float's range as ±inf), else None:
    not a number, or ``NaN`` / ``Infinity`` (no JSON number) or one whose exponent passes a
    float's range (``1e400``), which Python's JSON reader takes for those."""
    if not is_number(value):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # an iat of NaN was accepted; exp and nbf only failed PyJWT's own check
    try:
        return float(value)
    except OverflowError:  # an integer of 309 digits or more: it was a 500
        return math.inf if value > 0 else -math.inf


def authorize(app: App, account_id: str, stream_id: str) -> None:
    """The app may act only in its own account and on the streams it is allowed."""
    if app.account_id.lower() != account_id.lower() or not app.allows_stream(stream_id):
        raise Unauthorized()


def claimed_app(token: str | None) -> str | None:
    """The ``appId`` a token claims, unverified (for counting calls per app before auth)."""
    if not token:
        return None
    try:
        app_id = jwt.decode(token, options={"verify_signature": False}).get("appId")
    except jwt.PyJWTError:
        return None
    return app_id if isinstance(app_id, str) and app_id else None


def mint_token(app: App, *, ttl: int | None = 3600, subject: str = "kore-mock") -> str:
    """A token exactly like Kore's JWT generation page describes, optionally expiring."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "appId": app.client_id, "iat": now}
    if ttl:
        claims["exp"] = now + ttl
    return jwt.encode(claims, app.client_secret, algorithm=ALGORITHM)
