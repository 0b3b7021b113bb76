"""The contract itself: valid OpenAPI 3.1, every operation served, every error documented."""

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from mockserver.api.handlers import HANDLERS
from mockserver.spec import VENDOR

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
            assert {"200", "400", "401", "405", "429"} <= statuses, (path, method)
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
