"""Requests at the edges of the wire format (found by the contract suite's generated cases)."""

import io

import pytest

from tests.conftest import base, csv_file


@pytest.mark.parametrize(
    ("method", "segment", "allowed"),
    [
        ("PUT", "import-contacts", {"POST"}),
        ("DELETE", "import-contacts", {"POST"}),
        ("DELETE", "bulk-update", {"PUT"}),
        ("PUT", "bulk-delete", {"DELETE"}),
    ],
)
def test_wrong_method_on_a_literal_path_is_405_not_a_contact_id(api, method, segment, allowed):
    response = api.call(method, f"{base()}/{segment}", json={"ids": ["0" * 24]})
    assert response.status_code == 405
    assert response.get_json()["errors"][0]["code"] == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) - {"OPTIONS"} == allowed


def test_options_on_bulk_update_advertises_only_its_own_method(client):
    response = client.options(f"{base()}/bulk-update")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"PUT", "OPTIONS"}


def test_options_is_no_operation_no_fault_and_no_body(client):
    """A CORS preflight in front of a web client: it was journaled as a successful import (so a
    `verify` of "exactly one import" counted it), faulted as one, and answered text/html."""
    control = client.put("/__mock__/faults/importContacts", json={"errorStatus": 500})
    assert control.status_code == 200, control.get_json()
    client.delete("/__mock__/journal")
    response = client.options(f"{base()}/import-contacts")
    assert response.status_code == 200 and response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}
    [entry] = client.get("/__mock__/journal").get_json()["entries"]
    assert (entry["method"], entry["operation"]) == ("OPTIONS", None)
    verified = client.post(
        "/__mock__/journal/verify", json={"operation": "importContacts", "count": 0}
    )
    assert verified.status_code == 200, verified.get_json()


def test_contact_ids_next_to_literal_segments_still_route(api):
    response = api.update("0123456789abcdef01234567", {"firstName": "x"})
    assert response.status_code == 404


