"""Checks beyond schemathesis' own: what a 200 answer must mean, read from the request sent.

They never demand that something is created (the stored state is unknown to a generated case);
they forbid what the contract rules out: a contact from an invalid row, a second contact for a
number repeated in the same request, a changed field the request did not ask for, a page that
contradicts its own counts. Registered with ``@schemathesis.check``, so every generated case and
stateful step runs them.

The oracle is the contract alone, never the mock's code. Which items a save may turn into
contacts is decided from openapi.yaml's ``ContactInput`` schema, checked here with
python-jsonschema (the reference implementation; the mock checks with jsonschema-rs through its
own wrapper), plus the E.164 rule of the schema's description, restated in ``numbers.e164_key``;
the CSV columns and the ``X-Mock-Rejected-Rows`` header are restated from the contract too. An
oracle that shared the mock's validator could not catch that validator's bugs: a rule the mock
gets wrong would be wrong on both sides and every check would pass. The suite imports the mock
only to start it as a target (``target.py``) and to find the document (``schema.py``,
``oracle.py``); the
layer test (tests/test_layers.py) keeps it so.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import ensure_resource_availability, ignored_auth

from contract_tests.client import CSV_COLUMNS
from contract_tests.guard import NEVER_ISSUED_PREFIX
from contract_tests.numbers import e164_key
from contract_tests.oracle import contact_input_is_valid, stated

REJECTED_HEADER = "X-Mock-Rejected-Rows"
# Operations already shown to refuse missing and invalid tokens in this run (one run per process).
_auth_enforced: set[str] = set()
# Numbers the namespace's ACTIVE contacts shared before the run (legacy duplicates, which Kore
# never cleans up): a page may show each more than once (``leave_out_legacy``).
_legacy_duplicates: frozenset[str] = frozenset()


def leave_out_legacy(numbers: set[str]) -> None:
    """The run's baseline: these numbers were shared before it, pages may repeat them."""
    global _legacy_duplicates
    _legacy_duplicates = frozenset(numbers)


@dataclass(frozen=True)
class Candidate:
    """A row or item that may be saved: valid, and the first of its number in the request."""

    key: str
    first: str
    last: str


@dataclass(frozen=True)
class SaveRequest:
    rows: int  # data rows / items sent
    candidates: list[Candidate]


def save_request(items: list[Any]) -> SaveRequest:
    """Which items of a save request may become contacts, in request order."""
    candidates: list[Candidate] = []
    seen: set[str] = set()
    for item in items:
        if not contact_input_is_valid(item):
            continue
        phone = item["cellPhone"]
        key = e164_key(phone["phoneNumber"], phone["countryCode"])
        if key is None or key in seen:
            continue
        seen.add(key)
        candidates.append(Candidate(key, item["firstName"], item["lastName"]))
    return SaveRequest(len(items), candidates)


def csv_items(data: bytes) -> list[dict[str, Any]] | None:
    """The rows of an import file as create items, or None when the file is not well-formed."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = [name.strip() for name in next(reader)]
        position = {name: header.index(name) for name in CSV_COLUMNS}
        items = []
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if len(fields) != len(header):
                return None
            cell = {name: fields[i].strip() for name, i in position.items()}
            items.append(
                {
                    "firstName": cell["firstName"],
                    "lastName": cell["lastName"],
                    "salutation": cell["salutation"],
                    "cellPhone": {
                        "phoneNumber": cell["cellPhoneNumber"],
                        "countryCode": cell["cellPhoneCountryCode"],
                        "extension": cell["cellPhoneExtension"],
                    },
                }
            )
        return items
    except (UnicodeDecodeError, StopIteration, ValueError, csv.Error):
        return None


def check_saved(request: SaveRequest, created: Any, headers: dict[str, list[str]]) -> None:
    """A 200 save answer holds contacts of candidate rows only, in order, one per number."""
    assert isinstance(created, list), "a save answers a JSON array of contacts"
    keys = [c["cellPhone"]["phoneNumber"] for c in created]
    assert len(keys) == len(set(keys)), f"the answer holds one number twice: {keys}"
    remaining = iter(request.candidates)
    for contact in created:
        key = contact["cellPhone"]["phoneNumber"]
        match = next((c for c in remaining if c.key == key), None)
        assert match is not None, (
            f"contact {contact.get('id')} with {key} does not come from a valid row that is the "
            f"first with its number (in request order); valid rows: {request.candidates}"
        )
        assert (contact["firstName"], contact["lastName"]) == (match.first, match.last), (
            f"contact {contact.get('id')} has the names {contact['firstName']!r} "
            f"{contact['lastName']!r}, the request said {match.first!r} {match.last!r}"
        )
        assert contact["status"] == "ACTIVE", f"a new contact is {contact['status']}"
    rejected = headers.get(REJECTED_HEADER.lower())
    if rejected:
        assert int(rejected[0]) == request.rows - len(created), (
            f"{REJECTED_HEADER}: {rejected[0]}, but {request.rows - len(created)} of "
            f"{request.rows} rows were not created"
        )


@schemathesis.check
def auth_is_enforced(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' ``ignored_auth``, confirmed once per operation and run, as its CLI does.

    After a 2xx it re-sends the request without the token and with an invalid one; both must be
    refused (401/403). Checking every success would triple the requests a rate-limited host gets.
    """
    ctx.auth_enforced_operations = _auth_enforced
    return ignored_auth(ctx, response, case)


