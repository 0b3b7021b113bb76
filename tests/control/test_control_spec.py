"""The control plane's own contract: valid OpenAPI 3.1, and every route is described in it."""

from __future__ import annotations

from importlib import resources

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from mockserver.spec import CONTROL


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
