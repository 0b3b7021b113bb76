"""The rules that keep the suite safe on a real tenant, enforced on every request it sends.

- Only the configured stream is addressed.
- Only contacts the run created are addressed by id; any other syntactically valid id must be a
  *never-issued* one: ObjectId-shaped ids start with their creation time, so an id whose first
  8 hex digits are zero (1970) names no contact on any host.
- Only fictitious phone numbers (see ``numbers``) are sent in a form a host could store.

Generated cases are rewritten to follow the rules (``rewrite``); the ``Guard`` middleware then
refuses, with ``UnsafeRequest``, anything that still breaks them — so a bug in the suite fails a
test instead of touching somebody's data.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from werkzeug.formparser import parse_form_data

from contract_tests.ledger import Ledger, WsgiApp
from contract_tests.numbers import e164_key, is_fictitious

ANY_ID = re.compile(r"[0-9a-fA-F]{24}")
NEVER_ISSUED_PREFIX = "00000000"
CONTACTS_PATH = re.compile(r".*/agentassist/api/v1/public/([^/]*)/contacts(?:/([^/]*))?/?")
LITERAL_SEGMENTS = {"import-contacts", "bulk-update", "bulk-delete"}
ID_KEYS = {"id", "_id"}


class UnsafeRequest(RuntimeError):
    """The suite was about to send a request that could touch data it did not create."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]  # each rule it breaks, without the request


def never_issued_id(seed: str) -> str:
    """A well-formed contact id that no host has issued, derived from ``seed`` (reproducible)."""
    digest = hashlib.blake2b(seed.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return NEVER_ISSUED_PREFIX + digest


class SafetyPolicy:
    def __init__(self, ledger: Ledger, stream_id: str) -> None:
        self.ledger = ledger
        self.stream_id = stream_id

    @staticmethod
    def is_contact_id(value: object) -> bool:
        """Whether ``value`` has the form of a contact id (it could name a stored contact)."""
        return isinstance(value, str) and ANY_ID.fullmatch(value) is not None

    def may_address(self, contact_id: object) -> bool:
        """An id the suite may send: one it created, a never-issued one, or no usable id at all."""
        if not isinstance(contact_id, str) or not ANY_ID.fullmatch(contact_id):
            return True
        return contact_id.startswith(NEVER_ISSUED_PREFIX) or contact_id in self.ledger

    @staticmethod
    def may_send_number(number: object, country_code: object) -> bool:
        """Valid-looking numbers must be fictitious; invalid ones cannot be stored anyway."""
        if not isinstance(number, str) or not isinstance(country_code, str):
            return True
        key = e164_key(number, country_code)
        return key is None or is_fictitious(key)

    def problems(self, path: str, body: Any) -> Iterator[str]:
        """What is wrong with sending ``body`` to ``path`` (nothing, usually)."""
        match = CONTACTS_PATH.fullmatch(path)
        if match is None:
            return
        stream, segment = match.groups()
        if stream != self.stream_id:
            yield f"stream {stream!r} is not the configured stream {self.stream_id!r}"
        if segment and segment not in LITERAL_SEGMENTS and not self.may_address(segment):
            yield f"contact id {segment} in the path was not created by this run"
        yield from self._body_problems(body)

    def _body_problems(self, value: Any) -> Iterator[str]:
        if isinstance(value, list):
            for item in value:
                yield from self._body_problems(item)
        elif isinstance(value, dict):
            if not self.may_send_number(value.get("phoneNumber"), value.get("countryCode")):
                number = f"{value['countryCode']} {value['phoneNumber']}"
                yield f"phone number {number} is not fictitious"
            for key, item in value.items():
                if key in ID_KEYS and not self.may_address(item):
                    yield f"contact id {item} in the body was not created by this run"
                elif key == "ids" and isinstance(item, list):
                    yield from (
                        f"contact id {i} in the body was not created by this run"
                        for i in item
                        if not self.may_address(i)
                    )
                else:
                    yield from self._body_problems(item)


class Guard:
    """WSGI middleware in front of the target: refuses requests that break the safety rules."""

    def __init__(self, app: WsgiApp, policy: SafetyPolicy) -> None:
        self.app = app
        self.policy = policy
        self.rewriter: Any = None  # set by the target: generated cases sent here are rewritten

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        raw = _read_body(environ)
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        problems = list(self.policy.problems(path, _decoded_body(environ, raw)))
        environ["wsgi.input"] = io.BytesIO(raw)
        if problems:
            raise UnsafeRequest(
                f"refusing to send {environ['REQUEST_METHOD']} {path}: " + "; ".join(problems),
                problems,
            )
        return self.app(environ, start_response)


def _read_body(environ: dict[str, Any]) -> bytes:
    length = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    return stream.read(int(length)) if length.isdigit() else stream.read()


def _decoded_body(environ: dict[str, Any], raw: bytes) -> Any:
    """JSON bodies as values; multipart CSV parts as lists of phone dicts; anything else None."""
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        copy = dict(environ, **{"wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw))})
        _, form, files = parse_form_data(copy)
        try:
            texts = [f.read().decode("utf-8", "replace") for f in files.values()]
        finally:  # werkzeug's parts are temporary files (a ResourceWarning under -W error)
            for parts in files.listvalues():
                for part in parts:
                    part.close()
        texts += list(form.values())
        return [phone for text in texts for phone in _csv_phones(text)]
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _csv_phones(text: str) -> Iterator[dict[str, str]]:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [name.strip() for name in next(rows)]
        number, code = header.index("cellPhoneNumber"), header.index("cellPhoneCountryCode")
        for row in rows:
            if len(row) > max(number, code):
                yield {"phoneNumber": row[number].strip(), "countryCode": row[code].strip()}
    except (StopIteration, ValueError, csv.Error):
        return
