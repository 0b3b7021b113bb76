"""An in-process kore-mock that follows another host: the same requests, compared answers.

The mirror cannot know the other host's app secrets, so it takes that host's word on
authentication: a request the host refused with 401 (or 429, or never answered) is not applied
and counts as answered alike; any other request is applied as the host's caller, whatever its
token. Ids in a request are translated to the mock's own (``IdMap``) before it is applied.

After comparing, the mirror follows the host where they parted: contacts the host created and
the mock did not are stored in the mock (and the other way round deleted), a contact the host
deleted is deleted, a contact the host updated gets the host's fields (or its old ones back
when the host refused the update). So one difference does not turn every later exchange into
one, and each exchange's differences are its own.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import jwt
from flask import Flask
from werkzeug.test import run_wsgi_app

from mockserver.api.routes import VendorRoutes
from mockserver.app import create_app
from mockserver.contacts.model import Caller, Namespace
from mockserver.contacts.ports import NumberTaken
from mockserver.errors import ApiError
from mockserver.mock import mock_of
from mockserver.settings import CONFIGURATION_SCOPE, App, Settings
from mockserver.shadow.compare import SAVE_OPERATIONS as SAVES
from mockserver.shadow.compare import Answer, Difference, compare
from mockserver.shadow.ids import ANY_ID, IdMap, created_contacts, number_of
from mockserver.shadow.wire import (
    JOURNAL_ID_HEADER,
    REJECTED_ROWS_HEADER,
    HttpRequest,
    HttpResponse,
)
from mockserver.spec import API_PREFIX

log = logging.getLogger("kore_mock.shadow")

# The host did not act on these: nothing to apply, nothing to compare but the status itself.
NOT_APPLIED = {0: "the host did not answer", 401: "the host refused its credentials (401)"}
NOT_APPLIED[429] = "the host rate-limited it (429)"
_ROUTES = VendorRoutes()  # how the mock routes a request to an operation
CONTACTS_PATH = re.compile(re.escape(API_PREFIX) + r"/([^/]+)/contacts(?:/([^/]*))?/?")
UNKNOWN_APP = "upstream-app"
UPDATES = frozenset({"updateContact", "bulkUpdateContacts"})
_UNUSED_SECRET = "x" * 32  # the mirror never checks a signature


@dataclass
class Shadowed:
    """One request as both hosts answered it."""

    operation: str | None
    upstream: HttpResponse
    mock: HttpResponse | None  # None when it was not applied
    differences: list[Difference] = field(default_factory=list)
    journal_id: int | None = None
    note: str = ""

    @property
    def applied(self) -> bool:
        return self.mock is not None

    @property
    def mock_status(self) -> int:
        return self.upstream.status if self.mock is None else self.mock.status


class UpstreamWord:
    """The mirror's authenticator: any token the host accepted names an app allowed in the
    account of the request's ``accountId`` header, on every stream, with the right scope."""

    def app_for(self, token: str | None, headers: Mapping[str, str] | None = None) -> App:
        return App(
            client_id=_app_id(token),
            client_secret=_UNUSED_SECRET,
            account_id=(headers or {}).get("accountId", ""),
            scopes=(CONFIGURATION_SCOPE,),
            streams=("*",),
        )


