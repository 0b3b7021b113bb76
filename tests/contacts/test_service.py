"""The contacts service on its own: every operation against a real store of the domain's port
(SQLite in memory), without HTTP. What a client sees is checked through HTTP elsewhere; here the
rules are pinned where they live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.contacts.model import ACTIVE, INACTIVE, Caller, Namespace
from mockserver.contacts.rules import (
    DUPLICATE_EXISTING,
    DUPLICATE_IN_FILE,
    DUPLICATE_IN_REQUEST,
    INVALID_FIELD,
    NOT_FOUND,
    REJECT,
    SKIP,
    ItemRules,
)
from mockserver.contacts.service import MAX_OFFSET, PHONE_FIELD, ContactsService, RowsRejected
from mockserver.errors import Conflict, NotFound, PayloadTooLarge, ValidationError
from mockserver.spec import items_check
from mockserver.store.sqlite import SqliteStore

NS = Namespace("63c7ebae6a2aef36de8f0001", "st-1")
OTHER_NS = Namespace("63c7ebae6a2aef36de8f0001", "st-2")
CALLER = Caller.for_app("cs-unit")
HEADER = "firstName,lastName,salutation,cellPhoneNumber,cellPhoneCountryCode,cellPhoneExtension"


def phone(number: str, cc: str = "+91") -> dict:
    return {"phoneNumber": number, "countryCode": cc}


def item(first: str, number: str, cc: str = "+91", last: str = "doe") -> dict:
    """A create item as the docs require it (salutation and extension present, may be empty)."""
    return {
        "firstName": first,
        "lastName": last,
        "salutation": "",
        "cellPhone": {**phone(number, cc), "extension": ""},
    }


def csv(*rows: str) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode()


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    store = SqliteStore(":memory:")
    yield store
    store.close()


@pytest.fixture
def service(store: SqliteStore) -> ContactsService:
    return ContactsService(store, ItemRules(items_check("ContactInput")))


def active(store: SqliteStore, ns: Namespace = NS) -> list[tuple[str, str]]:
    with store.read() as tx:
        return [(c.first_name, c.phone_number) for c in tx.active(ns)]


# -- create / import ---------------------------------------------------------------------------


def test_import_stores_valid_rows_and_reports_each_refused_row_by_csv_column(service, store):
    outcome = service.import_csv(
        NS,
        CALLER,
        csv("ann,lee,Ms,9876543210,+91,", "=bad,lee,,9876543211,+91,", "bo,ng,,9876543210,91,"),
        policy=SKIP,
        max_rows=10,
    )
    assert [c.first_name for c in outcome.created] == ["ann"]
    assert [(r.row, r.reason, r.field) for r in outcome.rejected] == [
        (2, INVALID_FIELD, "firstName"),
        (3, DUPLICATE_IN_FILE, "cellPhoneNumber"),
    ]
    assert "repeats row 1" in outcome.rejected[1].msg
    assert active(store) == [("ann", "+919876543210")]


def test_a_number_already_held_is_refused_with_its_holder(service):
    [holder] = service.create(NS, CALLER, [item("ann", "9876543210")], policy=SKIP).created
    outcome = service.create(NS, CALLER, [item("bo", "9876543210", cc="91")], policy=SKIP)
    assert outcome.created == []
    [refused] = outcome.rejected
    assert (refused.reason, refused.holder_id, refused.number) == (
        DUPLICATE_EXISTING,
        holder.id,
        "+919876543210",
    )
    assert refused.field == PHONE_FIELD  # JSON items are reported by JSON path


def test_reject_policy_refuses_the_whole_request_and_stores_nothing(service, store):
    with pytest.raises(RowsRejected) as refused:
        service.create(NS, CALLER, [item("ann", "9876543210"), item("bo", "98765")], policy=REJECT)
    assert refused.value.status == 400
    assert [r["row"] for r in refused.value.report] == [2]
    assert active(store) == []


def test_the_same_number_may_live_in_two_namespaces(service, store):
    service.create(NS, CALLER, [item("ann", "9876543210")], policy=SKIP)
    service.create(OTHER_NS, CALLER, [item("bo", "9876543210")], policy=SKIP)
    assert active(store, NS) == [("ann", "+919876543210")]
    assert active(store, OTHER_NS) == [("bo", "+919876543210")]


def test_an_unreadable_file_is_a_validation_error_and_too_many_rows_a_413(service):
    with pytest.raises(ValidationError):
        service.import_csv(NS, CALLER, b"no,header\n1,2\n", policy=SKIP, max_rows=10)
    with pytest.raises(PayloadTooLarge):
        service.import_csv(NS, CALLER, csv("a,b,,9876543210,+91,") * 1, policy=SKIP, max_rows=0)


def test_new_contacts_carry_the_caller_and_the_accounts_org(service):
    [contact] = service.create(NS, CALLER, [item("ann", "9876543210")], policy=SKIP).created
    assert (contact.status, contact.created_by, contact.created_by_aid) == (
        ACTIVE,
        CALLER.user_id,
        CALLER.aid,
    )
    assert contact.created_at == contact.updated_at and contact.updated_by is None


# -- update / delete ---------------------------------------------------------------------------


def test_update_to_a_number_held_by_another_contact_is_a_conflict(service):
    ann, bo = service.create(
        NS, CALLER, [item("ann", "9876543210"), item("bo", "9876543211")], policy=SKIP
    ).created
    with pytest.raises(Conflict, match=ann.id):
        service.update(NS, CALLER, bo.id, {"cellPhone": phone("9876543210", "+91")})
    kept = service.update(
        NS,
        CALLER,
        ann.id,
        {"cellPhone": phone("9876543210", "91"), "firstName": "anna"},
    )
    assert (kept.first_name, kept.phone_number, kept.updated_by) == (
        "anna",
        "+919876543210",
        CALLER.user_id,
    )


def test_update_of_an_unknown_or_deleted_contact_is_not_found(service):
    [ann] = service.create(NS, CALLER, [item("ann", "9876543210")], policy=SKIP).created
    service.delete(NS, CALLER, ann.id)
    with pytest.raises(NotFound):
        service.update(NS, CALLER, ann.id, {"firstName": "x"})
    with pytest.raises(NotFound):
        service.delete(NS, CALLER, ann.id)


def test_update_with_a_bad_phone_names_the_field(service):
    [ann] = service.create(NS, CALLER, [item("ann", "9876543210")], policy=SKIP).created
    with pytest.raises(ValidationError, match=r"cellPhone\.countryCode"):
        service.update(NS, CALLER, ann.id, {"cellPhone": phone("9876543210", "+9999")})


def test_bulk_update_stores_the_good_items_and_says_why_the_others_failed(service, store):
    ann, bo, cy = service.create(
        NS,
        CALLER,
        [item("ann", "9876543210"), item("bo", "9876543211"), item("cy", "9876543212")],
        policy=SKIP,
    ).created
    free = {"phoneNumber": "9000000001", "countryCode": "+91"}
    outcome = service.bulk_update(
        NS,
        CALLER,
        [
            {"id": ann.id, "cellPhone": free},
            {"id": bo.id, "cellPhone": free},  # the number this request just gave to ann
            {"id": cy.id, "cellPhone": {"phoneNumber": "9876543211", "countryCode": "+91"}},
            {"id": "0" * 24, "firstName": "nobody"},
        ],
    )
    assert outcome.requested == 4
    assert [c.id for c in outcome.succeeded] == [ann.id]
    assert [(f.id, f.reason) for f in outcome.failed] == [
        (bo.id, DUPLICATE_IN_REQUEST),
        (cy.id, DUPLICATE_EXISTING),
        ("0" * 24, NOT_FOUND),
    ]
    assert (
        outcome.failed[1].holder_id == bo.id and outcome.failed[1].field == "cellPhone.phoneNumber"
    )
    assert sorted(active(store)) == [
        ("ann", "+919000000001"),
        ("bo", "+919876543211"),
        ("cy", "+919876543212"),
    ]


def test_delete_makes_the_contact_inactive_and_frees_its_number(service, store):
    [ann] = service.create(NS, CALLER, [item("ann", "9876543210")], policy=SKIP).created
    deleted = service.delete(NS, CALLER, ann.id)
    assert deleted.status == INACTIVE and deleted.updated_by == CALLER.user_id
    assert active(store) == []
    assert service.create(NS, CALLER, [item("bo", "9876543210")], policy=SKIP).created


def test_bulk_delete_reports_ids_it_does_not_know(service):
    [ann] = service.create(NS, CALLER, [item("ann", "9876543210")], policy=SKIP).created
    outcome = service.bulk_delete(NS, CALLER, [ann.id, ann.id, "f" * 24])
    assert [c.id for c in outcome.succeeded] == [ann.id]
    assert [(f.id, f.reason) for f in outcome.failed] == [
        (ann.id, NOT_FOUND),
        ("f" * 24, NOT_FOUND),
    ]


# -- legacy duplicates -------------------------------------------------------------------------


def test_legacy_duplicates_are_kept_and_the_number_blocks_until_every_holder_left(service):
    first, second = service.seed(
        NS, CALLER, [item("ann", "9876543210"), item("bo", "9876543210")], legacy_duplicates=True
    ).created
    assert first.phone_number == second.phone_number
    refused = service.create(NS, CALLER, [item("cy", "9876543210")], policy=SKIP).rejected
    assert [r.reason for r in refused] == [DUPLICATE_EXISTING]
    service.delete(NS, CALLER, first.id)  # one holder leaves: the number still blocks
    refused = service.create(NS, CALLER, [item("cy", "9876543210")], policy=SKIP).rejected
    assert [r.holder_id for r in refused] == [second.id]
    service.update(NS, CALLER, second.id, {"cellPhone": phone("9000000001", "+91")})
    assert service.create(NS, CALLER, [item("cy", "9876543210")], policy=SKIP).created


def test_a_seed_without_legacy_duplicates_keeps_the_rule(service):
    outcome = service.seed(
        NS, CALLER, [item("ann", "9876543210"), item("bo", "9876543210")], legacy_duplicates=False
    )
    assert len(outcome.created) == 1 and [r.reason for r in outcome.rejected] == [DUPLICATE_IN_FILE]


def test_a_csv_seed_reports_rows_by_csv_column(service):
    outcome = service.seed_csv(
        NS, CALLER, csv("ann,lee,,98x,+91,"), legacy_duplicates=True, max_rows=10
    )
    assert [(r.row, r.field) for r in outcome.rejected] == [(1, "cellPhoneNumber")]


# -- list --------------------------------------------------------------------------------------


def test_list_pages_active_contacts_oldest_first_with_their_total(service):
    created = service.create(
        NS, CALLER, [item(f"p{i}", f"98765432{i:02d}") for i in range(5)], policy=SKIP
    ).created
    service.delete(NS, CALLER, created[0].id)
    page = service.list(NS, skip=1, limit=2)
    assert [c.first_name for c in page.contacts] == ["p2", "p3"]
    wire = page.to_wire()
    assert (wire["totalResults"], wire["totalPages"], wire["hasMore"]) == (4, 2, True)


def test_a_skip_past_any_store_offset_is_an_empty_page(service):
    service.create(NS, CALLER, [item("ann", "9876543210")], policy=SKIP)
    page = service.list(NS, skip=MAX_OFFSET * 4, limit=10)
    assert page.contacts == [] and page.total == 1 and page.skip == MAX_OFFSET * 4
