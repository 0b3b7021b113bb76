"""One error hierarchy, rendered in Kore's platform envelope by one handler.

Every error a client can see is an ``ApiError``: it carries the HTTP status and one or more
``{"msg", "code"}`` entries (plus kore-mock's optional per-row fields). ``envelope`` is the only
place that builds the wire body of an error.

Where Kore's platform answers are on record, the first entry is Kore's own words
(``Invalid SDK credentials``, ``Validation errors/ Invalid arguments``...) and kore-mock's
explanation follows in a second entry (``detail``), so a client matching Kore's message works.

Some answers are readings of the tenant profile (``profile.py``): such an error names its
``reading``, and the renderer (``responses.py``) asks it for the answer under the reading's
value in force (``resolved``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

# Codes inside the envelope. Kore's platform answers 4002 for credential failures and a wrong
# scope; the rest follow the HTTP status (an inference, listed in the README).
AUTH_CODE = 4002
KORE_VALIDATION_MSG = "Validation errors/ Invalid arguments"
# Kore's platform answers an unusable CSV file 400 with these words (its ML-utterance import, the
# only CSV answer on record); an import file that cannot be read is one error, as behaviour.md
# asks, whose message starts with them and then names the problem
KORE_CSV_MSG = "CSV format is incorrect"

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
    reading: ClassVar[str | None] = None  # the profile reading that decides the answer, if any

    def __init__(
        self,
        msg: str | None = None,
        *,
        detail: str | None = None,
        entries: Iterable[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """``msg`` (default: the class's) is the first entry, ``detail`` a second one."""
        first = msg or self.default_msg
        self.msg = f"{first}: {detail}" if detail else first
        super().__init__(self.msg)
        if entries is None:
            entries = [{"msg": first}] + ([{"msg": detail}] if detail else [])
        self.entries = list(entries)
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return envelope(self.entries, self.code)

    def resolved(self, value: Any) -> ApiError:
        """This error as answered when its ``reading`` has ``value``."""
        return self

    def _with_status(self, status: int, code: int | None = None) -> ApiError:
        changed = self._copy()
        changed.status, changed.code = status, status if code is None else code
        return changed

    def _copy(self) -> ApiError:
        """A shallow copy (``copy.copy`` would call the constructor with ``args``)."""
        changed = type(self).__new__(type(self))
        changed.__dict__.update(self.__dict__)
        changed.args = self.args
        return changed


class ValidationError(ApiError):
    """A request kore-mock cannot use: a body it cannot read (not JSON, a broken multipart
    body, an unusable CSV file), framing that does not add up. Always 400."""

    status = 400
    code = 400
    default_msg = "Bad request"


class InvalidArguments(ValidationError):
    """A request that breaks the contract: a body, query, path or header value ``openapi.yaml``
    does not allow, or a field rule. Kore's platform answers 412 ``Validation errors/ Invalid
    arguments`` (reading ``validationStatus``); kore-mock's finding follows in a second entry.
    Under ``validationStatus: 400`` it is one 400 entry, ``Validation errors/ Invalid
    arguments: <finding>``."""

    reading = "validationStatus"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail
        msg = f"{KORE_VALIDATION_MSG}: {detail}"
        super().__init__(msg, entries=[{"msg": msg}], headers=headers)

    def resolved(self, value: Any) -> ApiError:
        if value != 412:
            return self
        changed = self._with_status(412)
        changed.entries = [{"msg": KORE_VALIDATION_MSG}, {"msg": self.detail}]
        return changed


class Unauthorized(ApiError):
    status = 401
    code = AUTH_CODE
    default_msg = "Invalid SDK credentials"


class InvalidToken(Unauthorized):
    default_msg = "Invalid JWT token"


class ScopeDenied(Unauthorized):
    """The envelope code is the reading ``scopeErrorCode`` (Kore's platform answers 4002)."""

    default_msg = "Permission denied. Scope is incorrect!"
    reading = "scopeErrorCode"

    def resolved(self, value: Any) -> ApiError:
        return self._with_status(self.status, value)


class Forbidden(ApiError):
    """Control plane: the caller is neither on loopback nor holding the admin token."""

    status = 403
    code = 403
    default_msg = "Forbidden"


class NotFound(ApiError):
    status = 404
    code = 404
    default_msg = "Not Found"


class ContactNotFound(NotFound):
    """An id the namespace holds no ACTIVE contact for: the reading ``notFoundStatus``."""

    reading = "notFoundStatus"

    def resolved(self, value: Any) -> ApiError:
        return self._with_status(value)


class MethodNotAllowed(ApiError):
    status = 405
    code = 405
    default_msg = "Method Not Allowed"


class Conflict(ApiError):
    status = 409
    code = 409
    default_msg = "Conflict"


class NumberHeld(Conflict):
    """An update onto a number another ACTIVE contact holds: the reading
    ``duplicateUpdateStatus``."""

    reading = "duplicateUpdateStatus"

    def resolved(self, value: Any) -> ApiError:
        return self._with_status(value)


class PayloadTooLarge(ApiError):
    status = 413
    code = 413
    default_msg = "Request entity too large"


# Set in a request's WSGI environ by ``kore-mock serve``'s front when it stopped reading the
# body past the largest its route accepts: the app is handed only the first part of it. A body
# with a Content-Length says so itself; a chunked one does not (413, not a truncated document).
BODY_OVER_LIMIT = "kore_mock.body_over_limit"


class UnsupportedMediaType(ApiError):
    status = 415
    code = 415
    default_msg = "Unsupported Media Type"


class RateLimited(ApiError):
    status = 429
    code = 429
    default_msg = RATE_LIMIT_MSG


class ServiceUnavailable(ApiError):
    """The store did not answer (a database restarting, unreachable, or out of connections):
    the request's transaction did not commit (unless the connection was lost during its
    COMMIT); try again (``Retry-After``)."""

    status = 503
    code = 503
    default_msg = "Service unavailable"


class InsufficientStorage(ApiError):
    """The store's disk is full: the request's transaction was rolled back, nothing of it
    stored. 507 (RFC 4918), not the store's 503: a full disk does not free itself in seconds,
    and a client that retries a 503 after ``Retry-After`` would only send it again."""

    status = 507
    code = 507
    default_msg = "Insufficient storage"


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
