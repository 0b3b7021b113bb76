"""Control-plane routes. Loopback callers only, unless an admin token is configured.

Every route is an operation of ``control-openapi.yaml``; requests are checked against it before
a handler runs (``g.valid``). Handlers stay thin: the domain (``ContactsService``), the store and
``Runtime`` do the work.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import json
from typing import Any

from flask import Blueprint, Response, g, request
from werkzeug.routing import IntegerConverter

from mockserver import __version__, body_limit, multipart, scopes, snapshot
from mockserver.contacts.model import Caller, Namespace, utc_instant
from mockserver.contacts.service import SaveOutcome
from mockserver.control import ADMIN_HEADER, SERVER_HEADER
from mockserver.control import apps as app_admin
from mockserver.control.export import contacts_csv, csv_attachment
from mockserver.control.schema import ControlValidator
from mockserver.errors import (
    ApiError,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationError,
)
from mockserver.faults import EVERY_OPERATION, Fault
from mockserver.memory import paused_gc
from mockserver.mock import current_mock
from mockserver.profile import ProfileError, readings
from mockserver.responses import json_response
from mockserver.runtime import RATE_LIMIT
from mockserver.settings import RateLimit
from mockserver.shadow.recording import journal_exchange
from mockserver.spec import CONTROL, VENDOR, quoted
from mockserver.store.base import ContentsRefused, JournalFilter, display_url

PREFIX = "/__mock__"
ROTATE = "/rotate-secret"  # an app's secret rotation: POST /__mock__/apps/{clientId}/rotate-secret
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
SEED_CALLER = Caller.for_app("kore-mock-control")
SEED_REPORT_CAP = 1000  # created contacts and refused rows listed in a seed answer
CSV_PARTS = ("file", "result_file")
_FILE_TYPES = {"text/csv", "multipart/form-data"}  # bodies the seed handler reads itself
_CONSOLE_ENDPOINTS = {"control.console", "control.static"}
# bodies their handler checks itself, against the same document (a snapshot: megabytes)
_OWN_BODY_CHECKS = {"control.load_snapshot"}

control = Blueprint(
    "control",
    __name__,
    url_prefix=PREFIX,
    static_folder="console",
    static_url_path="/ui/static",
)


class VerificationFailed(ApiError):
    """The journal does not meet a verify call's expectation (406, as MockServer answers)."""

    status = 406
    code = 406


class _Digits(IntegerConverter):
    """A path's integer in ASCII digits, as the contract reads one (werkzeug's ``int`` takes any
    Unicode decimal digit: ``/journal/%D9%A1``, an Arabic-Indic 1, was entry 1)."""

    regex = r"[0-9]+"


@control.record_once
def _setup(state: Any) -> None:
    _validator()  # read the control document at start-up, not on the first call
    state.app.url_map.converters["digits"] = _Digits


@functools.cache
def _validator() -> ControlValidator:
    return ControlValidator()  # the document is read once per process


def _reply(body: Any, status: int = 200) -> Response:
    return json_response(body, status)


@control.after_request
def _say_who(response: Response) -> Response:
    response.headers[SERVER_HEADER] = f"kore-mock {__version__}"
    # no page of another site may frame the console (and click its buttons for the user)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@control.before_request
def _changes_from_this_site_only() -> None:
    """A change asked by a page of another site is refused (cross-site request forgery): a
    browser sends some requests without asking the server first — a POST without a body, a
    multipart form — and any page the QA engineer had open could reset the mock, seed it or
    rotate an app's secret; without an admin token the browser is a loopback caller. Clients
    that are not browsers send no Origin; the console's own pages send this server's."""
    if request.method in _SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is None and request.headers.get("Sec-Fetch-Site") in (None, "same-origin", "none"):
        return
    hosts = {request.host.lower()}
    forwarded = request.headers.get("X-Forwarded-Host")
    if forwarded:  # a reverse proxy in front: the browser's host is the one it forwarded
        hosts.add(forwarded.split(",")[0].strip().lower())
    scheme, _, host = (origin or "").partition("://")
    if scheme in ("http", "https") and host.lower() in hosts:
        return
    raise Forbidden(
        f"The control plane takes changes only from its own pages and from clients that are "
        f"not browsers: this request came from a page of {quoted(origin or 'another site')}"
    )


