"""Requests checked against openapi.yaml by openapi-core; failures become Kore errors.

The import's multipart body is the one exception: its CSV may be 100,000 rows, so it is streamed
by werkzeug and read by ``contacts.csv_rows`` instead of being decoded whole by the validator
(its parameters and headers are still checked here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Request
from openapi_core import OpenAPI
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.unmarshalling.request.unmarshallers import (
    V31RequestParametersUnmarshaller,
    V31RequestUnmarshaller,
)
from openapi_core.validation.request.exceptions import (
    MissingRequestBody,
    RequestBodyValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

from mockserver.errors import ApiError, UnsupportedMediaType, ValidationError
from mockserver.spec import default_server_url, spec_path

MAX_DETAIL_CHARS = 200
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


class RequestValidator:
    def __init__(self) -> None:
        self.openapi = OpenAPI.from_file_path(str(spec_path()))
        _Request.server_url = default_server_url()
        spec = self.openapi.spec
        self._full = V31RequestUnmarshaller(spec)
        self._parameters = V31RequestParametersUnmarshaller(spec)

    def validate(self, operation_id: str, request: Request) -> ValidRequest:
        unmarshaller = self._parameters if operation_id in BODYLESS_CHECK else self._full
        result = unmarshaller.unmarshal(_Request(request))
        if result.errors:
            raise _as_api_error(result.errors)
        params = result.parameters
        return ValidRequest(
            path=dict(params.path),
            query=dict(params.query),
            header=dict(params.header),
            body=getattr(result, "body", None),
        )


def _as_api_error(errors: list[Exception]) -> ApiError:
    for error in errors:
        media = error if isinstance(error, MediaTypeNotFound) else error.__cause__
        if isinstance(media, MediaTypeNotFound):
            return UnsupportedMediaType(
                f"Content type {media.mimetype!r} is not supported here; use "
                + " or ".join(repr(a) for a in media.availableMimetypes)
            )
    messages = [_describe(e) for e in errors]
    return ValidationError(
        "Validation errors/ Invalid arguments: " + "; ".join(messages),
    )


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
    if len(message) > MAX_DETAIL_CHARS:  # jsonschema quotes the whole instance
        message = message[: MAX_DETAIL_CHARS - 3] + "..."
    return f"{path.lstrip('.') or 'value'}: {message}"
