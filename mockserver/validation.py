"""Requests checked against openapi.yaml by openapi-core; failures become Kore errors.

Parameters (path, query, headers) are unmarshalled by openapi-core; JSON bodies are validated
by it (not unmarshalled: walking a 1,000-item body that way costs seconds of CPU, validating it
a tenth of that) and parsed strictly by ``json_body``.

The import's multipart body is the one exception: its CSV may be 100,000 rows, so it is streamed
by werkzeug and read by ``contacts.csv_rows`` instead of being decoded whole by the validator
(its parameters and headers are still checked here).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from flask import Request
from openapi_core import OpenAPI
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.unmarshalling.request.unmarshallers import V31RequestParametersUnmarshaller
from openapi_core.validation.request.exceptions import (
    MissingRequestBody,
    RequestBodyValidationError,
)
from openapi_core.validation.request.validators import V31RequestBodyValidator
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

from mockserver import json_body
from mockserver.errors import ApiError, UnsupportedMediaType, ValidationError
from mockserver.spec import default_server_url, spec_dict, spec_path

MAX_DETAIL_CHARS = 200
MAX_MESSAGE_CHARS = 1000  # a validation message never echoes a whole hostile value
JSON = "application/json"
BODYLESS_CHECK = {"importContacts"}  # operations whose body is read by the domain


@dataclass
class ValidRequest:
    path: dict[str, Any]
    query: dict[str, Any]
    header: dict[str, Any]
    body: Any


class _Request(FlaskOpenAPIRequest):
    """The mock answers on any host; match the spec's server whatever host was called."""

    server_url = ""

    @property
    def host_url(self) -> str:
        return self.server_url

    @property
    def content_type(self) -> str:
        # werkzeug's parse of the header, without parameters: openapi-core's own parser fails
        # on valid ones (``boundary="a=b"``) and on junk (``;;``); the charset is checked apart.
        return self.request.mimetype or "application/octet-stream"


class RequestValidator:
    def __init__(self) -> None:
        self.openapi = OpenAPI.from_file_path(str(spec_path()))
        _Request.server_url = default_server_url()
        spec = self.openapi.spec
        self._parameters = V31RequestParametersUnmarshaller(spec)
        self._body = V31RequestBodyValidator(
            spec, extra_media_type_deserializers={JSON: json_body.loads}
        )
        self._json_bodies = _operations_with_json_body()

    def validate(self, operation_id: str, request: Request) -> ValidRequest:
        openapi_request = _Request(request)
        result = self._parameters.unmarshal(openapi_request)
        errors = list(result.errors)
        has_body = operation_id in self._json_bodies
        if has_body:
            if request.mimetype == JSON:
                json_body.check_charset(request.mimetype_params.get("charset"))
            errors += self._body.iter_errors(openapi_request)
        if errors:
            raise _as_api_error(errors)
        params = result.parameters
        return ValidRequest(
            path=dict(params.path),
            query=dict(params.query),
            header=dict(params.header),
            body=json_body.loads(request.get_data()) if has_body else None,
        )


def _operations_with_json_body() -> frozenset[str]:
    return frozenset(
        operation["operationId"]
        for item in spec_dict()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        and JSON in operation.get("requestBody", {}).get("content", {})
        and operation["operationId"] not in BODYLESS_CHECK
    )


@functools.cache
def shared_validator() -> RequestValidator:
    """The spec is immutable: one validator per process, however many apps are created."""
    return RequestValidator()


def _as_api_error(errors: list[Exception]) -> ApiError:
    for error in errors:
        media = error if isinstance(error, MediaTypeNotFound) else error.__cause__
        if isinstance(media, MediaTypeNotFound):
            return UnsupportedMediaType(
                f"Content type {media.mimetype!r} is not supported here; use "
                + " or ".join(repr(a) for a in media.availableMimetypes)
            )
    messages = "; ".join(_describe(e) for e in errors)
    if len(messages) > MAX_MESSAGE_CHARS:
        messages = messages[: MAX_MESSAGE_CHARS - 3] + "..."
    return ValidationError("Validation errors/ Invalid arguments: " + messages)


def _describe(error: Exception) -> str:
    if isinstance(error, MissingRequestBody):
        return "the request body is required"
    cause = error.__cause__
    if isinstance(cause, InvalidSchemaValue):
        details = "; ".join(_schema_error(e) for e in cause.schema_errors[:5])
        where = "body" if isinstance(error, RequestBodyValidationError) else str(error)
        return f"{where}: {details}"
    if isinstance(error, RequestBodyValidationError) and cause is not None:
        return f"body: {_text(cause)}"
    if cause is not None and _text(cause) and _text(cause) not in _text(error):
        return f"{_text(error)}: {_text(cause)}"
    return _text(error)


def _text(error: BaseException) -> str:
    """The message of an openapi-core error; some decode the raw body, which may not be UTF-8."""
    try:
        return str(error)
    except UnicodeDecodeError:
        mimetype = getattr(error, "mimetype", None) or "body"
        return f"the body is not valid UTF-8 {mimetype}"


def _schema_error(error: Any) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    message = error.message
    if error.validator == "not" and set(error.validator_value) == {"pattern"}:
        message = f"{error.instance!r} must not match {error.validator_value['pattern']!r}"
    if len(message) > MAX_DETAIL_CHARS:  # jsonschema quotes the whole instance
        message = message[: MAX_DETAIL_CHARS - 3] + "..."
    return f"{path.lstrip('.') or 'value'}: {message}"
