"""The control plane's own contract: valid OpenAPI 3.1, and every route is described in it."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from mockserver.app import create_app
from mockserver.mock import mock_of
from mockserver.settings import DEV_APP, Limits, Settings
from mockserver.spec import CONTROL
from tests.conftest import ACCOUNT, STREAM, TEST_APPS
from tests.control.conftest import NS_PATH, Control


def test_control_openapi_document_is_valid():
    document, base_uri = read_from_filename(str(CONTROL.path))
    validate(document, base_uri=base_uri)
    assert document["openapi"].startswith("3.1")


def test_every_control_route_is_described_and_every_operation_served(app):
    served = {
        (
            re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule),
            method,
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("control.") and rule.endpoint != "control.static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(path, method) for path, method, _ in CONTROL.operations()}
    assert served == described


def test_console_files_ship_inside_the_package():
    console = resources.files("mockserver.control").joinpath("console")
    assert {"index.html", "console.js", "console.css"} <= {p.name for p in console.iterdir()}


BEYOND_64_BITS = {"2^63": str(2**63), "40 nines": "9" * 40, "5000 nines": "9" * 5000}
INTEGER_PARAMETERS = [
    NS_PATH + "/contacts?skip={}",
    NS_PATH + "/contacts?limit={}",
    "/__mock__/journal?limit={}",
    "/__mock__/journal?status={}",
    "/__mock__/journal/{}",  # 5000 digits: no route matches such a segment (404)
]
CASES = [
    pytest.param(path.format(value), value, id=f"{path.split('/')[-1]} {name}")
    for path in INTEGER_PARAMETERS
    for name, value in BEYOND_64_BITS.items()
    if not (path.endswith("/{}") and len(value) > 100)
]


@pytest.mark.parametrize(("url", "value"), CASES)
def test_integer_parameters_beyond_64_bits_are_the_validation_error_and_never_echoed(
    control, url, value
):
    response = control.get(url)
    assert response.status_code == 400, response.get_data(as_text=True)
    [error] = response.get_json()["errors"]
    assert error["msg"].startswith("Validation errors/ Invalid arguments: ")
    assert value not in response.get_data(as_text=True)


# what Python's int() takes and the vendor API (and JSON Schema) do not: Arabic-Indic and
# fullwidth digits, a sign, blanks, an underscore
NOT_ASCII_INTEGERS = {
    "arabic-indic": "%D9%A1%D9%A2",
    "fullwidth": "%EF%BC%92%EF%BC%90%EF%BC%90",
    "plus": "%2B1",
    "blanks": "%201%20",
    "underscore": "1_0",
}


@pytest.mark.parametrize("url", INTEGER_PARAMETERS[:-1])
@pytest.mark.parametrize("value", NOT_ASCII_INTEGERS.values(), ids=NOT_ASCII_INTEGERS)
def test_an_integer_parameter_is_ascii_digits_as_on_the_vendor_api(control, url, value):
    response = control.get(url.format(value))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "Failed to cast value to integer type" in response.get_json()["errors"][0]["msg"]


def test_a_journal_entry_id_in_other_digits_is_no_path(control):
    ascii_one = control.get("/__mock__/journal/1").get_json()["errors"][0]["msg"]
    assert ascii_one == "No journal entry 1"
    response = control.get("/__mock__/journal/%D9%A1")  # Arabic-Indic 1
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["msg"].startswith("No such path")


@pytest.mark.parametrize("field", ["count", "atLeast", "atMost"])
def test_verify_counts_beyond_64_bits_are_the_validation_error(control, field):
    response = control.verify(**{field: 10**40})
    assert response.status_code == 400
    assert str(10**40) not in response.get_data(as_text=True)


PATH_VALUES = {
    "accountId": ACCOUNT,
    "streamId": STREAM,
    "clientId": DEV_APP.client_id,
    "operation": "listContacts",
}
BODIES = [  # every control operation that takes a body, its path filled in
    pytest.param(method, path.format(**PATH_VALUES), id=operation_id)
    for path, method, operation_id in CONTROL.operations()
    if "requestBody" in CONTROL.document["paths"][path][method.lower()]
]


@pytest.mark.parametrize(("method", "path"), BODIES)
def test_a_body_over_the_servers_limit_is_a_413_the_control_contract_lists(tmp_path, method, path):
    # the control plane's bodies are bounded by maxUploadBytes (a snapshot's by its own limit);
    # those 413s were not in control-openapi.yaml ("Unknown response http status: 413")
    limits = Limits(max_upload_bytes=100, max_snapshot_bytes=100)
    app = create_app(Settings(db=str(tmp_path / "k.db"), apps=TEST_APPS, limits=limits))
    try:
        response = Control(app.test_client()).call(method, path, json={"padding": "x" * 200})
        assert response.status_code == 413
        assert "over this server's limit of 100 bytes" in response.get_json()["errors"][0]["msg"]
    finally:
        mock_of(app).close()


def test_every_control_operation_that_reads_a_parameter_or_a_body_documents_its_400():
    """The control plane answers 400 for any parameter or body its schema refuses: an operation
    that takes one must say so (removeApp and saveSnapshot did not; schemathesis' status-code
    check failed on both)."""
    document = CONTROL.document
    undocumented = []
    for path, method, operation_id in CONTROL.operations():
        item = document["paths"][path]
        operation = item[method.lower()]
        takes = (
            item.get("parameters") or operation.get("parameters") or operation.get("requestBody")
        )
        if takes and "400" not in operation["responses"]:
            undocumented.append(operation_id)
    assert undocumented == []


SEED = {
    "contacts": [
        {
            "firstName": "a",
            "lastName": "b",
            "cellPhone": {"phoneNumber": "2025550143", "countryCode": "+1"},
        }
    ]
}
LINE_FEED_AT_THE_END = [  # a value ending in %0A: Python's "$" matched before it, ECMA-262's not
    pytest.param("POST", f"/__mock__/namespaces/{ACCOUNT}/st-abc%0A/seed", SEED, id="seed stream"),
    pytest.param("POST", f"/__mock__/namespaces/acc1%0A/{STREAM}/seed", SEED, id="seed account"),
    pytest.param("GET", f"/__mock__/namespaces/{ACCOUNT}/st-abc%0A/contacts", None, id="browse"),
    pytest.param(
        "GET", f"/__mock__/namespaces/{ACCOUNT}/st-abc%0A/export?format=csv", None, id="export"
    ),
    pytest.param(
        "PUT",
        f"/__mock__/faults/listContacts?accountId=acc%0A&streamId={STREAM}",
        {"errorStatus": 503},
        id="scope",
    ),
    pytest.param(
        "GET", f"/__mock__/journal?accountId={ACCOUNT}&streamId=st-x%0A", None, id="journal filter"
    ),
    pytest.param(
        "POST",
        "/__mock__/journal/verify",
        {"accountId": ACCOUNT, "streamId": "st-x\n", "count": 0},
        id="verify body",
    ),
    pytest.param(
        "POST", "/__mock__/reset", {"accountId": ACCOUNT, "streamId": "st-x\n"}, id="reset body"
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), LINE_FEED_AT_THE_END)
def test_a_value_ending_in_a_line_feed_is_refused_and_changes_nothing(control, method, path, body):
    # a namespace "st-abc\n" could be seeded: its CSV export was a 500 (a line feed in a header)
    # and the server's own snapshot no longer loaded
    before = control.get("/__mock__/snapshot?journal=true").get_json()
    response = control.call(method, path, json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["errors"][0]["msg"].startswith("Validation errors/ ")
    after = control.get("/__mock__/snapshot?journal=true").get_json()
    assert {**after, "savedAt": None} == {**before, "savedAt": None}
    assert control.get("/__mock__/namespaces").get_json()["namespaces"] == []


def test_every_control_operation_documents_the_store_failures_it_can_answer():
    """A call that reaches the store can meet it unreachable (503) or full (507), and any call
    an unexpected failure (500), each in the envelope: the document said none of them."""
    missing = [
        operation_id
        for path, method, operation_id in CONTROL.operations()
        if not {"500", "503", "507"}
        <= set(CONTROL.document["paths"][path][method.lower()]["responses"])
    ]
    assert missing == []
