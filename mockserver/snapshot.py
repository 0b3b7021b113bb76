"""Snapshots: the whole state of a store as one versioned JSON document, and back.

A snapshot holds every contact (ACTIVE and INACTIVE, legacy duplicates with their holder slots,
ids and timestamps as stored, in listing order), the run-time state in force — apps with their
secrets, the tenant profile (every reading, the import policy among them), the rate limit,
faults and scopes — and optionally the journal. Its form
is the control contract's ``Snapshot`` schema; it does not depend on the backend, so a snapshot
saved from SQLite loads into PostgreSQL and back.

``read`` checks a document whole before anything is written — JSON, kind and version, the
schema, its savedAt (an ISO-8601 instant), the counts it declares, the apps, faults and
readings as the settings file would check them, ids and holder slots, contacts the vendor API
could have stored, journal entries as the journal writes them (the schema's
``JournalRecord``), integers that fit their columns (one written ``1.0`` is the integer 1, as
the schema counts it) — so that a bad or truncated snapshot is refused with a clear error and
changes nothing; the store then replaces everything in one transaction.
"""

from __future__ import annotations

import functools
import operator
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import jsonschema_rs
import orjson

from mockserver import __version__, json_body
from mockserver.contacts.model import ACTIVE, Namespace, now_iso, utc_instant
from mockserver.errors import ValidationError
from mockserver.faults import EVERY_OPERATION, Fault
from mockserver.profile import ACCOUNT_ID_FORMATS, Profile
from mockserver.runtime import (
    APPS_KEY,
    FAULTS_KEY,
    LEGACY_POLICY_KEY,
    PROFILE,
    READINGS,
    SCOPES_KEY,
)
from mockserver.scopes import Scope, check_scenario
from mockserver.settings import App, Settings, SettingsError
from mockserver.spec import CONTROL, VENDOR, describe, with_integers
from mockserver.store.base import CONTENT_COLUMNS, POSTGRES_SCHEMES, Store, StoreContents

KIND = "kore-mock-snapshot"
_ACCOUNT = re.compile(ACCOUNT_ID_FORMATS["any"])  # every account id the vendor API takes
VERSION = 1
MAX_ERRORS = 5  # problems named in one refusal

# store column -> the snapshot's field
FIELDS = {
    "account_id": "accountId",
    "stream_id": "streamId",
    "first_name": "firstName",
    "last_name": "lastName",
    "phone_number": "phoneNumber",
    "country_code": "countryCode",
    "org_id": "orgId",
    "created_by": "createdBy",
    "created_by_aid": "createdByAId",
    "updated_by": "updatedBy",
    "updated_by_aid": "updatedByAId",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
    "dup_slot": "dupSlot",
}
KEYS = tuple(FIELDS.get(column, column) for column in CONTENT_COLUMNS)
assert CONTENT_COLUMNS[3] == "status"
_INSTANTS = ("createdAt", "updatedAt")
SUMMARY_HEADER = "X-Mock-Snapshot"  # what a saved snapshot holds, for a client that only stores it


def save(store: Store, settings: Settings, *, with_journal: bool) -> tuple[bytes, str]:
    """The snapshot of ``store`` as JSON bytes (start-up values fill what was not changed), and
    a one-line summary of what it holds (``contacts=5; active=4; apps=1; journal=3``)."""
    contents = store.contents(with_journal=with_journal)
    document: dict[str, Any] = {
        "kind": KIND,
        "version": VERSION,
        "savedAt": now_iso(),
        "savedBy": f"kore-mock {__version__} ({_backend(store)})",
        "counts": {"contacts": len(contents.contacts)},
        "contacts": [dict(zip(KEYS, row, strict=True)) for row in contents.contacts],
        "state": state_in_force(contents.state, settings),
    }
    if contents.journal is not None:
        document["counts"]["journal"] = len(contents.journal)
        document["journal"] = [{"id": i, "entry": entry} for i, entry in contents.journal]
    active = sum(row[3] == ACTIVE for row in contents.contacts)  # status: the 4th column
    summary = (
        f"contacts={len(contents.contacts)}; active={active}; "
        f"apps={len(document['state'][APPS_KEY])}"
    )
    if contents.journal is not None:
        summary += f"; journal={len(contents.journal)}"
    body = orjson.dumps(document)
    if b"\\u0000" in body:  # orjson escapes a NUL: only then are the contacts walked
        held = _nul_places(document["contacts"])
        if held:
            summary += f"; unloadable={len(held)}; first={held[0]}"
    return body, summary


