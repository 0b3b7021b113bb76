"""One small, safe scenario per reading of the tenant profile.

Every probe sends only fictitious numbers (the contract suite's pool and guard) and ids it
created or ids no host issues; what it creates is deleted after it (``run``). A probe returns, per
reading it tells apart, an ``Outcome``: the value the host showed, an ``Unexpected`` answer that
fits no value of the reading, or ``None`` with the reason it could not tell.

Probes run in the order of ``PROBES``: ``validationStatus`` first, since the others read a
"validation error" as the status the host uses for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contract_tests.client import Reply, contact, csv_file
from contract_tests.guard import never_issued_id
from contract_tests.numbers import Number, NumberPool
from mockserver.fidelity.client import ProbeClient
from mockserver.shadow.compare import is_envelope

VALIDATION_STATUSES = (412, 400)  # the values of validationStatus
FRESH_TRIES = 3  # numbers tried when a fresh one turns out held (by a contact a list hides)
ACCOUNT_OF_THE_CREATE_PAGE = "123456789"  # the create page's sample accountId
SCOPE_ERROR_CODES = (4002, 4003)  # the values of scopeErrorCode
NO_UNSCOPED_APP = (
    "needs a token of an app without the Configuration scope "
    "(--unscoped-client-id/--unscoped-client-secret or --unscoped-jwt)"
)


class Unexpected(str):
    """An answer that fits no value of the reading (e.g. ``"500"``): a contradiction the
    profile cannot hold."""


@dataclass(frozen=True)
class Outcome:
    observed: Any  # a value of the reading, an Unexpected, or None: not told apart
    note: str = ""


@dataclass
class Context:
    kore: ProbeClient
    numbers: NumberPool
    validation: tuple[int, ...] = VALIDATION_STATUSES  # narrowed by the validationStatus probe
    unscoped_token: str | None = None  # a token of an app without the Configuration scope
    shown: dict[str, Any] = field(default_factory=dict)  # what earlier probes observed

    def fresh(self) -> Number:
        return self.numbers.fresh()

    def is_validation_error(self, reply: Reply) -> bool:
        return reply.status in self.validation and is_envelope(reply.body)

    def new_contact(self, first: str, last: str, number: Number | None = None) -> dict | None:
        """A contact created with a fresh number (another one if it turns out held)."""
        for _ in range(1 if number is not None else FRESH_TRIES):
            phone = (number or self.fresh()).cell_phone(extension="")
            made = created(self.kore.create([contact(first, last, phone)]))
            if len(made) == 1:
                return made[0]
        return None


@dataclass(frozen=True)
class Probe:
    name: str
    readings: tuple[str, ...]
    sends: str  # what it sends to the host, for the report and the README
    run: Callable[[Context], dict[str, Outcome]] | None = None
    untestable: str = ""  # why no probe can tell the values apart (run is None then)


def created(reply: Reply) -> list[dict[str, Any]]:
    if reply.status != 200 or not isinstance(reply.body, list):
        return []
    return [c for c in reply.body if isinstance(c, dict) and "id" in c]


def _answered(reply: Reply) -> str:
    return f"{reply.status}" + (" in the envelope" if is_envelope(reply.body) else "")


# -- the probes ----------------------------------------------------------------------------


def validation_status(ctx: Context) -> dict[str, Outcome]:
    reply = ctx.kore.create({"firstName": "Ada"})  # an object where the API takes an array
    if reply.status in VALIDATION_STATUSES and is_envelope(reply.body):
        ctx.validation = (reply.status,)
        return {"validationStatus": Outcome(reply.status)}
    return {"validationStatus": Outcome(Unexpected(_answered(reply)), "a malformed body")}


def list_query(ctx: Context) -> dict[str, Outcome]:
    reply = ctx.kore.list_page(skip=0, limit=0)
    if reply.status == 200:
        return {"listQuery": Outcome("lenient", f"limit=0 answered 200 (limit {_limit(reply)})")}
    if ctx.is_validation_error(reply):
        return {"listQuery": Outcome("strict")}
    return {"listQuery": Outcome(Unexpected(_answered(reply)))}


def account_id_format(ctx: Context) -> dict[str, Outcome]:
    ctx.kore.account_header = ACCOUNT_OF_THE_CREATE_PAGE
    try:
        reply = ctx.kore.list_page(limit=1)
    finally:
        ctx.kore.account_header = None
    if reply.status == 401:
        return {"accountIdFormat": Outcome("any", "the id was read as an account (not ours): 401")}
    if ctx.is_validation_error(reply):
        return {"accountIdFormat": Outcome("objectId")}
    return {"accountIdFormat": Outcome(Unexpected(_answered(reply)))}


def not_found_status(ctx: Context) -> dict[str, Outcome]:
    reply = ctx.kore.delete(never_issued_id("kore-mock fidelity"))
    if reply.status in (404, 400) and is_envelope(reply.body):
        return {"notFoundStatus": Outcome(reply.status)}
    return {"notFoundStatus": Outcome(Unexpected(_answered(reply)))}


def import_policy(ctx: Context) -> dict[str, Outcome]:
    twice, once = ctx.fresh(), ctx.fresh()
    rows = [
        ["Ada", "Lovelace", "Ms", twice.national, twice.code(), ""],
        ["Grace", "Hopper", "Ms", twice.national, twice.code(), ""],
        ["Alan", "Turing", "Mr", once.national, once.code(), ""],
    ]
    reply = ctx.kore.import_csv(csv_file(rows))
    numbers = [c.get("cellPhone", {}).get("phoneNumber") for c in created(reply)]
    if reply.status == 200 and isinstance(reply.body, list):
        if numbers.count(twice.key) > 1:
            return {
                "importPolicy": Outcome(Unexpected("200, both rows of one number created")),
                "duplicateCreateStatus": Outcome(None, "the host stored a duplicate number"),
            }
        if once.key in numbers:
            return {
                "importPolicy": Outcome("skip"),
                "duplicateCreateStatus": Outcome(
                    None, "the host skips refused rows (importPolicy skip): none is refused whole"
                ),
            }
        return {"importPolicy": Outcome(None, "200 without the valid row (its number held?)")}
    if 400 <= reply.status < 500 and is_envelope(reply.body):
        return {
            "importPolicy": Outcome("reject", f"refused whole with {reply.status}"),
            "duplicateCreateStatus": Outcome(
                reply.status if reply.status in (400, 409, 412) else Unexpected(str(reply.status))
            ),
        }
    return {"importPolicy": Outcome(Unexpected(_answered(reply)))}


def required_fields(ctx: Context) -> dict[str, Outcome]:
    number = ctx.fresh()
    item = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "cellPhone": {"phoneNumber": number.national, "countryCode": number.code()},
    }  # no salutation, no extension
    reply = ctx.kore.create([item])
    if len(created(reply)) == 1:
        return {"requiredFields": Outcome("lenient")}
    if ctx.is_validation_error(reply) or (reply.status == 200 and reply.body == []):
        return {"requiredFields": Outcome("documented", f"refused: {_answered(reply)}")}
    return {"requiredFields": Outcome(Unexpected(_answered(reply)))}


def update_bodies(ctx: Context) -> dict[str, Outcome]:
    made = ctx.new_contact("Ada", "Lovelace")
    if made is None:
        return {"updateBodies": Outcome(None, "could not create a contact to update")}
    reply = ctx.kore.update(made["id"], {"firstName": "Augusta"})
    if reply.status == 200 and isinstance(reply.body, dict):
        if reply.body.get("firstName") == "Augusta" and reply.body.get("lastName") == "Lovelace":
            return {"updateBodies": Outcome("partial")}
        return {"updateBodies": Outcome(Unexpected("200, but not the field sent changed alone"))}
    if ctx.is_validation_error(reply):
        return {"updateBodies": Outcome("full")}
    return {"updateBodies": Outcome(Unexpected(_answered(reply)))}


def duplicate_update_status(ctx: Context) -> dict[str, Outcome]:
    first, second = ctx.new_contact("Ada", "Lovelace"), ctx.new_contact("Grace", "Hopper")
    if first is None or second is None:
        return {"duplicateUpdateStatus": Outcome(None, "could not create two contacts")}
    phone = first["cellPhone"]
    full = {  # every field the bulk-update table marks required: valid under updateBodies full
        "firstName": "Grace",
        "lastName": "Hopper",
        "salutation": "Mr",
        "cellPhone": {
            "phoneNumber": phone["phoneNumber"].removeprefix(phone["countryCode"]),
            "countryCode": phone["countryCode"],
            "extension": "",
        },
    }
    reply = ctx.kore.update(second["id"], full)
    if reply.status in (409, 400, 412) and is_envelope(reply.body):
        return {"duplicateUpdateStatus": Outcome(reply.status)}
    if reply.status == 200:
        return {"duplicateUpdateStatus": Outcome(Unexpected("200: two contacts share a number"))}
    return {"duplicateUpdateStatus": Outcome(Unexpected(_answered(reply)))}


def deleted_numbers(ctx: Context) -> dict[str, Outcome]:
    first = ctx.new_contact("Ada", "Lovelace")
    if first is None:
        return {"deletedNumbers": Outcome(None, "could not create a contact")}
    deleted = ctx.kore.delete(first["id"])
    if deleted.status != 200:
        return {"deletedNumbers": Outcome(None, f"the delete answered {_answered(deleted)}")}
    phone = first["cellPhone"]
    number = Number(
        phone["countryCode"].lstrip("+"),
        phone["phoneNumber"].removeprefix(phone["countryCode"]),
    )
    reply = ctx.kore.create([contact("Grace", "Hopper", number.cell_phone(extension=""))])
    if len(created(reply)) == 1:
        return {"deletedNumbers": Outcome("released")}
    if reply.status == 200 or (400 <= reply.status < 500 and is_envelope(reply.body)):
        return {"deletedNumbers": Outcome("kept", f"the new save answered {_answered(reply)}")}
    return {"deletedNumbers": Outcome(Unexpected(_answered(reply)))}


def bulk_delete_field(ctx: Context) -> dict[str, Outcome]:
    made = ctx.new_contact("Ada", "Lovelace")
    if made is None:
        return {"bulkDeleteField": Outcome(None, "could not create a contact")}
    for field_name in ("ids", "id"):
        reply = ctx.kore.call("DELETE", "/bulk-delete", json_body={field_name: [made["id"]]})
        if reply.status == 200 and isinstance(reply.body, dict) and reply.body.get("successful"):
            return {"bulkDeleteField": Outcome(field_name)}
        if not ctx.is_validation_error(reply):
            return {"bulkDeleteField": Outcome(Unexpected(f"{field_name}: {_answered(reply)}"))}
    return {"bulkDeleteField": Outcome(Unexpected("both ids and id refused"))}


def scope_error_code(ctx: Context) -> dict[str, Outcome]:
    if ctx.unscoped_token is None:
        return {"scopeErrorCode": Outcome(None, NO_UNSCOPED_APP)}
    ctx.kore.auth_header = ctx.unscoped_token
    try:
        reply = ctx.kore.list_page(limit=1)
    finally:
        ctx.kore.auth_header = None
    codes = _codes(reply.body)
    if reply.status == 401 and is_envelope(reply.body):
        scope = _scope_codes(reply.body)
        for code in SCOPE_ERROR_CODES:
            if code in scope:
                return {"scopeErrorCode": Outcome(code)}
        if not scope:  # refused as credentials (a wrong secret, an unknown app, a bad JWT)
            return {
                "scopeErrorCode": Outcome(
                    None,
                    "the host refused the --unscoped-* credentials themselves, not their scope "
                    f"(401 {', '.join(map(repr, _messages(reply.body)))}): check them",
                )
            }
        return {"scopeErrorCode": Outcome(Unexpected(f"401 code {', '.join(map(str, codes))}"))}
    if reply.status == 200:
        return {
            "scopeErrorCode": Outcome(
                None, "the app given as without the Configuration scope was let in (200)"
            )
        }
    return {"scopeErrorCode": Outcome(Unexpected(_answered(reply)))}


def _errors(body: Any) -> list[dict[str, Any]]:
    """The entries of an answer's error envelope."""
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors or [] if isinstance(e, dict)]