class Mirror:
    def __init__(self, settings: Settings, ids: IdMap | None = None) -> None:
        self.settings = settings
        self.app: Flask = create_app(settings)
        self._mock = mock_of(self.app)
        self._mock.authenticator = UpstreamWord()
        self.ids = ids if ids is not None else IdMap()
        self._lock = threading.Lock()

    def close(self) -> None:
        self._mock.store.close()

    def reset(self) -> None:
        """Forget the mirrored contacts and the ids paired with the host's."""
        with self._lock:
            self._mock.reset()
            self.ids.clear()

    def operation_of(self, method: str, path: str) -> str | None:
        """The operationId a request is for, as the mock routes it (None: no operation)."""
        endpoint = _ROUTES.operation_of(method, path)
        return endpoint if endpoint is not None and CONTACTS_PATH.fullmatch(path) else None

    def apply(
        self,
        sent: HttpRequest,
        upstream: HttpResponse,
        *,
        body_known: bool = True,
        created: int | None = None,
        refused: int | None = None,
    ) -> Shadowed:
        """Apply ``sent`` to the mock as the host answered it with ``upstream``; compare.

        ``body_known=False``: only the host's status is known (with ``created`` / ``refused``
        counts, when given) — what a journal export holds of an answer it did not keep."""
        operation = self.operation_of(sent.method, sent.path)
        if upstream.status in NOT_APPLIED:
            return Shadowed(operation, upstream, None, note=NOT_APPLIED[upstream.status])
        with self._lock:
            ns = _namespace(sent)
            before = self._before(operation, sent, ns)
            mock = self._call(self._translated(sent))
            up_answer, mock_answer = _answer(upstream, ns), _answer(mock, ns)
            if not body_known:
                up_answer = replace(
                    up_answer,
                    body=None,
                    body_known=False,
                    created=created,
                    rejected_rows=refused if refused is not None else up_answer.rejected_rows,
                )
            if operation in SAVES:  # pair the new contacts first: their ids compare equal
                self.ids.learn(
                    *(created_contacts(a.status, a.body) for a in (up_answer, mock_answer))
                )
            differences = compare(operation, up_answer, mock_answer, self.ids.to_reference)
            try:
                note = self._follow(operation, sent, ns, up_answer, mock_answer, before)
            except Exception as exc:  # the mirror must never break the caller's exchange
                log.exception("could not bring the mirror in line with the host")
                note = f"the mirror could not follow the host: {exc}"
        journal = mock.header(JOURNAL_ID_HEADER)
        return Shadowed(
            operation,
            upstream,
            mock,
            differences,
            journal_id=int(journal) if journal and journal.isdigit() else None,
            note=note,
        )

    # -- applying a request ----------------------------------------------------------------

    def _translated(self, sent: HttpRequest) -> HttpRequest:
        path = self.ids.path_to_other(sent.path)
        body = sent.body
        parsed = sent.json()
        if parsed is not None:
            translated = self.ids.body_to_other(parsed)
            if translated != parsed:
                body = json.dumps(translated, ensure_ascii=False, separators=(",", ":")).encode()
        return sent.with_changes(path=path, body=body)

    def _call(self, sent: HttpRequest) -> HttpResponse:
        app_iter, status, headers = run_wsgi_app(self.app, _environ(sent), buffered=True)
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        code, _, reason = status.partition(" ")
        return HttpResponse(int(code), tuple(headers.items()), body, reason)

    # -- following the host where the two parted --------------------------------------------

    def _before(
        self, operation: str | None, sent: HttpRequest, ns: Namespace | None
    ) -> dict[str, Any]:
        """What updates may have to be undone to: reference id -> the mock's contact before."""
        if operation not in UPDATES or ns is None:
            return {}
        wanted = _updated_ids(operation, sent)
        with self._mock.store.read() as tx:
            found = {ref: tx.get_active(ns, self.ids.to_other(ref)) for ref in wanted}
        return {ref: contact for ref, contact in found.items() if contact is not None}

    def _follow(
        self,
        operation: str | None,
        sent: HttpRequest,
        ns: Namespace | None,
        upstream: Answer,
        mock: Answer,
        before: Any,
    ) -> str:
        if ns is None or operation is None or not upstream.body_known:
            return ""
        caller = Caller.for_app(_app_id(sent.header("auth")))
        if operation in SAVES:
            return self._follow_saves(ns, caller, upstream, mock)
        if operation == "deleteContact":
            return self._follow_delete(ns, caller, [_path_id(sent)], upstream, mock)
        if operation == "bulkDeleteContacts":
            ids = [r.get("id") for r in _records(upstream.body, "successfulRecords")]
            return self._follow_delete(ns, caller, [i for i in ids if isinstance(i, str)])
        if operation in UPDATES:
            return self._follow_updates(
                ns,
                caller,
                _updated(operation, sent, upstream),
                _updated(operation, sent, mock, self.ids.to_reference),
                before,
            )
        return ""

    def _follow_saves(self, ns: Namespace, caller: Caller, upstream: Answer, mock: Answer) -> str:
        ours = created_contacts(upstream.status, upstream.body)
        theirs = created_contacts(mock.status, mock.body)
        if _numbers(ours) == _numbers(theirs):
            return ""
        service = self._mock.service
        for contact in theirs:  # start over, so the mock keeps the host's order
            _quietly(service.delete, ns, caller, contact["id"])
        outcome = service.seed(ns, caller, [_as_item(c) for c in ours], legacy_duplicates=True)
        self.ids.learn(ours, [c.to_wire() for c in outcome.created])
        if not ours:
            return f"the host created nothing: the mock deleted the {len(theirs)} it created"
        return (
            f"the mock now holds the {len(ours)} contact(s) the host created "
            f"(it had created {len(theirs)})"
        )

    def _follow_delete(
        self,
        ns: Namespace,
        caller: Caller,
        deleted: list[str],
        upstream: Answer | None = None,
        mock: Answer | None = None,
    ) -> str:
        if upstream is not None and mock is not None and not _host_only_succeeded(upstream, mock):
            return ""
        delete = self._mock.service.delete
        followed = 0
        for reference_id in deleted:
            if ANY_ID.fullmatch(reference_id or ""):
                followed += _quietly(delete, ns, caller, self._other(reference_id))
        return f"the mock deleted {followed} contact(s) the host deleted" if followed else ""

    def _follow_updates(
        self,
        ns: Namespace,
        caller: Caller,
        upstream: dict[str, dict[str, Any] | None],
        mock: dict[str, dict[str, Any] | None],
        before: dict[str, Any],
    ) -> str:
        """Per contact addressed: the host's fields where the host changed it; the old ones
        back where the host refused and the mock changed it."""
        took = undid = 0
        for reference_id, theirs in upstream.items():
            ours = mock.get(reference_id)
            contact_id = self._other(reference_id)
            if theirs is not None and (ours is None or not _same_fields(theirs, ours)):
                took += _quietly(
                    self._mock.service.update, ns, caller, contact_id, _as_item(theirs)
                )
            elif theirs is None and ours is not None and reference_id in before:
                undid += self._restore(ns, before[reference_id])
        notes = []
        if took:
            notes.append(f"the mock took the host's fields for {took} contact(s)")
        if undid:
            notes.append(f"the host refused {undid} update(s) the mock made: undone")
        return "; ".join(notes)

    def _restore(self, ns: Namespace, previous: Any) -> int:
        """The contact exactly as it was before (audit fields and timestamps too)."""
        try:
            with self._mock.store.write(ns) as tx:
                current = tx.get_active(ns, previous.id)
                if current is None:
                    return 0
                tx.update(previous, previous=current)
        except NumberTaken:
            return 0
        return 1

    def _other(self, reference_id: str) -> str:
        return self.ids.to_other(reference_id)


