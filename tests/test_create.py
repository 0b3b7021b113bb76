"""JSON create: the same rules and policy as the import, per array item."""

from mockserver.mock import mock_of
from tests.conftest import person


def test_create_returns_contacts_with_e164_numbers(api):
    response = api.create([person("john", "doe", "9876543210", "91", extension="+")])
    assert response.status_code == 200
    [contact] = response.get_json()
    assert contact["cellPhone"] == {
        "phoneNumber": "+919876543210",
        "countryCode": "+91",
        "extension": "+",
    }
    assert contact["fullName"] == "john doe"


def test_create_reusing_a_stored_number_is_refused(api):
    api.create([person("john", "doe", "9876543210")])
    response = api.create([person("other", "person", "9876543210")])
    assert response.status_code == 200
    assert response.get_json() == []
    assert response.headers["X-Mock-Rejected-Rows"] == "1"
    report = api.journal(response.headers["X-Mock-Journal-Id"])["report"]
    assert report[0]["reason"] == "DUPLICATE_EXISTING"
    assert report[0]["field"] == "cellPhone.phoneNumber"


def test_create_with_identical_name_and_number_is_refused(api):
    api.create([person("john", "doe", "9876543210")])
    assert api.create([person("john", "doe", "9876543210")]).get_json() == []


def test_same_names_with_different_numbers_are_all_created(api):
    response = api.create([person("john", "doe", f"987654321{i}") for i in range(3)])
    assert len(response.get_json()) == 3


def test_duplicate_items_in_one_request_keep_the_first(api):
    response = api.create([person("a", "b", "9876543210"), person("c", "d", "9876543210", "91")])
    assert [c["firstName"] for c in response.get_json()] == ["a"]
    report = api.journal(response.headers["X-Mock-Journal-Id"])["report"]
    assert report[0]["reason"] == "DUPLICATE_IN_FILE" and report[0]["row"] == 2


def test_reject_policy_refuses_the_whole_request(api, app):
    mock_of(app).runtime.set_import_policy("reject")
    api.create([person("john", "doe", "9876543210")])
    response = api.create([person("x", "y", "9876543211"), person("a", "b", "9876543210")])
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["reason"] == "DUPLICATE_EXISTING"
    assert api.all_numbers() == ["+919876543210"]


def test_number_too_long_for_e164_refuses_the_request(api):
    # openapi.yaml ties the number's length to the country code's (8-15 digits in all)
    response = api.create([person("a", "b", "12345678901234", "+91")])
    assert response.status_code == 412
    assert "cellPhone.phoneNumber" in response.get_json()["errors"][1]["msg"]
    assert api.list().get_json()["totalResults"] == 0


def test_a_refused_field_is_said_in_words_not_as_a_regular_expression(api):
    item = person("=1+1", "b", "9876543210", "0091") | {"salutation": "@x"}
    msg = api.create([item]).get_json()["errors"][1]["msg"]
    assert 'firstName: "=1+1" must not start with =, +, -, @ or whitespace' in msg
    assert 'salutation: "@x" must not start with =, +, -, @ or whitespace' in msg
    assert 'countryCode: "0091" must be + and 1-3 digits, the first not 0' in msg
    assert "^" not in msg and "\\" not in msg  # no pattern quoted
    short = api.create([person("a", "b", "1234", "+999")]).get_json()["errors"][1]["msg"]
    assert short.count("has 4 digits") == 1  # the length, and E.164's, said once
    assert "with its country code a number has 8-15 digits (E.164)" in short


def test_a_number_too_short_for_its_country_code_gets_one_rule_not_two_minimums(api):
    """(It was told "shorter than 5 characters; ... shorter than 7 characters" at once.)"""
    msg = api.create([person("a", "b", "1234", "+1")]).get_json()["errors"][1]["msg"]
    assert msg == (
        'body.0.cellPhone.phoneNumber: "1234" has 4 digits; with its country code a number has '
        "8-15 digits (E.164): 7-14 after a 1-digit code such as +1, 6-13 after a 2-digit one "
        "such as +91, 5-12 after a 3-digit one"
    )


def test_an_empty_name_is_said_to_be_empty_not_to_start_with_a_formula(api):
    msg = api.create([person("", "b", "9876543210")]).get_json()["errors"][1]["msg"]
    assert msg == 'body.0.firstName: "" must not be empty'


def test_schema_violations_refuse_the_request(api):
    bad_bodies = [
        [],
        {"firstName": "not", "lastName": "an array"},
        [{"firstName": "a", "lastName": "b"}],
        [person("a", "b", "98765-43210")],
        [person("a", "b", "9876543210") | {"unknown": 1}],
        [person("", "b", "9876543210")],
    ]
    for body in bad_bodies:
        response = api.create(body)
        assert response.status_code == 412, body
    assert api.list().get_json()["totalResults"] == 0


def test_malformed_json_is_400_and_wrong_content_type_is_415(api):
    response = api.call(
        "POST",
        "/agentassist/api/v1/public/st-1/contacts",
        data="[{",
        content_type="application/json",
    )
    assert response.status_code == 400
    response = api.call(
        "POST", "/agentassist/api/v1/public/st-1/contacts", data="a,b", content_type="text/csv"
    )
    assert response.status_code == 415


def test_too_many_items_is_413(api, app):
    limit = mock_of(app).settings.limits.max_json_items
    items = [person("a", "b", str(9000000000 + i)) for i in range(limit + 1)]
    assert api.create(items).status_code == 413
    assert api.list().get_json()["totalResults"] == 0
