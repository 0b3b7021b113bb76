"""Update, bulk update, delete and bulk delete."""

import pytest

from tests.conftest import OTHER_STREAM, person

PHONE = {"phoneNumber": "9876543299", "countryCode": "+91"}


@pytest.fixture
def two(api):
    created = api.create([person("john", "doe", "9876543210"), person("jane", "doe", "9876543211")])
    return created.get_json()


def test_update_changes_fields_and_records_who(api, two):
    response = api.update(
        two[0]["id"], {"firstName": "johnny", "cellPhone": PHONE | {"extension": "1"}}
    )
    assert response.status_code == 200
    contact = response.get_json()
    assert contact["fullName"] == "johnny doe"
    assert contact["cellPhone"] == {
        "phoneNumber": "+919876543299",
        "countryCode": "+91",
        "extension": "1",
    }
    assert contact["updatedBy"].startswith("u-") and contact["updatedByAId"].startswith("a-")
    assert contact["createdAt"] == two[0]["createdAt"]


def test_update_to_a_number_held_by_another_contact_is_409_and_changes_nothing(api, two):
    response = api.update(
        two[0]["id"],
        {"firstName": "x", "cellPhone": {"phoneNumber": "9876543211", "countryCode": "91"}},
    )
    assert response.status_code == 409
    error = response.get_json()["errors"][0]
    assert "+919876543211" in error["msg"] and error["holderId"] == two[1]["id"]
    assert api.list().get_json()["results"][0]["firstName"] == "john"


def test_update_keeping_its_own_number_is_allowed(api, two):
    response = api.update(
        two[0]["id"], {"cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91"}}
    )
    assert response.status_code == 200


def test_update_of_unknown_id_is_404(api, two):
    response = api.update("0123456789abcdef01234567", {"firstName": "x"})
    assert response.status_code == 404


def test_update_from_another_stream_is_404(api, two):
    response = api.update(two[0]["id"], {"firstName": "x"}, stream=OTHER_STREAM)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "patch", [{}, {"firstName": ""}, {"id": "x"}, {"cellPhone": {"phoneNumber": "1"}}]
)
def test_invalid_update_is_a_validation_error(api, two, patch):
    assert api.update(two[0]["id"], patch).status_code == 412


def test_update_with_too_short_number_is_a_validation_error(api, two):
    response = api.update(
        two[0]["id"], {"cellPhone": {"phoneNumber": "12345", "countryCode": "+1"}}
    )
    assert response.status_code == 412


def test_malformed_id_is_a_validation_error(api):
    assert api.update("not-an-id", {"firstName": "x"}).status_code == 412


def test_bulk_update_reports_each_item(api, two):
    response = api.bulk_update(
        [
            {"id": two[0]["id"], "lastName": "smith"},
            {"id": two[1]["id"], "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91"}},
            {"id": "0123456789abcdef01234567", "firstName": "ghost"},
        ]
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["totalRequested"], body["successful"], body["failed"]) == (3, 1, 2)
    assert body["successfulRecords"][0]["id"] == two[0]["id"]
    assert body["successfulRecords"][0]["contact"]["_id"] == two[0]["id"]
    assert body["successfulRecords"][0]["contact"]["lastName"] == "smith"
    assert [f["reason"] for f in body["failedRecords"]] == ["DUPLICATE_EXISTING", "NOT_FOUND"]


def test_bulk_update_with_a_number_too_short_for_e164_is_refused_whole(api, two):
    response = api.bulk_update(
        [
            {"id": two[0]["id"], "lastName": "smith"},
            {"id": two[1]["id"], "cellPhone": {"phoneNumber": "12345", "countryCode": "+1"}},
        ]
    )
    assert response.status_code == 412
    assert "phoneNumber" in response.get_json()["errors"][1]["msg"]
    assert "smith" not in {c["lastName"] for c in api.list().get_json()["results"]}


def test_bulk_update_cannot_give_one_number_to_two_contacts(api, two):
    new = {"phoneNumber": "9876543200", "countryCode": "+91"}
    body = api.bulk_update(
        [{"id": two[0]["id"], "cellPhone": new}, {"id": two[1]["id"], "cellPhone": new}]
    ).get_json()
    assert body["successful"] == 1
    assert body["failedRecords"][0]["reason"] == "DUPLICATE_IN_REQUEST"
    numbers = api.all_numbers()
    assert len(numbers) == len(set(numbers))


def test_bulk_update_path_is_not_taken_for_a_contact_id(api, two):
    response = api.call(
        "PUT", "/agentassist/api/v1/public/st-1/contacts/bulk-update", json={"id": 1}
    )
    assert response.status_code == 412  # the bulk operation's schema, not updateContact's 404


def test_delete_is_soft_and_frees_the_number(api, two):
    response = api.delete(two[0]["id"])
    assert response.status_code == 200
    assert response.get_json()["status"] == "INACTIVE"
    again = api.create([person("new", "owner", "9876543210")]).get_json()
    assert len(again) == 1


def test_delete_twice_is_404(api, two):
    api.delete(two[0]["id"])
    assert api.delete(two[0]["id"]).status_code == 404


def test_bulk_delete_reports_each_id(api, two):
    ghost = "0123456789abcdef01234567"
    body = api.bulk_delete([two[0]["id"], ghost, two[0]["id"]]).get_json()
    assert body["successfulRecords"] == [{"id": two[0]["id"]}]
    assert [(f["id"], f["reason"]) for f in body["failedRecords"]] == [
        (ghost, "NOT_FOUND"),
        (two[0]["id"], "NOT_FOUND"),
    ]
    assert api.list().get_json()["totalResults"] == 1


def test_bulk_delete_needs_ids(api):
    assert (
        api.call(
            "DELETE", "/agentassist/api/v1/public/st-1/contacts/bulk-delete", json={}
        ).status_code
        == 412
    )


def test_a_bulk_call_where_every_item_fails_counts_each_failure(api):
    """All items unknown: nothing succeeds, and the counts still add up to the request."""
    ids = ["0" * 24, "1" * 24]
    for response in (
        api.bulk_delete(ids),
        api.bulk_update([{"id": i, "firstName": "x"} for i in ids]),
    ):
        assert response.status_code == 200
        body = response.get_json()
        assert (body["totalRequested"], body["successful"], body["failed"]) == (2, 0, 2)
        assert [r["id"] for r in body["failedRecords"]] == ids