def _answer(response: HttpResponse, ns: Namespace | None) -> Answer:
    rejected = response.header(REJECTED_ROWS_HEADER)
    return Answer(
        status=response.status,
        body=response.json(),
        rejected_rows=int(rejected) if rejected and rejected.isdigit() else None,
        account_id=ns.account_id if ns else "",
        stream_id=ns.stream_id if ns else "",
    )


def _namespace(sent: HttpRequest) -> Namespace | None:
    match = CONTACTS_PATH.fullmatch(sent.path)
    account = sent.header("accountId")
    if match is None or not account:
        return None
    return Namespace(account.lower(), match.group(1))


def _path_id(sent: HttpRequest) -> str:
    match = CONTACTS_PATH.fullmatch(sent.path)
    return (match.group(2) or "") if match else ""


def _updated_ids(operation: str, sent: HttpRequest) -> list[str]:
    """The reference ids an update or bulk update addresses."""
    if operation == "updateContact":
        return [_path_id(sent)]
    items = sent.json()
    if not isinstance(items, list):
        return []
    ids = [i.get("id") for i in items if isinstance(i, dict)]
    return [i for i in ids if isinstance(i, str) and ANY_ID.fullmatch(i)]


def _updated(
    operation: str,
    sent: HttpRequest,
    answer: Answer,
    to_reference: Any = lambda i: i,
) -> dict[str, dict[str, Any] | None]:
    """Reference id -> the contact as an update answer shows it changed (None: not changed)."""
    result: dict[str, dict[str, Any] | None] = dict.fromkeys(_updated_ids(operation, sent))
    if not 200 <= answer.status < 300 or not isinstance(answer.body, dict):
        return result
    if operation == "updateContact":
        return {ref: answer.body for ref in result}
    for record in _records(answer.body, "successfulRecords"):
        contact = record.get("contact")
        if isinstance(record.get("id"), str) and isinstance(contact, dict):
            reference = to_reference(record["id"])
            if reference in result:
                result[reference] = contact
    return result


