"""The control plane's own contract: valid OpenAPI 3.1, and every route is described in it."""

from __future__ import annotations

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
        (rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}"), method)
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
