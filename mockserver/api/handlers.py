"""The seven contacts operations on the wire: one handler per operationId of openapi.yaml.

Handlers get a validated, authenticated ``Call`` and turn the service's domain results into
the documented response bodies. They never parse JSON or check fields themselves. The tenant
profile in force comes with the call; the handler hands the domain the readings it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Request
from werkzeug.datastructures import FileStorage

from mockserver import body_limit, multipart
from mockserver.contacts.csv_rows import LENIENT_OPTIONAL
from mockserver.contacts.model import Caller, Contact, Namespace
from mockserver.contacts.rules import with_empty_optional_fields
from mockserver.contacts.service import BulkOutcome, ContactsService, SaveOutcome
from mockserver.errors import (
    InvalidArguments,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationError,
)
from mockserver.profile import Profile
from mockserver.settings import Limits
from mockserver.validation import DECLARED_TYPE, INT64_MAX, ValidRequest, integer_of

REJECTED_HEADER = "X-Mock-Rejected-Rows"
IMPORT_PART = "result_file"
MULTIPART = "multipart/form-data"
SEND_A_FILE = (
    f"send the CSV file as multipart/form-data in the part {IMPORT_PART!r} "
    f"(curl --form {IMPORT_PART}=@contacts.csv)"
)
DELETE_OMITS = ("updatedBy", "updatedByAId")  # the delete sample's answer shows neither
PAGE_DEFAULTS = {"skip": 0, "limit": 10}
PAGE_BOUNDS = {"skip": (0, None), "limit": (1, 100)}


@dataclass
class Call:
    ns: Namespace
    caller: Caller
    valid: ValidRequest
    request: Request
    service: ContactsService
    limits: Limits
    profile: Profile

    @property
    def deleted_hold(self) -> bool:
        return self.profile.deleted_numbers == "kept"


@dataclass
class Reply:
    body: Any  # JSON-able; or, for ``contacts``, None
    status: int = 200
    headers: dict[str, str] | None = None
    report: list[dict[str, Any]] | None = None  # per-row report for the journal
    contacts: list[Contact] | None = None  # a JSON array of contacts, streamed in chunks


def import_contacts(call: Call) -> Reply:
    data = _uploaded_csv(call.request, call.limits.max_upload_bytes)
    lenient = call.profile.required_fields == "lenient"
    outcome = call.service.import_csv(
        call.ns,
        call.caller,
        data,
        policy=call.profile.import_policy,
        max_rows=call.limits.max_import_rows,
        optional_columns=LENIENT_OPTIONAL if lenient else frozenset(),
        deleted_hold=call.deleted_hold,
    )
    return _saved(outcome)


def create_contacts(call: Call) -> Reply:
    items = call.valid.body
    _check_item_count(items, call.limits)
    if call.profile.required_fields == "lenient":  # absent is empty
        items = [with_empty_optional_fields(item) for item in items]
    outcome = call.service.create(
        call.ns,
        call.caller,
        items,
        policy=call.profile.import_policy,
        deleted_hold=call.deleted_hold,
    )
    return _saved(outcome)


def list_contacts(call: Call) -> Reply:
    query = call.valid.query
    if call.profile.list_query == "lenient":
        skip, limit = (_clamped(name, query.get(name)) for name in ("skip", "limit"))
    else:
        skip, limit = query.get("skip", 0), query.get("limit", 10)
    page = call.service.list(call.ns, skip=skip, limit=limit)
    return Reply(page.to_wire())


def update_contact(call: Call) -> Reply:
    contact = call.service.update(
        call.ns,
        call.caller,
        call.valid.path["contactId"],
        call.valid.body,
        deleted_hold=call.deleted_hold,
    )
    return Reply(contact.to_wire())


def bulk_update_contacts(call: Call) -> Reply:
    items = call.valid.body
    _check_item_count(items, call.limits)
    outcome = call.service.bulk_update(call.ns, call.caller, items, deleted_hold=call.deleted_hold)
    return _bulk(outcome, lambda c: {"id": c.id, "contact": c.to_raw()})


def delete_contact(call: Call) -> Reply:
    contact = call.service.delete(call.ns, call.caller, call.valid.path["contactId"])
    body = contact.to_wire()
    for name in DELETE_OMITS:
        body.pop(name, None)
    return Reply(body)


def bulk_delete_contacts(call: Call) -> Reply:
    ids = call.valid.body[call.profile.bulk_delete_field]
    _check_item_count(ids, call.limits)
    outcome = call.service.bulk_delete(call.ns, call.caller, ids)
    return _bulk(outcome, lambda c: {"id": c.id})


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    "importContacts": import_contacts,
    "createContacts": create_contacts,
    "listContacts": list_contacts,
    "updateContact": update_contact,
    "bulkUpdateContacts": bulk_update_contacts,
    "deleteContact": delete_contact,
    "bulkDeleteContacts": bulk_delete_contacts,
}


def _saved(outcome: SaveOutcome) -> Reply:
    return Reply(
        None,
        contacts=outcome.created,
        headers={REJECTED_HEADER: str(len(outcome.rejected))},
        report=[r.to_report() for r in outcome.rejected],
    )


def _bulk(outcome: BulkOutcome, success: Callable[[Any], dict[str, Any]]) -> Reply:
    failed = [
        {"id": r.id, "reason": r.reason, "msg": r.msg, **({"number": r.number} if r.number else {})}
        for r in outcome.failed
    ]
    return Reply(
        {
            "totalRequested": outcome.requested,
            "successful": len(outcome.succeeded),
            "failed": len(outcome.failed),
            "successfulRecords": [success(c) for c in outcome.succeeded],
            "failedRecords": failed,
        },
        report=[r.to_report() for r in outcome.failed],
    )


def _clamped(name: str, value: Any) -> int:
    """``listQuery: lenient``: a non-integer (or a name given twice) is the default, an integer
    out of range its bound — but an integer no 64-bit offset holds is the validation error, as
    on every list request, and never echoed."""
    given = [_lenient_integer(v) for v in (value if isinstance(value, list) else [value])]
    if any(v is not None and not -INT64_MAX - 1 <= v <= INT64_MAX for v in given):
        raise InvalidArguments(
            f"query.{name}: the value does not fit in 64 bits (the largest is {INT64_MAX})"
        )
    if len(given) != 1 or given[0] is None:
        return PAGE_DEFAULTS[name]
    low, high = PAGE_BOUNDS[name]
    value = max(low, given[0])
    return value if high is None else min(high, value)


def _lenient_integer(value: Any) -> int | None:
    """A query value (text: the reading's schema has no type) as the integer it spells, spaces
    around allowed, as the strict reading reads one; else None."""
    number = integer_of(value.strip()) if isinstance(value, str) else None
    return number if isinstance(number, int) else None


def _check_item_count(items: list[Any], limits: Limits) -> None:
    if len(items) > limits.max_json_items:
        raise PayloadTooLarge(
            f"The request has {len(items)} items; this server takes at most "
            f"{limits.max_json_items} per call"
        )


def _uploaded_csv(request: Request, limit: int) -> bytes:
    """The bytes of the one ``result_file`` part of a multipart/form-data body of at most
    ``limit`` bytes."""
    if request.mimetype != MULTIPART:
        raise UnsupportedMediaType(
            f"Content type {request.mimetype or 'none'!r} is not supported here; {SEND_A_FILE}"
        )
    if not request.mimetype_params.get("boundary"):
        raise ValidationError("The multipart/form-data content type has no boundary")
    body_limit.hold(request, limit)
    parts = _file_parts(request)
    body_limit.check(request)
    if not parts:
        hint = _hint(request)
        raise ValidationError(f"The multipart body has no file part {IMPORT_PART!r}{hint}")
    if len(parts) > 1:
        raise ValidationError(
            f"The multipart body has {len(parts)} {IMPORT_PART!r} parts; send one"
        )
    multipart.refuse_other_parts(request, (IMPORT_PART,), repr(IMPORT_PART))
    return parts[0].read()


def _hint(request: Request) -> str:
    if IMPORT_PART in request.form:
        return f" ({IMPORT_PART!r} is a text field; send a file: curl --form {IMPORT_PART}=@FILE)"
    found = sorted({name for name in (*request.files, *request.form) if name})
    return f" (found: {', '.join(found)})" if found else ""


def _file_parts(request: Request) -> list[FileStorage]:
    try:
        return multipart.file_parts(request, (IMPORT_PART,))
    except multipart.Malformed:
        declared = request.environ.get(DECLARED_TYPE)
        if declared is not None:
            raise UnsupportedMediaType(
                f"Content type {declared!r} is not supported here and the body is not the "
                f"multipart/form-data its boundary announces; {SEND_A_FILE}"
            ) from None
        raise