def _records(body: Any, key: str) -> list[dict[str, Any]]:
    records = body.get(key) if isinstance(body, dict) else None
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


def _as_item(contact: dict[str, Any]) -> dict[str, Any]:
    """A contact of an answer as a create item (the national number without its code)."""
    phone = contact.get("cellPhone") if isinstance(contact.get("cellPhone"), dict) else {}
    code = str(phone.get("countryCode") or "")
    number = number_of(contact)
    prefix = "+" + code.lstrip("+")
    national = number[len(prefix) :] if number.startswith(prefix) else number.lstrip("+")
    return {
        "firstName": contact.get("firstName", ""),
        "lastName": contact.get("lastName", ""),
        "salutation": contact.get("salutation", ""),
        "cellPhone": {
            "phoneNumber": national,
            "countryCode": code,
            "extension": phone.get("extension", ""),
        },
    }


def _numbers(contacts: list[dict[str, Any]]) -> list[str]:
    return [number_of(c) for c in contacts]


def _host_only_succeeded(upstream: Answer, mock: Answer) -> bool:
    return 200 <= upstream.status < 300 and not 200 <= mock.status < 300


def _same_fields(a: Any, b: Any) -> bool:
    return isinstance(b, dict) and _as_item(a) == _as_item(b)


def _quietly(action: Any, *args: Any) -> int:
    """1 when ``action`` did it; 0 when the mock refused (the contact is gone, the number
    held...): the mirror does what it can."""
    try:
        action(*args)
    except ApiError:
        return 0
    return 1


def _app_id(token: str | None) -> str:
    """The app a token names (``appId``), read without checking it: the host checked it."""
    if not token:
        return UNKNOWN_APP
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return UNKNOWN_APP
    app_id = claims.get("appId") if isinstance(claims, dict) else None
    return app_id if isinstance(app_id, str) and app_id else UNKNOWN_APP


# How the client framed the body: here it is whole, framed by CONTENT_LENGTH (a client's
# ``Transfer-Encoding: chunked`` left in made Werkzeug read the body as chunked: nothing).
_FRAMING = frozenset({"CONTENT_LENGTH", "TRANSFER_ENCODING"})


def _environ(sent: HttpRequest) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": sent.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": sent.path,
        "QUERY_STRING": sent.query,
        "SERVER_NAME": "kore-mock-mirror",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(sent.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(sent.body)),
    }
    for name, value in sent.headers:
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key not in _FRAMING:
            environ["HTTP_" + key] = value
    return environ
