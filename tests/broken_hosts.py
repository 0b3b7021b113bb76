"""Deliberately broken variants of kore-mock, for proving that the contract suite catches them.

Each is the real mock with one fault: a WSGI wrapper that changes its answers or requests, or (for
the duplicate rule, which lives in the service) the mock with a service that skips the rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from mockserver.app import create_app
from mockserver.auth import mint_token
from mockserver.contacts.csv_rows import FIELD_TO_COLUMN, CsvColumns
from mockserver.contacts.service import ContactsService, SaveOutcome
from mockserver.mock import mock_of
from mockserver.settings import DEV_APP, Settings

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def healthy_mock() -> Flask:
    return create_app(Settings(db=":memory:"))


# a 500 in Kore's envelope (only the status is wrong)
SERVER_ERROR = json.dumps({"errors": [{"msg": "Internal server error", "code": 500}]}).encode()


class _Rewrite:
    """Runs the mock, then lets ``change`` rewrite its status line, headers and body."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer.update(status=status, headers=headers)
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        status, headers, body = self.change(environ, answer["status"], answer["headers"], body)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def change(
        self, environ: dict[str, Any], status: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        return status, headers, body


class DropsRequiredField(_Rewrite):
    """Contacts in successful answers lack ``fullName`` (a required field)."""

    def change(self, environ, status, headers, body):
        if status.startswith("200") and body.startswith((b"{", b"[")):
            body = json.dumps(_without(json.loads(body), "fullName")).encode()
        return status, headers, body


class FailsImports(_Rewrite):
    """Every import answers 500 (in Kore's envelope, so only the status is wrong)."""

    def change(self, environ, status, headers, body):
        if environ["PATH_INFO"].endswith("/import-contacts") and status.startswith("200"):
            return "500 INTERNAL SERVER ERROR", headers, SERVER_ERROR
        return status, headers, body


class WrongPaging(_Rewrite):
    """A list page counts one page too many (``totalPages``)."""

    def change(self, environ, status, headers, body):
        if environ["REQUEST_METHOD"] == "GET" and status.startswith("200"):
            page = json.loads(body)
            if isinstance(page, dict) and "totalPages" in page:
                body = json.dumps({**page, "totalPages": page["totalPages"] + 1}).encode()
        return status, headers, body


class AnswersNewContactsInactive(_Rewrite):
    """A create or an import answers its new contacts with status INACTIVE (stored ACTIVE)."""

    def change(self, environ, status, headers, body):
        if environ["REQUEST_METHOD"] == "POST" and status.startswith("200"):
            saved = json.loads(body) if body.startswith(b"[") else None
            if isinstance(saved, list):
                body = json.dumps([{**c, "status": "INACTIVE"} for c in saved]).encode()
        return status, headers, body


class SwapsFullNameOnUpdate(_Rewrite):
    """An update answers fullName as "<lastName>, <firstName>" (stored right)."""

    def change(self, environ, status, headers, body):
        if environ["REQUEST_METHOD"] == "PUT" and status.startswith("200"):
            contact = json.loads(body)
            if isinstance(contact, dict) and "fullName" in contact:
                swapped = f"{contact['lastName']}, {contact['firstName']}"
                body = json.dumps({**contact, "fullName": swapped}).encode()
        return status, headers, body


class MiscountsRejectedRows(_Rewrite):
    """A save that left rows out says ``X-Mock-Rejected-Rows`` one too many."""

    def change(self, environ, status, headers, body):
        fixed = []
        for name, value in headers:
            if name.lower() == "x-mock-rejected-rows" and value.isdigit():
                value = str(int(value) + 1)
            fixed.append((name, value))
        return status, fixed, body


class RefusesDeletes:
    """Every delete (one or bulk) answers 500 and deletes nothing."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def refuses(self, environ: dict[str, Any]) -> bool:
        return environ["REQUEST_METHOD"] == "DELETE"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if not self.refuses(environ):
            return self.app(environ, start_response)
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(SERVER_ERROR)))]
        start_response("500 INTERNAL SERVER ERROR", headers)
        return [SERVER_ERROR]


class FailsBulkDeletes(RefusesDeletes):
    """Every bulk delete answers 500 and deletes nothing (a delete of one contact works)."""

    def refuses(self, environ: dict[str, Any]) -> bool:
        return environ["PATH_INFO"].endswith("/bulk-delete")


class ErrorsOutsideEnvelope(_Rewrite):
    """Errors answer ``{"message": ...}`` instead of ``{"errors": [{"msg", "code"}]}``."""

    def change(self, environ, status, headers, body):
        if re.match(r"4\d\d", status):
            errors = json.loads(body)["errors"]
            body = json.dumps({"message": errors[0]["msg"]}).encode()
        return status, headers, body


class IgnoresAuth:
    """Any token, or none, is taken as the development app's."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.token = mint_token(DEV_APP)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["HTTP_AUTH"] = self.token
        return self.app(environ, start_response)


class _NoDuplicateRule(ContactsService):
    """Every row that passes the field rules is stored, as a legacy seed is: a number repeated
    in the request or held already is stored again."""

    def _candidates(self, numbered_items, field_name, *, dedupe: bool):
        return super()._candidates(numbered_items, field_name, dedupe=False)

    def _column_candidates(self, columns: CsvColumns):
        return self._candidates(columns.numbered_items(), FIELD_TO_COLUMN.get, dedupe=False)

    def _save(self, ns, caller, screened, *, policy, field_name, **_: Any) -> SaveOutcome:
        candidates, rejected = screened
        with self.store.write(ns) as tx:
            created = self._new_contacts(ns, caller, candidates)
            tx.insert(created, legacy=True)
        return SaveOutcome(created, rejected)


def accepts_duplicates(app: Flask) -> Flask:
    """Creates and imports store every valid row, whoever holds its number already."""
    mock = mock_of(app)
    mock.service = _NoDuplicateRule(mock.service.store, mock.service.rules)
    return app


def _without(value: Any, field: str) -> Any:
    if isinstance(value, list):
        return [_without(item, field) for item in value]
    if isinstance(value, dict):
        return {k: _without(v, field) for k, v in value.items() if k != field}
    return value
