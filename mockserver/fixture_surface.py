"""What the ``kore_mock`` fixture's two kinds share: the in-process mock (``testing.KoreMock``)
and a share of a running server (``shared_mock.SharedKoreMock``) are called the same way.

Each kind keeps its own state and its own way to the data (the app in the same process, or
the control plane); this base holds the part of the surface that only depends on where the
mock is (``base_url``, ``stream_id``), on its ``app`` and on its ``journal()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt

from mockserver.auth import mint_token
from mockserver.faults import EVERY_OPERATION
from mockserver.json_body import is_integer
from mockserver.settings import App, is_stream_id
from mockserver.spec import API_PREFIX, VENDOR

# operations whose journal entry carries the per-row report ``rejected_rows`` returns
SAVING_OPERATIONS = ("importContacts", "createContacts")
JOURNAL_MOST = 1000  # entries per journal() call: the control plane's most per list


# the ready token's lifetime: a session-scoped mock outlives an hour of tests (its token expired
# mid-session, every later request 401); mint_token's own default stays an hour
READY_TOKEN_TTL = 24 * 3600

ENDED = (
    "this kore_mock has ended with its test or with-block: use the kore_mock of the test that "
    "is running (a module-level or cached one outlives its test)"
)


class FixtureSurface:
    base_url: str
    stream_id: str
    app: App

    def mint_token(self, app: App | None = None, *, ttl: int | None = 3600, **claims: Any) -> str:
        """A token for ``app`` (default: this mock's app); extra claims go into the payload
        (``exp=1``: an expired one)."""
        app = app or self.app
        token = mint_token(app, ttl=ttl)
        if not claims:
            return token
        payload = jwt.decode(token, options={"verify_signature": False}) | claims
        return jwt.encode(payload, app.client_secret, algorithm="HS256")

    @property
    def contacts_url(self) -> str:
        """``.../agentassist/api/v1/public/{streamId}/contacts`` of the default stream."""
        return self.contacts_url_for(self.stream_id)

    def contacts_url_for(self, stream_id: str) -> str:
        return f"{self.base_url}{API_PREFIX}/{stream_id}/contacts"

    def journal(
        self, operation: str | None = None, status: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Requests the mock answered, newest first, as ``GET /__mock__/journal/{id}`` shows
        one: method, path, status, operation, per-row report, the request and the response.
        ``operation``: an operationId; ``status``: 0 (dropped on purpose) to 599; ``limit``:
        1 to 1,000 (the control plane's most). ``ValueError`` for anything else, in both kinds."""
        if operation is not None:
            self._check_operation(operation, every=False)
        if status is not None and not _is_int_within(status, 0, 599):
            raise ValueError(f"status {status!r} is not an HTTP status (0-599; 0: dropped)")
        if not _is_int_within(limit, 1, JOURNAL_MOST):
            raise ValueError(f"limit {limit!r} is not a number of entries from 1 to {JOURNAL_MOST}")
        return self._journal(operation, status, limit)

    def _journal(self, operation: str | None, status: int | None, limit: int) -> list[dict]:
        raise NotImplementedError

    def rejected_rows(self) -> list[dict[str, Any]]:
        """The per-row report of the most recent import or create: row, reason, number..."""
        newest = [e for op in SAVING_OPERATIONS for e in self.journal(operation=op, limit=1)]
        if not newest:  # (one entry of each: not the newest thousand entries, bodies and all)
            return []
        return max(newest, key=lambda entry: entry["id"]).get("report", [])

    @staticmethod
    def _check_operation(operation: str, *, every: bool = True) -> None:
        """``ValueError`` unless ``operation`` is an operationId of the vendor API (or ``*``,
        with ``every``)."""
        if (every and operation == EVERY_OPERATION) or operation in VENDOR.operation_ids():
            return
        known = ", ".join(sorted(VENDOR.operation_ids()))
        raise ValueError(f"no operation {operation!r}; use one of {known}" + (" or '*'" * every))


def _is_int_within(value: Any, low: int, high: int) -> bool:
    return is_integer(value) and low <= value <= high


def check_stream_id(stream_id: Any) -> None:
    """``ValueError`` for a ``stream_id`` option that is not a stream id (both kinds)."""
    if not isinstance(stream_id, str) or not is_stream_id(stream_id):
        raise ValueError(
            f"stream_id {stream_id!r} is not a stream id: st- and 1-100 letters, digits or -"
        )


def seed_stream(stream_id: str | None) -> str | None:
    """A ``seed(..., stream_id=...)``: None (or "") is the mock's own stream; another must be a
    stream id (``ValueError``), else its contacts are stored where no request can name them."""
    if not stream_id:
        return None
    check_stream_id(stream_id)
    return stream_id


def seed_refused(reasons: list[str], *, stored: int, refused: int | None = None) -> ValueError:
    """What ``seed()`` raises when it refused items: the items it accepted are stored all the
    same (as the vendor's import stores a file's good rows), and the message says so.
    ``refused``: how many, when ``reasons`` are the first of them only."""
    kept = f"stored the other {stored}" if stored else "stored none"
    count = len(reasons) if refused is None else refused
    return ValueError(f"seed refused {count} item(s) and {kept}: " + "; ".join(reasons))


SEED_TAKES = "a list of contacts (dicts), CSV bytes, or a CSV file's path"


def seed_source(contacts: Any) -> bytes | list[dict[str, Any]]:
    """What ``seed()`` was given: a CSV file's bytes (read from its path), or the contacts as
    a list; ``ValueError`` for anything else."""
    if isinstance(contacts, str | Path):
        return Path(contacts).read_bytes()
    if isinstance(contacts, bytes | bytearray):
        return bytes(contacts)
    if isinstance(contacts, list | tuple) and all(isinstance(c, Mapping) for c in contacts):
        return [dict(c) for c in contacts]
    raise ValueError(f"seed takes {SEED_TAKES}, not {type(contacts).__name__}")


def checked_options(profile: Any, faults: Any) -> None:
    """``ValueError`` for a ``profile`` or ``faults`` option of the wrong shape (the fixture's
    marker, ``kore_mock(...)``), before anything is started."""
    if profile is not None and not isinstance(profile, Mapping):
        raise ValueError(
            "profile must be a mapping of readings, e.g. {'validationStatus': 400}, "
            f"not {type(profile).__name__}"
        )
    if faults is None:
        return
    example = "e.g. {'importContacts': {'errorStatus': 503}}"
    if not isinstance(faults, Mapping):
        raise ValueError(
            f"faults must map an operationId to a fault, {example}, not {type(faults).__name__}"
        )
    for operation, fault in faults.items():
        if not isinstance(fault, Mapping):
            raise ValueError(
                f"faults[{operation!r}] must be a fault (a mapping), {example}, "
                f"not {type(fault).__name__}"
            )