@control.before_request
def _only_admins() -> None:
    token = current_mock().settings.admin_token
    if token:
        if request.endpoint in _CONSOLE_ENDPOINTS:
            return  # the page holds no data; it asks for the token and sends it on every call
        given = request.headers.get(ADMIN_HEADER, "")
        if not given:
            raise Forbidden(f"The control plane needs the header {ADMIN_HEADER}")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Forbidden(f"The {ADMIN_HEADER} header does not match this server's admin token")
    elif not is_loopback(request.remote_addr or ""):
        raise Forbidden(
            "The control plane answers loopback callers only; start the server with an "
            "admin token to reach it from elsewhere"
        )


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1, and IPv4 loopback seen through an IPv6 socket (::ffff:127.0.0.1)."""
    if address in LOOPBACK:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


@control.before_request
def _validate() -> None:
    if request.endpoint == "control.static" or request.method == "OPTIONS":
        return  # static files; Flask answers OPTIONS with the allowed methods
    own_check = request.endpoint in _OWN_BODY_CHECKS
    if not own_check:
        body_limit.hold(request, current_mock().settings.limits.max_upload_bytes)
    body = request.mimetype not in _FILE_TYPES and not own_check
    g.valid = _validator().validate(request, body=body)
    if body:
        body_limit.check(request)


def _query(name: str, default: Any = None) -> Any:
    return g.valid.query.get(name, default)


def _body() -> dict[str, Any]:
    return g.valid.body or {}


# -- server --------------------------------------------------------------------------------


@control.get("/health")
def health() -> Response:
    mock = current_mock()
    return _reply({"status": "ok", "version": __version__, "store": display_url(mock.store.url)})


@control.get("/version")
def version() -> Response:
    return _reply(
        {
            "version": __version__,
            "vendorContract": VENDOR.version,
            "controlContract": CONTROL.version,
        }
    )


@control.get("/ui")
def console() -> Response:
    return control.send_static_file("index.html")


# -- data ----------------------------------------------------------------------------------


@control.get("/snapshot")
def save_snapshot() -> Response:
    mock = current_mock()
    with paused_gc():  # a snapshot of 100,000 contacts: millions of acyclic objects
        body, summary = snapshot.save(
            mock.store, mock.settings, with_journal=_query("journal", False)
        )
    return Response(body, mimetype="application/json", headers={snapshot.SUMMARY_HEADER: summary})


@control.put("/snapshot")
def load_snapshot() -> Response:
    mock = current_mock()
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("A snapshot is sent as application/json")
    body = _snapshot_body(mock.settings.limits.max_snapshot_bytes)
    with paused_gc():
        contents = snapshot.read(
            body,
            journal_size=mock.settings.journal_size,
            journal=_query("journal"),
            start_up=mock.settings.profile,
        )
        try:
            mock.store.replace_contents(contents)
        except ContentsRefused as exc:
            raise ValidationError(f"snapshot.contacts: {exc}") from None
    return _reply(
        {
            "version": snapshot.VERSION,
            "contacts": len(contents.contacts),
            "journal": len(contents.journal or ()),
            "state": sorted(contents.state),
        }
    )


def _snapshot_body(limit: int) -> bytes:
    """The body of a snapshot load; 413 past ``limit`` bytes, sent with a Content-Length or
    chunked (werkzeug reads a chunked body up to its limit and stops there, silently)."""
    body_limit.hold(request, limit)
    body = request.get_data()
    if len(body) > limit:
        raise body_limit.too_large(limit)
    return body


@control.post("/reset")
def reset() -> Response:
    mock = current_mock()
    body = _body()
    if "accountId" in body:
        ns = Namespace(body["accountId"].lower(), body["streamId"])
        removed = mock.store.reset(ns)
        return _reply({"scope": "namespace", "removedContacts": removed, "namespace": _ns(ns)})
    return _reply({"scope": "everything", "removedContacts": mock.reset()})


@control.get("/namespaces")
def namespaces() -> Response:
    return _reply({"namespaces": current_mock().store.namespaces()})


@control.get("/namespaces/<accountId>/<streamId>/contacts")
def browse_contacts(accountId: str, streamId: str) -> Response:
    status = _query("status", "ACTIVE")
    skip, limit = _query("skip", 0), _query("limit", 25)
    text = _query("q", "").strip()
    if "\x00" in text:  # no name or number holds one, and PostgreSQL cannot compare it
        raise ValidationError("q holds a NUL character; no name or number has one")
    contacts, total = current_mock().store.find_contacts(
        Namespace(accountId.lower(), streamId),
        text=text,
        status=None if status == "ALL" else status,
        skip=skip,
        limit=limit,
    )
    return _reply(
        {"results": [c.to_wire() for c in contacts], "skip": skip, "limit": limit, "total": total}
    )


@control.post("/namespaces/<accountId>/<streamId>/seed")
def seed_contacts(accountId: str, streamId: str) -> Response:
    mock = current_mock()
    ns = Namespace(accountId.lower(), streamId)
    legacy = bool(_query("legacyDuplicates", False))
    max_rows = mock.settings.limits.max_import_rows
    # the duplicate rule as the namespace's profile reads it (a vendor request's, but for the
    # scenario and app a seed does not have)
    profile = mock.runtime.profile(scopes.Scope.of_namespace(ns).key)
    hold = profile.deleted_numbers == "kept"
    if request.mimetype == "application/json":
        body = _body()
        legacy = legacy or body.get("legacyDuplicates", False)
        items = body["contacts"]
        if len(items) > max_rows:
            raise PayloadTooLarge(
                f"The seed has {len(items)} contacts; this server takes at most {max_rows}"
            )
        outcome = mock.service.seed(
            ns, SEED_CALLER, items, legacy_duplicates=legacy, deleted_hold=hold
        )
    else:
        outcome = mock.service.seed_csv(
            ns,
            SEED_CALLER,
            _csv_upload(),
            legacy_duplicates=legacy,
            max_rows=max_rows,
            deleted_hold=hold,
        )
    return _reply(_seed_result(outcome, legacy))


def _csv_upload() -> bytes:
    data = _csv_upload_unchecked()
    body_limit.check(request)
    return data


def _csv_upload_unchecked() -> bytes:
    if request.mimetype == "text/csv":
        return request.get_data()
    if request.mimetype == "multipart/form-data":
        files = multipart.file_parts(request, CSV_PARTS)  # read as strictly as the import's
        if not files:
            raise ValidationError("The multipart body has no file part 'file' (or 'result_file')")
        if len(files) > 1:  # a second file was dropped unread
            raise ValidationError(f"The multipart body has {len(files)} file parts; send one")
        multipart.refuse_other_parts(request, CSV_PARTS, "the file ('file' or 'result_file')")
        return files[0].read()
    raise UnsupportedMediaType(
        f"Content type {request.mimetype or 'none'!r} is not supported here; send "
        "application/json, text/csv or multipart/form-data"
    )


def _seed_result(outcome: SaveOutcome, legacy: bool) -> dict[str, Any]:
    return {
        "legacyDuplicates": legacy,
        "createdCount": len(outcome.created),
        "rejectedCount": len(outcome.rejected),
        "created": [c.to_wire() for c in outcome.created[:SEED_REPORT_CAP]],
        "rejected": [r.to_report() for r in outcome.rejected[:SEED_REPORT_CAP]],
        "truncated": max(len(outcome.created), len(outcome.rejected)) > SEED_REPORT_CAP,
    }


@control.get("/namespaces/<accountId>/<streamId>/export")
def export_contacts(accountId: str, streamId: str) -> Response:
    ns = Namespace(accountId.lower(), streamId)
    with current_mock().store.read() as tx:
        contacts = list(tx.active(ns))
    if _query("format", "json") == "json":
        return _reply([c.to_wire() for c in contacts])
    return Response(
        contacts_csv(contacts),
        mimetype="text/csv",
        headers={"Content-Disposition": csv_attachment(streamId)},
    )


# -- apps ----------------------------------------------------------------------------------


@control.get("/apps")
def list_apps() -> Response:
    with_secret = bool(_query("secrets", False))
    apps = current_mock().runtime.apps()
    return _reply({"apps": [a.to_dict(with_secret=with_secret) for a in apps]})


@control.post("/apps")
def add_app() -> Response:
    app = app_admin.add_app(current_mock().runtime, _body())
    return _reply(app.to_dict(with_secret=True), 201)


@control.delete("/apps/<path:clientId>")  # an older version took ids with a /
def remove_app(clientId: str) -> Response:
    runtime = current_mock().runtime
    if clientId.endswith(ROTATE) and all(a.client_id != clientId for a in runtime.apps()):
        # .../rotate-secret is the rotation's path, which a DELETE does not have
        raise MethodNotAllowed(headers={"Allow": "POST"})
    return _reply(app_admin.remove_app(runtime, clientId).to_dict())


@control.post("/apps/<clientId>" + ROTATE)
def rotate_secret(clientId: str) -> Response:
    app = app_admin.rotate_secret(current_mock().runtime, clientId, _body().get("clientSecret"))
    return _reply(app.to_dict(with_secret=True))


# -- settings ------------------------------------------------------------------------------


@control.get("/settings")
def get_settings() -> Response:
    return _reply(_settings(_scope()))


@control.patch("/settings")
def update_settings() -> Response:
    runtime = current_mock().runtime
    scope = _scope()
    body = _body()

    def put(reading: Any, value: Any) -> None:
        if scope is None:
            runtime.set(reading, value)
        else:
            runtime.set_scoped(scope.key, reading, value)

    if "importPolicy" in body:
        runtime.set_import_policy(body["importPolicy"], None if scope is None else scope.key)
    if "rateLimit" in body:
        current = _reading(RATE_LIMIT, scope)
        change = body["rateLimit"]
        put(
            RATE_LIMIT,
            RateLimit(
                enabled=change.get("enabled", current.enabled),
                per_minute=change.get("perMinute", current.per_minute),
            ),
        )
    return _reply(_settings(scope))


def _reading(reading: Any, scope: scopes.Scope | None) -> Any:
    runtime = current_mock().runtime
    return runtime.get(reading) if scope is None else runtime.scoped_value(reading, scope.key)


def _settings(scope: scopes.Scope | None = None) -> dict[str, Any]:
    mock = current_mock()
    limit = _reading(RATE_LIMIT, scope)
    settings = {
        "importPolicy": mock.runtime.import_policy(None if scope is None else scope.key),
        "rateLimit": {"enabled": limit.enabled, "perMinute": limit.per_minute},
        "journalSize": mock.settings.journal_size,
        "adminTokenRequired": bool(mock.settings.admin_token),
    }
    if scope is not None:
        settings["scope"] = scope.to_wire()
    return settings


def _scope() -> scopes.Scope | None:
    """The scope a control call names in its query (scenario, clientId, accountId+streamId)."""
    return scopes.from_params(g.valid.query)


# -- scopes --------------------------------------------------------------------------------


@control.get("/scopes")
def list_scopes() -> Response:
    return _reply({"scopes": [_scope_wire(key, entry) for key, entry in _scoped_items()]})


@control.delete("/scopes")
def forget_scopes() -> Response:
    runtime = current_mock().runtime
    scope = _scope()
    keys = [key for key, _ in _scoped_items()] if scope is None else [scope.key]
    forgotten = sum(runtime.forget_scope(key) for key in keys)
    return _reply({"forgotten": forgotten})


def _scoped_items() -> list[tuple[str, dict[str, Any]]]:
    return sorted(current_mock().runtime.scoped().items())


def _scope_wire(key: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "scope": scopes.Scope.from_key(key).to_wire(),
        "faults": entry.get("faults", {}),
        "readings": entry.get("readings", {}),
    }


# -- the tenant profile ----------------------------------------------------------------------


@control.get("/profile")
def get_profile() -> Response:
    return _reply(_profile_state(_scope()))


@control.put("/profile")
def put_profile() -> Response:
    scope = _scope()
    try:
        current_mock().runtime.set_profile(_body(), None if scope is None else scope.key)
    except ProfileError as exc:
        raise ValidationError(str(exc)) from None
    return _reply(_profile_state(scope))


def _profile_state(scope: scopes.Scope | None = None) -> dict[str, Any]:
    """The profile in force — for everyone, or for the requests of one scope."""
    runtime = current_mock().runtime
    key = None if scope is None else scope.key
    profile = runtime.profile(key)
    state: dict[str, Any] = {
        "profile": profile.to_mapping(),
        "readings": [
            {
                **reading.to_dict(),
                "value": profile.get(reading.name),
                "setBy": runtime.origin(reading.name, key),
            }
            for reading in readings()
        ],
    }
    if scope is not None:
        state["scope"] = scope.to_wire()
        state["scoped"] = runtime.scoped_readings(scope.key)  # what the scope itself sets
    return state


# -- journal -------------------------------------------------------------------------------


@control.get("/journal")
def journal() -> Response:
    entries = current_mock().store.journal_query(
        _journal_filter(g.valid.query), limit=_query("limit")
    )
    # the bodies are in one entry (/journal/{id}) and the export; in the list when asked for
    if not _query("bodies", False):
        entries = [_without_bodies(e) for e in entries]
    return _reply({"entries": entries})


def _without_bodies(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("request", "response")}


@control.get("/journal/export")
def export_journal() -> Response:
    """The journal as a recording (JSON lines, oldest first) that ``kore-mock replay`` reads."""
    mock = current_mock()
    entries = mock.store.journal_query(
        _journal_filter(g.valid.query), limit=mock.settings.journal_size
    )
    lines = (json.dumps(journal_exchange(e), ensure_ascii=False) + "\n" for e in reversed(entries))
    return Response(
        "".join(lines),
        mimetype="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="kore-mock-journal.jsonl"'},
    )


@control.delete("/journal")
def clear_journal() -> Response:
    current_mock().store.journal_clear()
    return _reply({"cleared": True})


@control.get("/journal/<digits:entryId>")
def journal_entry(entryId: int) -> Response:
    entry = current_mock().store.journal_get(entryId)
    if entry is None:
        raise NotFound(f"No journal entry {entryId}")
    return _reply(entry)


# -- shadow (kore-mock proxy) ----------------------------------------------------------------


@control.get("/shadow")
def shadow() -> Response:
    """The exchanges of a shadowing proxy, newest first; an empty log on a plain mock."""
    source = current_mock().shadow
    if source is None:
        return _reply({"exchanges": 0, "differing": 0, "items": [], "upstream": None})
    view = source.view(differing=_query("differing"), limit=_query("limit", 100))
    return _reply({**view, "upstream": source.upstream})


@control.post("/journal/verify")
def verify_journal() -> Response:
    body = _body()
    count = current_mock().store.journal_count(_journal_filter(body))
    expectation, met = _expectation(body, count)
    if not met:
        msg = f"Expected {expectation} matching request(s), found {count}"
        raise VerificationFailed(msg, entries=[{"msg": msg, "count": count}])
    reply: dict[str, Any] = {"count": count, "verified": True}
    if expectation:
        reply["expectation"] = expectation
    return _reply(reply)


def _journal_filter(values: dict[str, Any]) -> JournalFilter:
    scenario = values.get("scenario")
    account, stream = values.get("accountId"), values.get("streamId")
    if bool(account) != bool(stream):
        raise ValidationError("A namespace filter needs both accountId and streamId")
    return JournalFilter(
        operation=values.get("operation"),
        status=values.get("status"),
        since=_instant(values.get("since"), "since"),
        until=_instant(values.get("until"), "until"),
        scenario=None if scenario is None else scopes.check_scenario(scenario),
        account_id=account.lower() if account else None,
        stream_id=stream,
        before_id=values.get("beforeId"),
    )


def _instant(value: str | None, name: str) -> str | None:
    """An ISO-8601 instant in the journal's own form (UTC, milliseconds, ``Z``)."""
    if value is None:
        return None
    try:
        return utc_instant(value)
    except ValueError as exc:
        raise ValidationError(f"{name}: {value!r} {exc}") from None


