"""The contract itself: valid OpenAPI 3.1, every operation served, every error documented."""

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from mockserver.api.handlers import HANDLERS
from mockserver.spec import CONTROL, VENDOR

OPERATIONS = {
    "importContacts",
    "createContacts",
    "listContacts",
    "updateContact",
    "bulkUpdateContacts",
    "deleteContact",
    "bulkDeleteContacts",
}


def test_openapi_document_is_valid():
    document, _ = read_from_filename(str(VENDOR.path))
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_all_seven_operations_are_described_and_served():
    described = {op for _, _, op in VENDOR.operations()}
    assert described == OPERATIONS
    assert set(HANDLERS) == OPERATIONS


def test_every_operation_documents_the_errors_the_mock_can_answer():
    for path, item in VENDOR.document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            statuses = set(operation["responses"])
            assert {"200", "400", "401", "405", "429", "503", "507"} <= statuses, (path, method)
            if method in ("post", "put") or operation["operationId"] == "bulkDeleteContacts":
                assert {"413", "415"} <= statuses, (path, method)
            if "{contactId}" in path:
                assert "404" in statuses, (path, method)
    assert (
        "409"
        in VENDOR.document["paths"]["/agentassist/api/v1/public/{streamId}/contacts/{contactId}"][
            "put"
        ]["responses"]
    )


def test_import_is_multipart_with_a_csv_part():
    operation = VENDOR.document["paths"][
        "/agentassist/api/v1/public/{streamId}/contacts/import-contacts"
    ]["post"]
    media = operation["requestBody"]["content"]["multipart/form-data"]
    assert media["schema"]["required"] == ["result_file"]
    assert media["encoding"]["result_file"]["contentType"] == "text/csv"


def test_auth_header_is_an_api_key_scheme():
    scheme = VENDOR.document["components"]["securitySchemes"]["JWT"]
    assert scheme == scheme | {"type": "apiKey", "in": "header", "name": "auth"}


def _integer_parameters(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in item.get("parameters", []) + operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if "$ref" not in parameter and schema.get("type") == "integer":
                    yield f"{method.upper()} {path} {parameter['name']}", schema


def test_every_integer_parameter_of_both_documents_fits_a_64_bit_integer():
    found = dict(_integer_parameters(VENDOR.document)) | dict(_integer_parameters(CONTROL.document))
    assert any("skip" in name for name in found)
    for name, schema in found.items():
        assert schema.get("minimum", -1) >= 0, name
        assert 0 < schema.get("maximum", 2**64) <= 2**63 - 1, name