def test_json_body_that_is_not_utf8_is_400_not_500(api):
    response = api.call(
        "POST",
        base(),
        data=b"\x0f\xa5",
        headers=api.headers(**{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400
    assert "UTF-8" in response.get_json()["errors"][0]["msg"]


def test_import_with_a_part_besides_result_file_is_refused(api):
    data = {
        "result_file": (io.BytesIO(csv_file("a,b,Mr,2015550123,+1,")), "c.csv", "text/csv"),
        "comment": "hello",
    }
    response = api.call(
        "POST", base() + "/import-contacts", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "'comment'" in response.get_json()["errors"][0]["msg"]
    assert api.list().get_json()["totalResults"] == 0


def test_the_largest_store_offset_is_an_empty_page_and_one_more_is_refused(api):
    api.create(
        [
            {
                "firstName": "a",
                "lastName": "b",
                "salutation": "",
                "cellPhone": {"phoneNumber": "2015550123", "countryCode": "+1", "extension": ""},
            }
        ]
    )
    page = api.list(skip=2**63 - 1, limit=5).get_json()
    assert (page["results"], page["skip"], page["hasMore"], page["totalResults"]) == (
        [],
        2**63 - 1,
        False,
        1,
    )
    assert api.list(skip=2**63, limit=5).status_code == 412


@pytest.mark.parametrize("blank", ["\x1e", "\x85", "\ufeff", "\u3000", " \t"])
def test_a_name_that_is_blank_in_any_regex_dialect_is_refused(api, blank):
    item = {
        "firstName": blank,
        "lastName": "b",
        "salutation": "",
        "cellPhone": {"phoneNumber": "2015550123", "countryCode": "+1", "extension": ""},
    }
    response = api.create([item])
    assert response.status_code == 412
    assert "firstName" in response.get_json()["errors"][1]["msg"]


@pytest.mark.parametrize("field", ["salutation", "extension"])
@pytest.mark.parametrize("start", ["\x1c", "\x85", "\ufeff"])
def test_a_value_starting_with_whitespace_of_any_regex_dialect_is_refused(api, field, start):
    phone = {"phoneNumber": "2015550123", "countryCode": "+1", "extension": ""}
    item = {"firstName": "a", "lastName": "b", "salutation": "", "cellPhone": phone}
    if field == "salutation":
        item["salutation"] = start + "Mr"
    else:
        phone["extension"] = start + "12"
    response = api.create([item])
    assert response.status_code == 412
    assert field in response.get_json()["errors"][1]["msg"]


ITEM = {
    "firstName": "a",
    "lastName": "b",
    "salutation": "Mr",
    "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91", "extension": ""},
}
GZIP_MESSAGE = (
    "The body's Content-Encoding {!r} is not accepted: send it uncompressed, without a "
    "Content-Encoding header"
)


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate, gzip"])
def test_a_body_with_a_content_coding_is_415_and_stores_nothing(api, coding):
    # a gzip body was refused as "not valid UTF-8", a gzip import as "no part starts with the
    # boundary"; a plain body labelled br was stored
    headers = api.headers(**{"Content-Encoding": coding})
    response = api.call("POST", base(), json=[ITEM], headers=headers)
    assert response.status_code == 415
    assert response.get_json()["errors"] == [{"msg": GZIP_MESSAGE.format(coding), "code": 415}]
    assert api.import_csv(csv_file("a,b,Mr,9876543210,+91,"), headers=headers).status_code == 415
    assert api.list().get_json()["totalResults"] == 0


def test_an_identity_coding_is_a_plain_body(api):
    headers = api.headers(**{"Content-Encoding": "identity"})
    assert api.call("POST", base(), json=[ITEM], headers=headers).status_code == 200


def test_a_control_body_with_a_content_coding_is_415_and_changes_nothing(client, api):
    assert api.create([ITEM]).status_code == 200
    response = client.post("/__mock__/reset", json={}, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 415
    assert api.list().get_json()["totalResults"] == 1


@pytest.mark.parametrize(
    ("path", "method"),
    [
        (base() + "/bulk-delete", "DELETE"),
        (base(), "POST"),
        ("/__mock__/journal/verify", "POST"),
        ("/__mock__/reset", "POST"),
    ],
)
def test_a_body_without_a_content_type_is_415_saying_it_has_none(client, api, path, method):
    # it said "Content type 'none'" (vendor API) or named application/octet-stream (control
    # plane), types the client had not sent
    response = client.open(path, method=method, data=b'{"ids": []}', headers=api.headers())
    assert response.status_code == 415
    assert response.get_json()["errors"][0]["msg"] == (
        "A body without a Content-Type is not supported here; use 'application/json'"
    )


@pytest.mark.parametrize("extension", [True, 5, None, ["+"], {"a": 1}])
def test_an_extension_that_is_no_string_is_412_not_500(api, extension):
    # the formula guard's refusal quoted the value as a string (len() of a boolean: a 500)
    item = {**ITEM, "cellPhone": {**ITEM["cellPhone"], "extension": extension}}
    response = api.call("POST", base(), json=[item])
    assert response.status_code == 412, response.get_data(as_text=True)
    assert (
        api.call("PUT", base() + "/bulk-update", json=[{**item, "id": "0" * 24}]).status_code == 412
    )


def test_a_refused_name_quotes_its_accents_as_written_and_its_invisible_characters_escaped(api):
    item = {**ITEM, "firstName": "=Zoë\u200b"}
    message = api.call("POST", base(), json=[item]).get_json()["errors"][1]["msg"]
    assert '"=Zoë\\u200b"' in message, message


@pytest.mark.parametrize(
    ("charset", "number"),
    [
        ("utf-8", "9876500001"),
        ("UTF-8", "9876500002"),
        ("utf8", "9876500003"),
        ("UTF8", "9876500004"),
        ('"utf-8"', "9876500005"),
    ],
)
def test_a_json_body_declared_utf_8_in_any_spelling_is_read(api, charset, number):
    """RFC 8259's only charset, however the client spells it (Java and PHP clients send utf8)."""
    response = api.call(
        "POST",
        base(),
        data=f'[{{"firstName":"Zoë","lastName":"b","salutation":"","cellPhone":'
        f'{{"phoneNumber":"{number}","countryCode":"+91","extension":""}}}}]'.encode(),
        headers=api.headers(**{"Content-Type": f"application/json; charset={charset}"}),
    )
    assert response.status_code == 200, response.get_json()
    assert [c["firstName"] for c in response.get_json()] == ["Zoë"]


def test_a_content_coding_label_on_a_request_without_a_body_refuses_nothing(client, api):
    """A client that labels every request gzip sends bodiless calls too: there is nothing to
    decode, so a bodiless control call is served, and a vendor call without its body is told
    that the body is missing, not that it is compressed."""
    gzip = {"Content-Encoding": "gzip"}
    headers = api.headers(**gzip, **{"Content-Type": "application/json"})
    response = api.call("POST", base(), headers=headers)
    assert response.status_code == 412
    assert "the request body is required" in str(response.get_json()["errors"])
    reset = client.post("/__mock__/reset", headers=gzip)
    assert reset.status_code == 200, reset.get_json()


def test_a_long_refused_content_coding_is_quoted_cut_short_with_an_ellipsis(api):
    """A refused value too long to quote whole is shown cut, ending in '...': the client can
    tell the message does not quote all it sent."""
    coding = "br-" + "x" * 100
    response = api.call(
        "POST",
        base(),
        data=b"[]",
        headers=api.headers(**{"Content-Type": "application/json", "Content-Encoding": coding}),
    )
    assert response.status_code == 415
    msg = response.get_json()["errors"][0]["msg"]
    assert f"'{coding[:37]}...'" in msg
    assert coding not in msg
