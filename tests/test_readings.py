"""Each reading of the tenant profile, each of its values, through the vendor API.

Every answer is checked against openapi.yaml (``Api``). The profile comes from the settings
(``Settings.profile``, what ``profile:`` in the YAML and ``serve --profile`` give); run-time
changes and the control plane are tested in ``tests/control/test_profile.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mockserver.app import create_app
from mockserver.errors import KORE_VALIDATION_MSG
from mockserver.mock import mock_of
from mockserver.profile import Profile
from mockserver.settings import App, Limits, RateLimit, Settings
from tests.conftest import (
    ACCOUNT,
    BACKENDS,
    NO_SCOPE_APP,
    SECRET,
    TEST_APPS,
    Api,
    base,
    csv_file,
    person,
)

SHORT_ACCOUNT = "123456789"  # the create page's sample account
SHORT_ACCOUNT_APP = App("cs-short-account", SECRET + "-s", SHORT_ACCOUNT)
SECOND_APP = App("cs-second", SECRET + "-2", ACCOUNT)
APPS = (*TEST_APPS, SHORT_ACCOUNT_APP, SECOND_APP)

Factory = Callable[..., Api]


@pytest.fixture(params=BACKENDS)
def under(request: pytest.FixtureRequest, tmp_path) -> Iterator[Factory]:
    """``under(reading=value, ...)``: an Api of a fresh mock with those readings, on each
    backend (a new SQLite file, or a new PostgreSQL database, per call)."""
    apps = []

    def new_store() -> str:
        if request.param == "sqlite":
            return str(tmp_path / f"mock-{len(apps)}.db")
        return request.getfixturevalue("postgres").new_database()

    def make(rate_limit: RateLimit | None = None, **readings: Any) -> Api:
        settings = Settings(
            db=new_store(),
            apps=APPS,
            limits=Limits(max_import_rows=500),
            rate_limit=rate_limit or RateLimit(),
            profile=Profile.from_mapping(readings),
        )
        app = create_app(settings)
        apps.append(app)
        return Api(app.test_client())

    yield make
    for app in apps:
        mock_of(app).close()
        if request.param == "postgresql":
            request.getfixturevalue("postgres").drop_database(mock_of(app).settings.db)


def created_id(api: Api, number: str, **extra: Any) -> str:
    response = api.create([person("ada", "lovelace", number, **extra)])
    assert response.status_code == 200 and len(response.get_json()) == 1, response.get_json()
    return response.get_json()[0]["id"]


# -- importPolicy ------------------------------------------------------------------------------


def test_import_policy_skip_leaves_the_refused_row_out(under):
    api = under(importPolicy="skip")
    response = api.import_csv(csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543210,+91,"))
    assert response.status_code == 200 and len(response.get_json()) == 1
    assert response.headers["X-Mock-Rejected-Rows"] == "1"


def test_import_policy_reject_refuses_the_whole_file(under):
    api = under(importPolicy="reject")
    response = api.import_csv(csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543210,+91,"))
    assert response.status_code == 400
    assert [e["reason"] for e in response.get_json()["errors"]] == ["DUPLICATE_IN_FILE"]
    assert api.all_numbers() == []


# -- validationStatus --------------------------------------------------------------------------

BAD_REQUESTS = {
    "query": lambda api: api.list(limit=101),
    "body": lambda api: api.create([{"firstName": "a"}]),
    "field": lambda api: api.create([person("a", "b", "12")]),
    "path": lambda api: api.delete("not-an-id"),
    "header": lambda api: api.call("GET", base(), headers=api.headers(accountId="bad id!")),
}


@pytest.mark.parametrize("kind", BAD_REQUESTS)
def test_validation_status_412_answers_kores_words_first_and_the_finding_second(under, kind):
    api = under(validationStatus=412)
    response = BAD_REQUESTS[kind](api)
    assert response.status_code == 412
    first, second, *_ = response.get_json()["errors"]
    assert first == {"msg": KORE_VALIDATION_MSG, "code": 412}
    assert second["code"] == 412 and second["msg"]
    assert api.all_numbers() == []


@pytest.mark.parametrize("kind", BAD_REQUESTS)
def test_validation_status_400_answers_one_400_entry_with_the_finding(under, kind):
    api = under(validationStatus=400)
    response = BAD_REQUESTS[kind](api)
    assert response.status_code == 400
    [entry] = response.get_json()["errors"]
    assert entry["code"] == 400 and entry["msg"].startswith(KORE_VALIDATION_MSG + ": ")


def test_a_body_that_is_not_json_is_400_under_either_validation_status(under):
    for status in (412, 400):
        api = under(validationStatus=status)
        response = api.call(
            "POST", base(), data=b"[{", headers=api.headers(**{"Content-Type": "application/json"})
        )
        assert response.status_code == 400, status


# -- scopeErrorCode ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [4002, 4003])
def test_scope_error_code(under, code):
    api = under(scopeErrorCode=code).as_app(NO_SCOPE_APP)
    response = api.list()
    assert response.status_code == 401
    assert response.get_json()["errors"][0] == {
        "msg": "Permission denied. Scope is incorrect!",
        "code": code,
    }


# -- duplicateCreateStatus ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 409, 412])
def test_duplicate_create_status_is_the_status_of_a_create_refused_for_taken_numbers(under, status):
    api = under(importPolicy="reject", duplicateCreateStatus=status)
    created_id(api, "9876543210")
    response = api.create([person("grace", "hopper", "9876543210")])
    assert response.status_code == status
    [entry] = response.get_json()["errors"]
    assert (entry["reason"], entry["code"]) == ("DUPLICATE_EXISTING", status)
    rows = csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543211,+91,", "e,f,Mr,9876543211,+91,")
    assert api.import_csv(rows).status_code == status
    assert api.all_numbers() == ["+919876543210"]


@pytest.mark.parametrize("status", [400, 409, 412])
def test_an_import_refused_for_an_invalid_row_too_stays_400(under, status):
    api = under(importPolicy="reject", duplicateCreateStatus=status)
    rows = csv_file("a,b,Mr,9876543210,+91,", "c,d,Mr,9876543210,+91,", "e,f,Mr,12,+91,")
    response = api.import_csv(rows)
    assert response.status_code == 400
    reasons = {e["reason"] for e in response.get_json()["errors"]}
    assert reasons == {"DUPLICATE_IN_FILE", "INVALID_FIELD"}


# -- duplicateUpdateStatus ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [409, 400, 412])
def test_duplicate_update_status(under, status):
    api = under(duplicateUpdateStatus=status)
    created_id(api, "9876543210")
    other = created_id(api, "9876543211")
    response = api.update(other, {"cellPhone": {"phoneNumber": "9876543210", "countryCode": "91"}})
    assert response.status_code == status
    [entry] = response.get_json()["errors"]
    assert entry["code"] == status and entry["number"] == "+919876543210"
    assert sorted(api.all_numbers()) == ["+919876543210", "+919876543211"]


# -- requiredFields ----------------------------------------------------------------------------

BARE = {
    "firstName": "ada",
    "lastName": "lovelace",
    "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91"},
}
FOUR_COLUMNS = "firstName,lastName,cellPhoneNumber,cellPhoneCountryCode"


def test_required_fields_documented_refuses_a_create_without_salutation_or_extension(under):
    api = under(requiredFields="documented")
    no_extension = {**BARE, "salutation": "Mr"}
    no_salutation = {**BARE, "cellPhone": {**BARE["cellPhone"], "extension": ""}}
    for item in (BARE, no_extension, no_salutation):
        assert api.create([item]).status_code == 412, item
    assert api.all_numbers() == []
    assert api.create([{**no_salutation, "salutation": ""}]).status_code == 200  # empty is fine


def test_required_fields_documented_refuses_an_import_without_those_columns(under):
    api = under(requiredFields="documented")
    response = api.import_csv(csv_file("ada,lovelace,9876543210,+91", header=FOUR_COLUMNS))
    assert response.status_code == 400
    assert "salutation, cellPhoneExtension" in response.get_json()["errors"][0]["msg"]


def test_required_fields_lenient_takes_them_absent_and_stores_them_empty(under):
    api = under(requiredFields="lenient")
    [created] = api.create([BARE]).get_json()
    assert created["salutation"] == "" and created["cellPhone"]["extension"] == ""
    response = api.import_csv(csv_file("grace,hopper,9876543211,+91", header=FOUR_COLUMNS))
    assert response.status_code == 200
    [imported] = response.get_json()
    assert imported["salutation"] == "" and imported["cellPhone"]["extension"] == ""


# -- updateBodies ------------------------------------------------------------------------------

FULL = {
    "firstName": "augusta",
    "lastName": "king",
    "salutation": "Ms",
    "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91", "extension": ""},
}


def test_update_bodies_partial_changes_only_the_fields_sent(under):
    api = under(updateBodies="partial")
    contact_id = created_id(api, "9876543210")
    response = api.update(contact_id, {"firstName": "augusta"})
    assert response.status_code == 200
    assert (response.get_json()["firstName"], response.get_json()["lastName"]) == (
        "augusta",
        "lovelace",
    )
    bulk = api.bulk_update([{"id": contact_id, "lastName": "king"}]).get_json()
    assert bulk["successful"] == 1


def test_update_bodies_full_wants_every_field_the_bulk_update_table_marks_required(under):
    api = under(updateBodies="full")
    contact_id = created_id(api, "9876543210")
    assert api.update(contact_id, {"firstName": "augusta"}).status_code == 412
    assert api.bulk_update([{"id": contact_id, "lastName": "king"}]).status_code == 412
    response = api.update(contact_id, FULL)
    assert response.status_code == 200 and response.get_json()["fullName"] == "augusta king"
    bulk = api.bulk_update([{"id": contact_id, **FULL, "lastName": "byron"}]).get_json()
    assert bulk["successful"] == 1


def _without(body: dict, path: str) -> dict:
    """``body`` less one field (``cellPhone.extension``: a field of its cellPhone)."""
    field, _, inner = path.partition(".")
    if not inner:
        return {k: v for k, v in body.items() if k != field}
    return {**body, field: {k: v for k, v in body[field].items() if k != inner}}


@pytest.mark.parametrize(
    "left_out",
    [
        "firstName",
        "lastName",
        "salutation",
        "cellPhone",
        "cellPhone.phoneNumber",
        "cellPhone.countryCode",
        "cellPhone.extension",
    ],
)
def test_update_bodies_full_refuses_a_body_without_any_one_required_field(under, left_out):
    """(Only bodies lacking almost everything were refused in the tests: any one required name
    refused them, so which names are required went unchecked.)"""
    api = under(updateBodies="full")
    contact_id = created_id(api, "9876543210")
    name = left_out.rpartition(".")[2]
    for answer in (
        api.update(contact_id, _without(FULL, left_out)),
        api.bulk_update([{"id": contact_id, **_without(FULL, left_out)}]),
    ):
        assert answer.status_code == 412, answer.get_json()
        messages = [e["msg"] for e in answer.get_json()["errors"]]
        assert any(f'"{name}" is a required property' in m for m in messages), messages


# -- listQuery ---------------------------------------------------------------------------------


def test_list_query_strict_refuses_values_outside_the_page(under):
    api = under(listQuery="strict")
    for query in ({"limit": 101}, {"limit": 0}, {"skip": -1}, {"limit": "ten"}):
        assert api.list(**query).status_code == 412, query


@pytest.mark.parametrize(
    ("query", "page"),
    [
        ({"limit": 500}, (0, 100)),
        ({"limit": 0}, (0, 1)),
        ({"skip": -5}, (0, 10)),
        ({"limit": "ten", "skip": "x"}, (0, 10)),
        ({"skip": 1, "limit": 1}, (1, 1)),
    ],
)
def test_list_query_lenient_clamps_into_the_page_and_says_what_it_used(under, query, page):
    api = under(listQuery="lenient")
    created_id(api, "9876543210")
    created_id(api, "9876543211")
    response = api.list(**query)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["skip"], body["limit"]) == page
    assert len(body["results"]) == min(page[1], 2 - page[0])


@pytest.mark.parametrize(
    "query", ["skip=9223372036854775808", f"limit=-{'1' * 25}", f"skip=1&skip={'9' * 30}"]
)
def test_list_query_lenient_still_refuses_values_beyond_64_bits_and_never_echoes_them(under, query):
    response = under(listQuery="lenient").call("GET", f"{base()}?{query}")
    assert response.status_code == 412
    assert query.split("=")[-1].lstrip("-") not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["skip=1&skip=2", "skip=%C2%B2", "skip=%D9%A3", "limit=1_0"])
def test_list_query_lenient_reads_a_repeated_or_non_ascii_value_as_the_default(under, query):
    response = under(listQuery="lenient").call("GET", f"{base()}?{query}")
    assert response.status_code == 200  # "²" once answered 500
    assert (response.get_json()["skip"], response.get_json()["limit"]) == (0, 10)


# -- rateLimitScope ----------------------------------------------------------------------------


def test_rate_limit_scope_account_counts_every_app_of_the_account(under):
    api = under(rateLimitScope="account", rate_limit=RateLimit(enabled=True, per_minute=2))
    assert api.list().status_code == 200
    assert api.as_app(SECOND_APP).list().status_code == 200
    assert api.list().status_code == 429
    assert api.as_app(SECOND_APP).list().status_code == 429


def test_rate_limit_scope_app_counts_each_app_on_its_own(under):
    api = under(rateLimitScope="app", rate_limit=RateLimit(enabled=True, per_minute=2))
    assert [api.list().status_code for _ in range(3)] == [200, 200, 429]
    assert [api.as_app(SECOND_APP).list().status_code for _ in range(3)] == [200, 200, 429]


# -- deletedNumbers ----------------------------------------------------------------------------


def test_deleted_numbers_released_can_be_saved_again(under):
    api = under(deletedNumbers="released")
    old = created_id(api, "9876543210")
    assert api.delete(old).status_code == 200
    assert created_id(api, "9876543210") != old
    moved = created_id(api, "9876543211")
    api.delete(created_id(api, "9876543212"))
    phone = {"phoneNumber": "9876543212", "countryCode": "+91"}
    assert api.update(moved, {"cellPhone": phone}).status_code == 200


def test_deleted_numbers_kept_refuses_a_new_save_naming_the_deleted_holder(under):
    api = under(deletedNumbers="kept")
    old = created_id(api, "9876543210")
    assert api.delete(old).status_code == 200
    response = api.create([person("grace", "hopper", "9876543210")])
    assert response.status_code == 200 and response.get_json() == []
    [row] = api.journal(response.headers["X-Mock-Journal-Id"])["report"]
    assert (row["reason"], row["holderId"]) == ("DUPLICATE_EXISTING", old)
    rows = csv_file("grace,hopper,Ms,9876543210,+91,")
    assert api.import_csv(rows).headers["X-Mock-Rejected-Rows"] == "1"
    other = created_id(api, "9876543211")
    phone = {"phoneNumber": "9876543210", "countryCode": "+91"}
    assert api.update(other, {"cellPhone": phone}).status_code == 409
    assert api.all_numbers() == ["+919876543211"]


def test_deleted_numbers_kept_holds_for_saves_of_several_rows_on_every_store(api, client):
    """A namespace holding deleted contacts only (PostgreSQL probes such a namespace apart)."""
    assert client.put("/__mock__/profile", json={"deletedNumbers": "kept"}).status_code == 200
    [old] = api.create([person("ada", "lovelace", "9876543210")]).get_json()
    assert api.delete(old["id"]).status_code == 200
    rows = csv_file("grace,hopper,Ms,9876543210,+91,", "alan,turing,Mr,9876543211,+91,")
    response = api.import_csv(rows)
    assert response.status_code == 200
    assert response.headers["X-Mock-Rejected-Rows"] == "1"
    assert api.all_numbers() == ["+919876543211"]
    both = api.create([person("ann", "one", "9876543210"), person("ann", "two", "9876543212")])
    assert [c["cellPhone"]["phoneNumber"] for c in both.get_json()] == ["+919876543212"]


# -- bulkDeleteField ---------------------------------------------------------------------------


def test_bulk_delete_field_ids_as_the_sample(under):
    api = under(bulkDeleteField="ids")
    contact_id = created_id(api, "9876543210")
    refused = api.call("DELETE", base() + "/bulk-delete", json={"id": [contact_id]})
    assert refused.status_code == 412
    assert api.bulk_delete([contact_id]).get_json()["successful"] == 1


def test_bulk_delete_field_id_as_the_table(under):
    api = under(bulkDeleteField="id")
    contact_id = created_id(api, "9876543210")
    assert api.bulk_delete([contact_id]).status_code == 412  # {"ids": [...]}
    response = api.call("DELETE", base() + "/bulk-delete", json={"id": [contact_id]})
    assert response.status_code == 200 and response.get_json()["successful"] == 1
    assert api.all_numbers() == []


# -- accountIdFormat ---------------------------------------------------------------------------


def test_account_id_format_any_takes_the_create_pages_account(under):
    api = under(accountIdFormat="any").as_app(SHORT_ACCOUNT_APP)
    response = api.create([person("john", "doe", "9876543210")])
    assert response.status_code == 200
    assert response.get_json()[0]["accountId"] == SHORT_ACCOUNT


def test_account_id_format_object_id_takes_24_hex_only(under):
    api = under(accountIdFormat="objectId")
    assert api.as_app(SHORT_ACCOUNT_APP).list().status_code == 412
    assert api.list().status_code == 200


@pytest.mark.parametrize("account", [ACCOUNT + "0", ACCOUNT + "zz", "x" + ACCOUNT, f" {ACCOUNT}x"])
def test_account_id_format_object_id_refuses_24_hex_with_more_around_them(under, account):
    """The whole header is the 24 hex characters (a pattern alone is a search, not a match)."""
    response = under(accountIdFormat="objectId").as_app(TEST_APPS[0], account).list()
    assert response.status_code == 412, response.get_json()
    assert response.get_json()["errors"][0]["msg"] == KORE_VALIDATION_MSG


# -- notFoundStatus ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 400])
def test_not_found_status(under, status):
    api = under(notFoundStatus=status)
    unknown = "00000000ffffffffffffffff"
    for response in (api.update(unknown, {"firstName": "a"}), api.delete(unknown)):
        assert response.status_code == status
        assert response.get_json()["errors"][0]["code"] == status
    outcome = api.bulk_delete([unknown]).get_json()  # a bulk outcome is per item, not a status
    assert outcome["failedRecords"][0]["reason"] == "NOT_FOUND"


def test_the_profile_default_is_the_documented_and_evidenced_reading(under):
    api = under()
    assert api.list(limit=101).status_code == 412
    assert api.as_app(NO_SCOPE_APP).list().get_json()["errors"][0]["code"] == 4002
    assert api.call("GET", base(), headers={"accountId": ACCOUNT}).get_json()["errors"][0] == {
        "msg": "Invalid SDK credentials",
        "code": 4002,
    }
