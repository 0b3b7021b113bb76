"""One error hierarchy, rendered in Kore's platform envelope by one handler.

Every error a client can see is an ``ApiError``: it carries the HTTP status and one or more
``{"msg", "code"}`` entries (plus kore-mock's optional per-row fields). ``envelope`` is the only
place that builds the wire body of an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Codes inside the envelope. Kore documents 4002 for credential failures; the rest follow the
# HTTP status (an inference, listed in the README).
AUTH_CODE = 4002
SCOPE_CODE = 4003

MAX_DETAIL_CHARS = 200  # one validation finding
MAX_MESSAGE_CHARS = 1000  # a whole message: it never echoes a whole hostile value

RATE_LIMIT_MSG = (
    "You've exceeded the per-minute rate limit. Please wait for sometime before retrying."
)


class ApiError(Exception):
    """An error answered to the client in Kore's envelope."""

    status = 500
    code = 500
    default_msg = "Internal server error"

    def __init__(
        self,
        msg: str | None = None,
        *,
        entries: Iterable[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.msg = msg or self.default_msg
        super().__init__(self.msg)
        self.entries = list(entries) if entries is not None else [{"msg": self.msg}]
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return envelope(self.entries, self.code)


class ValidationError(ApiError):
    status = 400
    code = 400
    default_msg = "Validation errors/ Invalid arguments"


class Unauthorized(ApiError):
    status = 401
    code = AUTH_CODE
    default_msg = "Invalid SDK credentials"


class InvalidToken(Unauthorized):
    default_msg = "Invalid JWT token"


class ScopeDenied(Unauthorized):
    code = SCOPE_CODE
    default_msg = "Permission denied. Scope is incorrect!"


class Forbidden(ApiError):
    """Control plane: the caller is neither on loopback nor holding the admin token."""

    status = 403
    code = 403
    default_msg = "Forbidden"


class NotFound(ApiError):
    status = 404
    code = 404
    default_msg = "Not Found"


class MethodNotAllowed(ApiError):
    status = 405
    code = 405
    default_msg = "Method Not Allowed"


class Conflict(ApiError):
    status = 409
    code = 409
    default_msg = "Conflict"


class PayloadTooLarge(ApiError):
    status = 413
    code = 413
    default_msg = "Request entity too large"


class UnsupportedMediaType(ApiError):
    status = 415
    code = 415
    default_msg = "Unsupported Media Type"


class RateLimited(ApiError):
    status = 429
    code = 429
    default_msg = RATE_LIMIT_MSG


class InjectedFault(ApiError):
    """An error status the control plane asked for (fault injection)."""

    def __init__(self, status: int, msg: str | None = None) -> None:
        self.status = status
        self.code = status
        super().__init__(msg or f"Injected fault: HTTP {status}")


def envelope(entries: Iterable[dict[str, Any]], code: int) -> dict[str, Any]:
    """Kore's error body: every entry has a ``msg`` and an integer ``code``."""
    return {
        "errors": [{"msg": e["msg"], "code": e.get("code", code), **_extra(e)} for e in entries]
    }


def _extra(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("msg", "code") and v is not None}


def clip(text: str, limit: int) -> str:
    """``text``, cut to ``limit`` characters ending in ``...`` when it is longer."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
