"""The request validator agrees with openapi-core, the reference OpenAPI implementation.

kore-mock compiles openapi.yaml into jsonschema-rs validators for speed; this test feeds the
same requests to both and requires the same verdict (valid / refused) for each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import request
from openapi_core import OpenAPI
from openapi_core.contrib.flask import FlaskOpenAPIRequest

from mockserver.api.routes import VendorRoutes
from mockserver.errors import ApiError
from mockserver.spec import VENDOR
from mockserver.validation import shared_validator
from tests.conftest import ACCOUNT, person
from tests.spec_check import default_server_url

P = "/agentassist/api/v1/public/st-1/contacts"
ID = "0123456789abcdef01234567"
OK_HEADERS = {"auth": "x", "accountId": ACCOUNT}
PHONE = {"phoneNumber": "9876543210", "countryCode": "+91"}

LONG_EXTENSION = person("a", "b", "9876543210", extension="12345678901")
NUMERIC_NAME = {"firstName": 1, "lastName": "b", "cellPhone": PHONE}

CASES: list[tuple[str, str, str, dict[str, str], Any]] = [
    # (operation, method, url, headers, json body or None)
    ("listContacts", "GET", P, OK_HEADERS, None),
    ("listContacts", "GET", P + "?skip=5&limit=100", OK_HEADERS, None),
    ("listContacts", "GET", P + "?limit=0", OK_HEADERS, None),
    ("listContacts", "GET", P + "?limit=101", OK_HEADERS, None),
    ("listContacts", "GET", P + "?skip=-1", OK_HEADERS, None),
    ("listContacts", "GET", P + "?limit=ten", OK_HEADERS, None),
    ("listContacts", "GET", P + "?limit=1.5", OK_HEADERS, None),
    ("listContacts", "GET", P, {"auth": "x"}, None),
    ("listContacts", "GET", P, {"auth": "x", "accountId": "xyz"}, None),
    ("listContacts", "GET", "/agentassist/api/v1/public/bot-1/contacts", OK_HEADERS, None),
    ("createContacts", "POST", P, OK_HEADERS, [person("a", "b", "9876543210")]),
    ("createContacts", "POST", P, OK_HEADERS, []),
    ("createContacts", "POST", P, OK_HEADERS, {"firstName": "a"}),
    ("createContacts", "POST", P, OK_HEADERS, [{"firstName": "a", "lastName": "b"}]),
    ("createContacts", "POST", P, OK_HEADERS, [person("a", "b", "98-76")]),
    ("createContacts", "POST", P, OK_HEADERS, [person("a", "b", "9876543210", "+9999")]),
    ("createContacts", "POST", P, OK_HEADERS, [person("", "b", "9876543210")]),
    ("createContacts", "POST", P, OK_HEADERS, [person("a", "b", "9876543210") | {"x": 1}]),
    (
        "createContacts",
        "POST",
        P,
        OK_HEADERS,
        [person("a", "b", "9876543210", extension="12345678901")],
    ),
    (
        "createContacts",
        "POST",
        P,
        OK_HEADERS,
        [{"firstName": 1, "lastName": "b", "cellPhone": PHONE}],
    ),
    ("updateContact", "PUT", f"{P}/{ID}", OK_HEADERS, {"firstName": "x"}),
    ("updateContact", "PUT", f"{P}/{ID}", OK_HEADERS, {}),
    ("updateContact", "PUT", f"{P}/{ID}", OK_HEADERS, {"cellPhone": {"phoneNumber": "1"}}),
    ("updateContact", "PUT", f"{P}/not-an-id", OK_HEADERS, {"firstName": "x"}),
    ("updateContact", "PUT", f"{P}/{ID}", OK_HEADERS, {"salutation": "x" * 21}),
    ("bulkUpdateContacts", "PUT", P + "/bulk-update", OK_HEADERS, [{"id": ID, "firstName": "x"}]),
    ("bulkUpdateContacts", "PUT", P + "/bulk-update", OK_HEADERS, [{"id": ID}]),
    ("bulkUpdateContacts", "PUT", P + "/bulk-update", OK_HEADERS, [{"firstName": "x"}]),
    ("bulkUpdateContacts", "PUT", P + "/bulk-update", OK_HEADERS, {"id": ID}),
    ("deleteContact", "DELETE", f"{P}/{ID}", OK_HEADERS, None),
    ("deleteContact", "DELETE", f"{P}/{ID[:-1]}", OK_HEADERS, None),
    ("bulkDeleteContacts", "DELETE", P + "/bulk-delete", OK_HEADERS, {"ids": [ID]}),
    ("bulkDeleteContacts", "DELETE", P + "/bulk-delete", OK_HEADERS, {"ids": []}),
    ("bulkDeleteContacts", "DELETE", P + "/bulk-delete", OK_HEADERS, {"ids": ["nope"]}),
    ("bulkDeleteContacts", "DELETE", P + "/bulk-delete", OK_HEADERS, {"ids": [ID], "more": 1}),
    ("bulkDeleteContacts", "DELETE", P + "/bulk-delete", OK_HEADERS, [ID]),
]


ROUTES = VendorRoutes()


@contextmanager
def routed(app: Any, url: str, **options: Any) -> Iterator[None]:
    """A request context for ``url``, its path parameters as the vendor API routes it."""
    with app.test_request_context(url, **options):
        request.url_rule, request.view_args = ROUTES.match(request.method, request.path)
        yield


class _AnyHost(FlaskOpenAPIRequest):
    @property
    def host_url(self) -> str:
        return default_server_url()


@pytest.fixture(scope="module")
def reference() -> OpenAPI:
    return OpenAPI.from_file_path(str(VENDOR.path))


def _ours(operation: str) -> bool:
    try:
        shared_validator().validate(operation, request)
    except ApiError:
        return False
    return True


def _theirs(reference: OpenAPI) -> bool:
    return not reference.unmarshal_request(_AnyHost(request)).errors


@pytest.mark.parametrize(("operation", "method", "url", "headers", "body"), CASES)
def test_validator_agrees_with_openapi_core(app, reference, operation, method, url, headers, body):
    data = None if body is None else json.dumps(body)
    content_type = None if body is None else "application/json"
    with routed(app, url, method=method, headers=headers, data=data, content_type=content_type):
        assert _ours(operation) == _theirs(reference), (operation, url, body)


def test_cases_cover_both_verdicts(app, reference):
    verdicts = set()
    for operation, method, url, headers, body in CASES:
        data = None if body is None else json.dumps(body)
        with routed(
            app,
            url,
            method=method,
            headers=headers,
            data=data,
            content_type=None if body is None else "application/json",
        ):
            verdicts.add(_ours(operation))
    assert verdicts == {True, False}
