"""Tenant isolation: a namespace is (accountId, streamId). For each of the seven operations,
tenant A can neither see, change, delete nor block (by phone number) a contact of tenant B —
whether B is another account on the same stream id or another stream of the same account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from mockserver.settings import DEV_APP
from tests.conftest import (
    ONE_STREAM_APP,
    OTHER_ACCOUNT_APP,
    OTHER_STREAM,
    STREAM,
    Api,
    base,
    csv_file,
    person,
)

B_NUMBER = "9876543210"
B_KEY = "+91" + B_NUMBER
NEVER_STORED = "0123456789abcdef01234567"


@dataclass
class Tenant:
    api: Api
    stream: str

    def contacts(self) -> list[dict[str, Any]]:
        return self.api.list(self.stream, limit=100).get_json()["results"]

    def create(self, first: str, number: str) -> dict[str, Any]:
        response = self.api.create([person(first, "x", number)], stream=self.stream)
        assert response.status_code == 200, response.get_json()
        [created] = response.get_json()
        return created


@pytest.fixture(params=["another_account_same_stream_id", "same_account_another_stream"])
def tenants(request, api) -> tuple[Tenant, Tenant]:
    if request.param == "another_account_same_stream_id":
        return Tenant(api, STREAM), Tenant(api.as_app(OTHER_ACCOUNT_APP), STREAM)
    return Tenant(api, STREAM), Tenant(api, OTHER_STREAM)


@pytest.fixture
def b_contact(tenants) -> dict[str, Any]:
    _, b = tenants
    return b.create("bea", B_NUMBER)


def assert_b_untouched(b: Tenant, b_contact: dict[str, Any]) -> None:
    assert b.contacts() == [b_contact]


def test_import_neither_sees_nor_is_blocked_by_b_number(tenants, b_contact):
    a, b = tenants
    response = a.api.import_csv(csv_file(f"ann,lee,Ms,{B_NUMBER},+91,"), stream=a.stream)
    assert response.status_code == 200
    assert response.headers["X-Mock-Rejected-Rows"] == "0"
    [created] = response.get_json()
    assert created["cellPhone"]["phoneNumber"] == B_KEY and created["id"] != b_contact["id"]
    assert b_contact["id"] not in response.get_data(as_text=True)
    assert_b_untouched(b, b_contact)


def test_create_neither_sees_nor_is_blocked_by_b_number(tenants, b_contact):
    a, b = tenants
    response = a.api.create([person("ann", "lee", B_NUMBER)], stream=a.stream)
    assert response.status_code == 200
    assert response.headers["X-Mock-Rejected-Rows"] == "0"
    assert b_contact["id"] not in response.get_data(as_text=True)
    assert_b_untouched(b, b_contact)


def test_list_shows_only_own_contacts(tenants, b_contact):
    a, b = tenants
    own = a.create("ann", "9123456789")
    page = a.api.list(a.stream, limit=100).get_json()
    assert [c["id"] for c in page["results"]] == [own["id"]]
    assert page["totalResults"] == 1
    assert_b_untouched(b, b_contact)


def test_update_of_b_contact_is_not_found_like_an_unknown_id(tenants, b_contact):
    a, b = tenants
    response = a.api.update(b_contact["id"], {"firstName": "eve"}, stream=a.stream)
    unknown = a.api.update(NEVER_STORED, {"firstName": "eve"}, stream=a.stream)
    assert response.status_code == unknown.status_code == 404
    assert response.get_data(as_text=True).replace(b_contact["id"], "ID") == unknown.get_data(
        as_text=True
    ).replace(NEVER_STORED, "ID")
    assert_b_untouched(b, b_contact)


def test_update_to_b_number_is_not_blocked_and_does_not_touch_b(tenants, b_contact):
    a, b = tenants
    own = a.create("ann", "9123456789")
    response = a.api.update(
        own["id"], {"cellPhone": {"phoneNumber": B_NUMBER, "countryCode": "+91"}}, stream=a.stream
    )
    assert response.status_code == 200
    assert response.get_json()["cellPhone"]["phoneNumber"] == B_KEY
    assert_b_untouched(b, b_contact)


def test_bulk_update_of_b_contact_fails_as_not_found(tenants, b_contact):
    a, b = tenants
    response = a.api.bulk_update([{"id": b_contact["id"], "firstName": "eve"}], stream=a.stream)
    assert response.status_code == 200
    body = response.get_json()
    assert body["successful"] == 0
    assert [(r["id"], r["reason"]) for r in body["failedRecords"]] == [
        (b_contact["id"], "NOT_FOUND")
    ]
    assert_b_untouched(b, b_contact)


def test_delete_of_b_contact_is_not_found(tenants, b_contact):
    a, b = tenants
    assert a.api.delete(b_contact["id"], stream=a.stream).status_code == 404
    assert_b_untouched(b, b_contact)


def test_bulk_delete_of_b_contact_fails_as_not_found(tenants, b_contact):
    a, b = tenants
    response = a.api.bulk_delete([b_contact["id"]], stream=a.stream)
    assert response.status_code == 200
    assert [(r["id"], r["reason"]) for r in response.get_json()["failedRecords"]] == [
        (b_contact["id"], "NOT_FOUND")
    ]
    assert_b_untouched(b, b_contact)


def test_a_number_held_by_a_never_blocks_b(tenants):
    a, b = tenants
    a.create("ann", B_NUMBER)
    b_contact = b.create("bea", B_NUMBER)
    # B's own rule still holds inside B, and B may keep its own number
    assert b.api.import_csv(csv_file(f"bob,x,Mr,{B_NUMBER},+91,"), stream=b.stream).get_json() == []
    renamed = b.api.update(b_contact["id"], {"firstName": "beatrice"}, stream=b.stream)
    assert renamed.status_code == 200
    assert len(a.contacts()) == 1 and len(b.contacts()) == 1


WRONG_REQUESTS = {
    "query": lambda api, headers: api.call("GET", base() + "?limit=0", headers=headers),
    "body": lambda api, headers: api.call(
        "PUT", base() + "/bulk-update", headers=headers, json={"bad": 1}
    ),
    "path": lambda api, headers: api.call(
        "PUT", base() + "/not-an-id", headers=headers, json={"firstName": "x"}
    ),
}


@pytest.mark.parametrize("kind", WRONG_REQUESTS)
@pytest.mark.parametrize("caller", ["another_account", "a_stream_the_app_may_not_use"])
def test_a_caller_of_another_namespace_is_refused_before_its_request_is_checked(api, caller, kind):
    """401 `Invalid SDK credentials`, not 412 about its body: it was told about its body and
    learnt that its credentials were wrong only once the body was right."""
    if caller == "another_account":
        headers = api.headers(accountId=OTHER_ACCOUNT_APP.account_id)
    else:
        headers = api.as_app(ONE_STREAM_APP).headers()  # allowed on OTHER_STREAM only
    response = WRONG_REQUESTS[kind](api, headers)
    assert response.status_code == 401, response.get_json()
    assert response.get_json()["errors"][0]["msg"] == "Invalid SDK credentials"


def test_an_account_id_in_upper_case_names_the_same_namespace(api):
    """Kore's account ids are hex and the header's case is the client's: 63C7... and 63c7...
    are one account, so one namespace: the same contacts, one phone-number rule."""
    upper = api.as_app(DEV_APP, api.account.upper())
    created = upper.create([person("ann", "x", B_NUMBER)])
    assert created.status_code == 200, created.get_json()
    [contact] = created.get_json()
    assert contact["accountId"] == api.account  # stored lower-cased, as every answer names it
    assert api.list().get_json()["results"] == [contact]
    assert upper.list().get_json()["results"] == [contact]
    again = api.create([person("bob", "x", B_NUMBER)])  # the number is held in the namespace
    assert again.status_code == 200 and again.get_json() == []
    assert api.list().get_json()["totalResults"] == 1