@schemathesis.check
def created_contact_is_addressable(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' ``ensure_resource_availability``, aware that bulk delete removes contacts.

    A contact a link carries from a save must not answer 404 — unless a bulk delete of the same
    scenario removed it (schemathesis only knows deletes that address the contact's own path).
    Ids the suite substituted look like link values to schemathesis, so they are left out.
    """
    contact_id = case.path_parameters.get("contactId")
    if isinstance(contact_id, str) and contact_id.startswith(NEVER_ISSUED_PREFIX):
        return None  # not from a link: the suite put a never-issued id there (see `rewrite`)
    if response.status_code == 404 and contact_id in _bulk_deleted(ctx):
        return None
    return ensure_resource_availability(ctx, response, case)


def _bulk_deleted(ctx: Any) -> set[str]:
    """Ids a successful bulk delete of this scenario removed."""
    removed: set[str] = set()
    for earlier in ctx.internals.find_all_cases():
        if earlier.operation.definition.raw.get("operationId") != "bulkDeleteContacts":
            continue
        answer = ctx.internals.find_response(case_id=earlier.id)
        if answer is not None and answer.status_code == 200:
            removed |= {r["id"] for r in answer.json().get("successfulRecords", [])}
    return removed


def _answered(case: Any, response: Any, *operations: str) -> str | None:
    """The operationId when this is a 200 answer to one of ``operations`` with their method."""
    operation = case.operation.definition.raw.get("operationId")
    if operation not in operations or response.status_code != 200:
        return None
    if case.method.upper() != case.operation.method.upper():  # e.g. a probe with OPTIONS
        return None
    return operation


@schemathesis.check
def saves_only_valid_first_rows(ctx: Any, response: Any, case: Any) -> bool | None:
    """createContacts / importContacts: the created contacts are valid, distinct request rows."""
    operation = _answered(case, response, "createContacts", "importContacts")
    if operation == "createContacts" and isinstance(case.body, list):
        items = case.body
    elif operation == "importContacts" and isinstance(case.body, dict):
        data = case.body.get("result_file")
        parsed = csv_items(data.encode() if isinstance(data, str) else data or b"")
        if parsed is None:
            return None  # not a well-formed file: no row is a candidate we can name
        items = parsed
    else:
        return None
    check_saved(save_request(items), response.json(), response.headers)
    return True


@schemathesis.check
def list_page_is_consistent(ctx: Any, response: Any, case: Any) -> bool | None:
    """listContacts: ACTIVE contacts only, distinct numbers, counts that agree with each other."""
    if _answered(case, response, "listContacts") is None:
        return None
    page = response.json()
    if stated().list_query == "lenient":
        skip, limit = (
            _clamped(case.query.get("skip"), 0, 0),
            _clamped(case.query.get("limit"), 10, 1, 100),
        )
    else:
        skip, limit = _int(case.query.get("skip"), 0), _int(case.query.get("limit"), 10)
    results, total = page["results"], page["totalResults"]
    assert (page["skip"], page["limit"]) == (skip, limit), (
        f"asked for skip={skip} limit={limit}, the page says {page['skip']} {page['limit']}"
    )
    assert len(results) <= limit, f"{len(results)} results on a page of {limit}"
    assert all(c["status"] == "ACTIVE" for c in results), "the list shows INACTIVE contacts"
    keys = [c["cellPhone"]["phoneNumber"] for c in results]
    keys = [key for key in keys if key not in _legacy_duplicates]
    assert len(keys) == len(set(keys)), f"two ACTIVE contacts share a number: {keys}"
    assert page["totalPages"] == math.ceil(total / limit), (
        f"totalPages {page['totalPages']} for {total} contacts in pages of {limit}"
    )
    assert page["hasMore"] == (skip + len(results) < total), (
        f"hasMore {page['hasMore']} with skip {skip}, {len(results)} results, {total} in all"
    )
    return True


@schemathesis.check
def changes_what_was_asked(ctx: Any, response: Any, case: Any) -> bool | None:
    """updateContact / deleteContact: the answer is the addressed contact, changed as asked."""
    operation = _answered(case, response, "updateContact", "deleteContact")
    if operation is None:
        return None
    contact = response.json()
    assert contact["id"] == case.path_parameters["contactId"].lower(), (
        f"asked for contact {case.path_parameters['contactId']}, got {contact['id']}"
    )
    if operation == "deleteContact":
        assert contact["status"] == "INACTIVE", f"a deleted contact is {contact['status']}"
        return True
    assert contact["status"] == "ACTIVE", f"an updated contact is {contact['status']}"
    patch = case.body if isinstance(case.body, dict) else {}
    for field in ("firstName", "lastName", "salutation"):
        if field in patch:
            assert contact[field] == patch[field], (
                f"{field} is {contact[field]!r}, the update said {patch[field]!r}"
            )
    if isinstance(patch.get("cellPhone"), dict):
        phone = patch["cellPhone"]
        key = e164_key(phone["phoneNumber"], phone["countryCode"])
        assert contact["cellPhone"]["phoneNumber"] == key, (
            f"the number is {contact['cellPhone']['phoneNumber']}, the update said {key}"
        )
    assert contact["fullName"] == f"{contact['firstName']} {contact['lastName']}", (
        f"fullName {contact['fullName']!r} is not '<firstName> <lastName>'"
    )
    return True


@schemathesis.check
def bulk_counts_add_up(ctx: Any, response: Any, case: Any) -> bool | None:
    """bulkUpdateContacts / bulkDeleteContacts: one outcome per requested item."""
    operation = _answered(case, response, "bulkUpdateContacts", "bulkDeleteContacts")
    if operation is None:
        return None
    body = response.json()
    if operation == "bulkUpdateContacts":
        requested = len(case.body)
    else:  # the field is the reading bulkDeleteField: ids (the sample) or id (the table)
        requested = len(case.body.get("ids", case.body.get("id", [])))
    assert body["totalRequested"] == requested, (
        f"totalRequested {body['totalRequested']} for {requested} items"
    )
    assert body["successful"] == len(body["successfulRecords"]), "successful != records"
    assert body["failed"] == len(body["failedRecords"]), "failed != records"
    assert body["successful"] + body["failed"] == requested, (
        f"{body['successful']} successful + {body['failed']} failed != {requested} requested"
    )
    if operation == "bulkUpdateContacts":
        for record in body["successfulRecords"]:
            assert record["contact"]["_id"] == record["id"], f"record {record['id']} echoes _id "
    return True


def _clamped(value: Any, default: int, low: int, high: int | None = None) -> int:
    """The reading ``listQuery: lenient``, restated: a non-integer (ASCII digits with an
    optional ``-``, spaces around) or a name given twice is the default, an integer out of range
    its bound. A one-item list is the value sent once (the coverage phase generates them)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    number = _query_integer(value)
    if number is None:
        return default
    number = max(low, number)
    return number if high is None else min(high, number)


def _query_integer(value: Any) -> int | None:
    """A query value as the integer it spells (ASCII digits, an optional ``-``, spaces
    around), else None."""
    text = str(value).strip() if value is not None and not isinstance(value, list) else ""
    digits = text.removeprefix("-")
    return int(text) if digits.isascii() and digits.isdigit() else None


def beyond_64_bits(value: Any) -> bool:
    """Whether a query value spells an integer no 64-bit offset holds: a list value the
    reading ``listQuery: lenient`` refuses too."""
    number = _query_integer(value)
    return number is not None and not -(2**63) <= number < 2**63


@schemathesis.check
def lenient_list_refuses_only_what_it_must(ctx: Any, response: Any, case: Any) -> bool | None:
    """listContacts under a stated ``listQuery: lenient``: a case made invalid in its query
    alone is invalid only for the bounds the suite generates within (``LENIENT_BOUNDS``: a
    request line a server takes), not for the reading, which takes any skip and limit — unless
    a value is an integer beyond 64 bits, which it must refuse. schemathesis' own
    ``negative_data_rejection`` accepts any answer there (``schema.configuration``)."""
    meta = case.meta
    if (
        case.operation.definition.raw.get("operationId") != "listContacts"
        or stated().list_query != "lenient"
        or meta is None
        or not meta.generation.mode.is_negative
    ):
        return None
    values = [case.query.get(name) for name in ("skip", "limit")] if case.query else []
    sent = [v for value in values for v in (value if isinstance(value, list) else [value])]
    beyond = [v for v in sent if beyond_64_bits(v)]
    if not beyond:
        return None
    assert 400 <= response.status_code < 500, (
        f"a list value beyond 64 bits ({beyond[0]!r}) must be refused under listQuery: lenient "
        f"too, not answered {response.status_code}"
    )
    return True


def _int(value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AssertionError(f"the host answered 200 to the query value {value!r}") from None
