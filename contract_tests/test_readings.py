"""Which reading of the tenant profile the host shows, for the behaviours the vendor leaves open.

Each scenario sends one request whose answer tells the readings of a behaviour apart, through
the documented API only, with fictitious numbers. Every reading kore-mock knows passes; which
one the host showed is recorded (``observed``; ``--profile-report FILE`` writes them as JSON).
With a stated profile (in-process: always) a different reading fails, and so does an answer no
reading describes. Readings that one app's token cannot tell apart (``scopeErrorCode``,
``accountIdFormat``, ``rateLimitScope``) are left to the mock's own tests.
"""

from __future__ import annotations

from typing import Any

from contract_tests.client import KoreClient, Reply, contact
from contract_tests.guard import never_issued_id
from contract_tests.numbers import Number
from contract_tests.observed import Observations

KORE_VALIDATION_MSG = "Validation errors/ Invalid arguments"
VALIDATION_STATUSES = (412, 400)


def refused_as_invalid(reply: Reply) -> bool:
    """A validation refusal, under either reading of validationStatus."""
    return reply.status in VALIDATION_STATUSES and isinstance(reply.body, dict)


def created(kore: KoreClient, number: Number) -> dict[str, Any]:
    reply = kore.create([contact("Ada", "Lovelace", number.cell_phone())])
    assert reply.status == 200 and len(reply.body) == 1, reply.describe()
    return reply.body[0]


def test_validation_status(kore: KoreClient, observed: Observations, fresh_number):
    reply = kore.create([contact("", "Lovelace", fresh_number().cell_phone())])  # empty name
    assert refused_as_invalid(reply), f"an empty firstName must be refused: {reply.describe()}"
    first = reply.body["errors"][0]
    if reply.status == 412:
        assert first == {"msg": KORE_VALIDATION_MSG, "code": 412}, reply.describe()
    observed.saw("validationStatus", reply.status, reply.describe())


def test_not_found_status(kore: KoreClient, observed: Observations):
    # a delete: no body a host could refuse first (an update's would, under updateBodies: full)
    reply = kore.delete(never_issued_id("readings"))
    assert reply.status in (404, 400), f"an unknown id must be refused: {reply.describe()}"
    observed.saw("notFoundStatus", reply.status, reply.describe())


def test_list_query(kore: KoreClient, observed: Observations):
    reply = kore.call("GET", query={"limit": 101})
    if refused_as_invalid(reply):
        observed.saw("listQuery", "strict", reply.describe())
        return
    assert reply.status == 200, reply.describe()
    assert reply.body["limit"] == 100, f"limit=101 must be refused or clamped: {reply.describe()}"
    observed.saw("listQuery", "lenient", reply.describe())


def test_required_fields(kore: KoreClient, observed: Observations, fresh_number):
    number = fresh_number()
    phone = {k: v for k, v in number.cell_phone().items() if k != "extension"}
    reply = kore.create([{"firstName": "Ada", "lastName": "Lovelace", "cellPhone": phone}])
    if refused_as_invalid(reply):
        observed.saw("requiredFields", "documented", reply.describe())
        return
    assert reply.status == 200 and len(reply.body) == 1, reply.describe()
    assert (reply.body[0]["salutation"], reply.body[0]["cellPhone"]["extension"]) == ("", "")
    observed.saw("requiredFields", "lenient", reply.describe())


def test_update_bodies(kore: KoreClient, observed: Observations, fresh_number):
    ada = created(kore, fresh_number())
    reply = kore.update(ada["id"], {"firstName": "Augusta"})
    if refused_as_invalid(reply):
        observed.saw("updateBodies", "full", reply.describe())
        return
    assert reply.status == 200, reply.describe()
    assert (reply.body["firstName"], reply.body["lastName"]) == ("Augusta", "Lovelace")
    observed.saw("updateBodies", "partial", reply.describe())


def test_bulk_delete_field(kore: KoreClient, observed: Observations, fresh_number):
    ada = created(kore, fresh_number())
    reply = kore.call("DELETE", "/bulk-delete", json_body={"ids": [ada["id"]]})
    if reply.status == 200:
        assert reply.body["successful"] == 1, reply.describe()
        observed.saw("bulkDeleteField", "ids", reply.describe())
        return
    assert refused_as_invalid(reply), reply.describe()
    reply = kore.call("DELETE", "/bulk-delete", json_body={"id": [ada["id"]]})
    assert reply.status == 200 and reply.body["successful"] == 1, reply.describe()
    observed.saw("bulkDeleteField", "id", reply.describe())