def _nul_places(contacts: list[dict[str, Any]]) -> list[str]:
    """Where contacts hold a NUL (the first place of each): an older kore-mock stored some over
    JSON on SQLite; a load refuses them (``_check_no_nul``), so a save says so."""
    first: dict[int, str] = {}
    for i, where, value in _contact_fields(contacts):
        if i not in first and _holds_nul(value):
            first[i] = where
    return list(first.values())


def _contact_fields(contacts: list[dict[str, Any]]) -> Iterator[tuple[int, str, Any]]:
    """(index, ``contacts[i].field``, value) of every field of ``contacts``."""
    for i, contact in enumerate(contacts):
        for key, value in contact.items():
            yield i, f"contacts[{i}].{key}", value


def _holds_nul(value: Any) -> bool:
    """A NUL in any string of ``value`` (keys included): what no store's text column takes."""
    return any("\x00" in text for text in json_body.strings(value))


def state_in_force(stored: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Every run-time value as the server applies it: the stored one, else the start-up one."""
    state: dict[str, Any] = {}
    for reading in READINGS:
        value = stored.get(reading.key)
        state[reading.key] = reading.dump(reading.start_up(settings)) if value is None else value
    # the profile whole (every reading as applied), so that it loads the same into a server
    # started with another profile
    changed = dict(stored.get(PROFILE.key) or {})
    legacy = stored.get(LEGACY_POLICY_KEY)
    if legacy is not None:
        changed.setdefault("importPolicy", legacy)
    state[PROFILE.key] = settings.profile.with_readings(changed, "run-time profile").to_mapping()
    state[APPS_KEY] = stored.get(APPS_KEY) or [
        app.to_dict(with_secret=True) for app in settings.apps
    ]
    state[FAULTS_KEY] = stored.get(FAULTS_KEY) or {}
    state[SCOPES_KEY] = stored.get(SCOPES_KEY) or {}
    return state


def read(
    body: bytes,
    *,
    journal_size: int,
    journal: bool | None = None,
    start_up: Profile | None = None,
) -> StoreContents:
    """A checked snapshot, ready for ``Store.replace_contents``; ``ValidationError`` otherwise.

    ``journal``: None loads the journal the snapshot holds, if any; True requires one; False
    leaves it out. A journal longer than ``journal_size`` keeps its newest entries, as the
    server would. ``start_up``: the loading server's start-up profile; the snapshot's profile
    is kept as the readings that differ from it (the same profile in force, and a reading
    left at its start-up value still shows so).
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(
            f"The snapshot is not valid JSON (is the file complete?): {exc}"
        ) from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise ValidationError(f"This is not a kore-mock snapshot: 'kind' must be {KIND!r}")
    with_integers(document, "Snapshot")  # 1.0 is an integer to the schema: make it one to us
    version = document.get("version")
    if json_body.is_integer(version) and version > VERSION:
        raise ValidationError(
            f"The snapshot is format {version if version < 10**20 else f'{version:.0e}'}, newer "
            f"than this kore-mock reads ({VERSION}); upgrade kore-mock"
        )
    problems = [  # a pattern in the schema's words (x-refusal), not as the regex
        f"snapshot{_path(error)}: {describe(error)}" for error in _validator().iter_errors(document)
    ]
    if problems:
        raise ValidationError(_listed(problems))
    try:
        utc_instant(document["savedAt"])
    except ValueError as exc:
        raise ValidationError(f"snapshot.savedAt: {document['savedAt']!r:.60} {exc}") from None
    contacts = document["contacts"]
    entries_held = document.get("journal")
    if b"\\u0000" in body:  # the escape: orjson refuses a raw NUL in a string
        _check_no_nul(document)
    _check_counts(document["counts"], contacts, entries_held)
    if journal and entries_held is None:
        raise ValidationError("The snapshot holds no journal (it was saved without it)")
    for contact in contacts:  # as the vendor API and the control plane name it: any case
        contact["accountId"] = contact["accountId"].lower()
    _check_contacts(contacts)
    state = _checked_state(document["state"])
    if start_up is not None and state.get(PROFILE.key):
        changed = _changed_from(state.pop(PROFILE.key), start_up)
        if changed:
            state[PROFILE.key] = changed
    row_of = operator.itemgetter(*KEYS)
    rows = [row_of(c) for c in contacts]
    entries = None
    if entries_held is not None and journal is not False:
        _check_unique([e["id"] for e in entries_held], "journal ids")
        entries = [(e["id"], e["entry"]) for e in sorted(entries_held, key=lambda e: e["id"])]
        entries = entries[-journal_size:]
    return StoreContents(rows, state, entries)


def _check_counts(counts: dict[str, int], contacts: list[Any], journal: list[Any] | None) -> None:
    if counts["contacts"] != len(contacts):
        raise ValidationError(
            f"The snapshot declares {counts['contacts']} contacts but holds {len(contacts)}: "
            "is the file complete?"
        )
    declared = counts.get("journal")
    held = None if journal is None else len(journal)
    if declared != held:
        raise ValidationError(
            f"The snapshot declares {declared if declared is not None else 'no'} journal "
            f"entries but holds {held if held is not None else 'none'}"
        )


def _check_contacts(contacts: list[dict[str, Any]]) -> None:
    _check_unique([c["id"] for c in contacts], "contact ids")
    for i, contact in enumerate(contacts):
        if not contact["phoneNumber"].startswith(contact["countryCode"]):
            raise ValidationError(
                f"snapshot.contacts[{i}].phoneNumber: {contact['phoneNumber']!r} does not start "
                f"with its countryCode {contact['countryCode']!r} (the number key is the "
                "country code and the number)"
            )
    # the schema checks the form of an instant; a calendar checks its day (few distinct ones)
    days = {c[key][:10]: (i, key) for i, c in enumerate(contacts) for key in _INSTANTS}
    for day, (i, key) in days.items():
        try:
            date.fromisoformat(day)
        except ValueError:
            raise ValidationError(
                f"snapshot.contacts[{i}].{key}: {contacts[i][key]!r} is not a day of the calendar"
            ) from None
    holders = Counter(
        (c["accountId"], c["streamId"], c["phoneNumber"], c["dupSlot"])
        for c in contacts
        if c["status"] == ACTIVE
    )
    twice = [key for key, count in holders.items() if count > 1]
    if twice:
        account, stream, number, slot = twice[0]
        raise ValidationError(
            f"snapshot.contacts: two ACTIVE contacts of {account} / {stream} hold {number} at "
            f"dupSlot {slot} (legacy duplicates of a number need distinct slots)"
        )


def _check_no_nul(document: dict[str, Any]) -> None:
    """No NUL in what reaches a store's text column: the vendor API refuses one (PostgreSQL's
    text cannot hold it). A journal entry's kept request may hold one (a request refused, and
    journaled as sent; a JSON column holds it): only the fields its filter columns read count."""
    places = [(where, value) for _, where, value in _contact_fields(document["contacts"])]
    places += [
        (f"journal[{i}].entry.{key}", held["entry"].get(key))
        for i, held in enumerate(document.get("journal") or ())
        for key in ("at", "operation", "scenario", "namespace")
    ]
    for where, value in places:
        if _holds_nul(value):
            hint = (
                " (an older kore-mock stored some on SQLite: remove it from the file, or update "
                "or delete that contact and save again)"
                if where.startswith("contacts")
                else ""
            )
            raise ValidationError(
                f"snapshot.{where} holds a NUL character (\\u0000); no field takes one{hint}"
            )


def _check_unique(values: list[Any], what: str) -> None:
    repeated = [value for value, count in Counter(values).items() if count > 1]
    if repeated:
        raise ValidationError(f"snapshot: {what} repeat: {', '.join(map(str, repeated[:5]))}")


def _checked_state(state: dict[str, Any]) -> dict[str, Any]:
    """The state as the settings file and the control plane would accept it."""
    checked: dict[str, Any] = {}
    state = _with_profile(state)
    for reading in READINGS:
        if reading.key in state:
            try:
                dumped = reading.dump(reading.load(state[reading.key]))
            except (SettingsError, KeyError, TypeError, ValueError) as exc:
                raise ValidationError(f"snapshot.state.{reading.key}: {exc}") from None
            if dumped is not None:
                checked[reading.key] = dumped
    if APPS_KEY in state:
        try:
            apps = [
                App.from_dict(raw, f"snapshot.state.apps[{i}]", stored=True)
                for i, raw in enumerate(state[APPS_KEY])
            ]
        except SettingsError as exc:
            raise ValidationError(str(exc)) from None
        _check_unique([app.client_id for app in apps], "app clientIds")
        checked[APPS_KEY] = [app.to_dict(with_secret=True) for app in apps]
    faults = _checked_faults(state.get(FAULTS_KEY) or {}, "snapshot.state.faults")
    if faults:
        checked[FAULTS_KEY] = faults
    scoped = {}
    for key, entry in (state.get(SCOPES_KEY) or {}).items():
        where = f"snapshot.state.scopes[{key!r}]"
        folded = _checked_scope_key(key, where)
        if folded in scoped:
            raise ValidationError(f"{where}: another scope names the same {folded!r}")
        readings = {}
        for name, raw in _with_profile(entry.get("readings") or {}).items():
            reading = next((r for r in READINGS if r.key == name), None)
            if reading is None:
                raise ValidationError(f"{where}.readings: no reading {name!r}")
            try:
                dumped = reading.dump(reading.load(raw))
            except (SettingsError, KeyError, TypeError, ValueError) as exc:
                raise ValidationError(f"{where}.readings.{name}: {exc}") from None
            if dumped is not None:
                readings[name] = dumped
        parts = {
            "faults": _checked_faults(entry.get("faults") or {}, f"{where}.faults"),
            "readings": readings,
        }
        parts = {part: value for part, value in parts.items() if value}
        scoped[folded] = parts
    scoped = {key: parts for key, parts in scoped.items() if parts}
    if scoped:
        checked[SCOPES_KEY] = scoped
    return checked


def _changed_from(readings: dict[str, Any], start_up: Profile) -> dict[str, Any] | None:
    changed = {name: value for name, value in readings.items() if start_up.get(name) != value}
    return changed or None


def _with_profile(readings: dict[str, Any]) -> dict[str, Any]:
    """Readings with a top-level ``importPolicy`` (snapshots saved before the tenant profile)
    moved into the profile."""
    if LEGACY_POLICY_KEY not in readings:
        return readings
    moved = {key: value for key, value in readings.items() if key != LEGACY_POLICY_KEY}
    profile = moved.get(PROFILE.key)
    profile = dict(profile) if isinstance(profile, dict) else {}
    profile.setdefault("importPolicy", readings[LEGACY_POLICY_KEY])
    moved[PROFILE.key] = profile
    return moved


def _checked_faults(faults: dict[str, Any], where: str) -> dict[str, Any]:
    checked = {}
    for operation, raw in faults.items():
        if operation != EVERY_OPERATION and operation not in VENDOR.operation_ids():
            raise ValidationError(f"{where}: no operation {operation!r}")
        try:
            checked[operation] = Fault.from_wire(raw).to_wire()
        except ValidationError as exc:
            raise ValidationError(f"{where}.{operation}: {exc.msg}") from None
    return checked


def _checked_scope_key(key: str, where: str) -> str:
    """The key, a namespace's account id in lower case (as every request names it)."""
    scope = Scope.from_key(key)
    if scope.kind == "scenario":
        check_scenario(scope.value)
    elif scope.kind == "namespace":
        account, _, stream = scope.value.partition("/")
        if not (_ACCOUNT.fullmatch(account) and stream.startswith("st-")):
            raise ValidationError(f"{where}: a namespace scope is 'namespace:ACCOUNT/STREAM'")
        return Scope.of_namespace(Namespace(account.lower(), stream)).key
    elif scope.kind != "clientId" or not scope.value:
        raise ValidationError(
            f"{where}: a scope key is scenario:NAME, clientId:ID or namespace:ACCOUNT/STREAM"
        )
    return key


@functools.cache
def _validator() -> Any:
    return jsonschema_rs.validator_for(
        {"$ref": "#/components/schemas/Snapshot", "components": CONTROL.document["components"]}
    )


def _backend(store: Store) -> str:
    return "postgresql" if store.url.startswith(POSTGRES_SCHEMES) else "sqlite"


def _path(error: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)


def _listed(problems: list[str]) -> str:
    more = len(problems) - MAX_ERRORS
    text = "; ".join(problems[:MAX_ERRORS])
    return text + (f"; and {more} more" if more > 0 else "")