def _expectation(body: dict[str, Any], count: int) -> tuple[str, bool]:
    parts, met = [], True
    if "count" in body:
        parts.append(f"exactly {body['count']}")
        met = met and count == body["count"]
    if "atLeast" in body:
        parts.append(f"at least {body['atLeast']}")
        met = met and count >= body["atLeast"]
    if "atMost" in body:
        parts.append(f"at most {body['atMost']}")
        met = met and count <= body["atMost"]
    return " and ".join(parts), met


# -- faults --------------------------------------------------------------------------------


@control.get("/faults")
def list_faults() -> Response:
    runtime = current_mock().runtime
    scope = _scope()
    if scope is not None:
        faults = runtime.scoped().get(scope.key, {}).get("faults", {})
        return _reply({"scope": scope.to_wire(), "faults": faults})
    scoped = [
        {"scope": scopes.Scope.from_key(key).to_wire(), "faults": entry["faults"]}
        for key, entry in _scoped_items()
        if entry.get("faults")
    ]
    answer: dict[str, Any] = {"faults": runtime.faults()}
    if scoped:
        answer["scoped"] = scoped  # absent while no scope sets a fault
    return _reply(answer)


@control.delete("/faults")
def clear_faults() -> Response:
    runtime = current_mock().runtime
    scope = _scope()
    keys = [key for key, _ in _scoped_items()] if scope is None else [scope.key]
    for key in keys:
        runtime.change_scope(key, lambda entry: {**entry, "faults": {}})
    if scope is None:
        runtime.change_faults(lambda faults: {})
    return _reply({"faults": {}})