def _scope_codes(body: Any) -> list[Any]:
    """The codes of the errors that speak of the scope (Kore: "Permission denied. Scope is
    incorrect!"); a 401 for credentials ("Invalid SDK credentials", "Invalid JWT token") is no
    answer about the scope, whatever its code."""
    return [e.get("code") for e in _errors(body) if "scope" in str(e.get("msg", "")).lower()]


def _messages(body: Any) -> list[Any]:
    return [e.get("msg") for e in _errors(body)]


def _codes(body: Any) -> list[Any]:
    return [e.get("code") for e in _errors(body)]


def _limit(reply: Reply) -> Any:
    return reply.body.get("limit") if isinstance(reply.body, dict) else "?"


PROBES: tuple[Probe, ...] = (
    Probe(
        "validationStatus",
        ("validationStatus",),
        "POST …/contacts with a JSON object instead of an array (no number)",
        validation_status,
    ),
    Probe("listQuery", ("listQuery",), "GET …/contacts?skip=0&limit=0", list_query),
    Probe(
        "accountIdFormat",
        ("accountIdFormat",),
        f"GET …/contacts?limit=1 with the header accountId: {ACCOUNT_OF_THE_CREATE_PAGE} "
        "(the create page's sample)",
        account_id_format,
    ),
    Probe(
        "notFoundStatus",
        ("notFoundStatus",),
        "DELETE …/contacts/{an id no host issues (00000000…)}",
        not_found_status,
    ),
    Probe(
        "importPolicy",
        ("importPolicy", "duplicateCreateStatus"),
        "an import of 3 rows: two with one fictitious number, one with another",
        import_policy,
    ),
    Probe(
        "requiredFields",
        ("requiredFields",),
        "POST …/contacts with one contact without salutation and extension",
        required_fields,
    ),
    Probe(
        "updateBodies",
        ("updateBodies",),
        "a contact created, then PUT …/contacts/{id} with its first name only",
        update_bodies,
    ),
    Probe(
        "duplicateUpdateStatus",
        ("duplicateUpdateStatus",),
        "two contacts created, then PUT of the second (every field) onto the first's number",
        duplicate_update_status,
    ),
    Probe(
        "deletedNumbers",
        ("deletedNumbers",),
        "a contact created and deleted, then a new contact with its number",
        deleted_numbers,
    ),
    Probe(
        "bulkDeleteField",
        ("bulkDeleteField",),
        'a contact created, then DELETE …/bulk-delete with {"ids": [id]} (and {"id": [id]} '
        "if that is refused)",
        bulk_delete_field,
    ),
    Probe(
        "scopeErrorCode",
        ("scopeErrorCode",),
        "GET …/contacts?limit=1 with the token of an app without the Configuration scope (only "
        "when one is given: --unscoped-client-id/--unscoped-client-secret or --unscoped-jwt)",
        scope_error_code,
    ),
    Probe(
        "rateLimitScope",
        ("rateLimitScope",),
        "nothing",
        untestable="telling per-account from per-app counting means going over the tenant's "
        "rate limit with two apps on purpose; the fidelity run stays within it",
    ),
)