@control.put("/faults/<operation>")
def set_fault(operation: str) -> Response:
    fault = Fault.from_wire(_body()).to_wire()
    runtime = current_mock().runtime
    scope = _scope()
    if scope is None:
        runtime.change_faults(lambda faults: {**faults, operation: fault})
    else:
        runtime.change_scope(
            scope.key,
            lambda entry: {**entry, "faults": {**entry.get("faults", {}), operation: fault}},
        )
    return _reply(fault)


@control.delete("/faults/<operation>")
def clear_fault(operation: str) -> Response:
    scope = _scope()

    def without(faults: dict[str, Any]) -> dict[str, Any]:
        if operation not in faults:
            what = "every operation" if operation == EVERY_OPERATION else operation
            where = "" if scope is None else f" in scope {scope.to_wire()}"
            raise NotFound(f"No fault is set for {what}{where}")
        return {op: fault for op, fault in faults.items() if op != operation}

    runtime = current_mock().runtime
    if scope is None:
        return _reply({"faults": runtime.change_faults(without)})
    entry = runtime.change_scope(
        scope.key, lambda entry: {**entry, "faults": without(entry.get("faults", {}))}
    )
    return _reply({"scope": scope.to_wire(), "faults": entry.get("faults", {})})


def _ns(ns: Namespace) -> dict[str, str]:
    return {"accountId": ns.account_id, "streamId": ns.stream_id}
