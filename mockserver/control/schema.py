"""Control-plane requests checked against control-openapi.yaml by openapi-core.

The vendor API, the hot path, uses the compiled validators of ``mockserver.validation``; the
control plane is called a few times per test and keeps the reference implementation.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from flask import Request
from jsonschema import ValidationError as SchemaFinding
from jsonschema.validators import extend
from openapi_core import OpenAPI
from openapi_core.casting.schemas import oas31_casters_dict
from openapi_core.casting.schemas.casters import (
    AnyCaster,
    IntegerCaster,
    PrimitiveCaster,
    TypesCaster,
)
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.casting.schemas.factories import SchemaCastersFactory
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.unmarshalling.request.unmarshallers import (
    V31RequestParametersUnmarshaller,
    V31RequestUnmarshaller,
)
from openapi_core.unmarshalling.schemas import (
    oas31_format_unmarshallers,
    oas31_unmarshallers_dict,
)
from openapi_core.unmarshalling.schemas.factories import SchemaUnmarshallersFactory
from openapi_core.unmarshalling.schemas.unmarshallers import (
    AnyUnmarshaller,
    MultiTypeUnmarshaller,
    PrimitiveUnmarshaller,
    TypesUnmarshaller,
)
from openapi_core.validation.request.exceptions import (
    MissingRequestBody,
    RequestBodyValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator, OAS31Validator
from werkzeug.datastructures import ImmutableMultiDict

from mockserver import json_body
from mockserver.errors import (
    MAX_DETAIL_CHARS,
    MAX_MESSAGE_CHARS,
    ApiError,
    UnsupportedMediaType,
    ValidationError,
    clip,
)
from mockserver.spec import CONTROL, QUOTED_CHARS, integral
from mockserver.validation import (
    ValidRequest,
    integer_of,
    refuse_content_coding,
    unquoted,
    unsupported_type,
)

MAX_CAST_ECHO = 20  # a value that is not of its parameter's type is quoted up to this length


# query parameters an empty value of which means "not given": `?q=` is an empty search box
# (openapi-core refuses an empty value unless the document says allowEmptyValue, deprecated)
EMPTY_IS_ABSENT = frozenset({"q"})


class _Request(FlaskOpenAPIRequest):
    """Match the document's server whatever host or port the control plane was called on."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        query = self.parameters.query
        if any(query.get(name) == "" for name in EMPTY_IS_ABSENT):
            kept = [(k, v) for k, v in query.items(multi=True) if v or k not in EMPTY_IS_ABSENT]
            self.parameters.query = ImmutableMultiDict(kept)

    @property
    def host_url(self) -> str:
        return CONTROL.document["servers"][0]["url"]

    @property
    def method(self) -> str:
        method = self.request.method.lower()
        return "get" if method == "head" else method  # HEAD is GET without the body


class _Integer(PrimitiveUnmarshaller):
    """A value the schema checked as an integer, as one: JSON Schema counts ``503.0`` as the
    integer 503 (JSON does not tell them apart), Python's ``range`` or ``str.strip`` do not."""

    def __call__(self, value: Any) -> Any:
        types = (self.schema / "type").read_str_or_list(None)  # None: a schema of any type
        return integral(value) if types is not None and "integer" in types else value


class _AsciiInteger(IntegerCaster):
    """A query or path value spelt as an integer the way the vendor API reads one: ASCII digits
    with an optional ``-`` (Python's ``int`` also takes ``١٢``, ``+1``, `` 1 `` and ``1_0``)."""

    def cast(self, value: Any) -> int:
        number = integer_of(value) if isinstance(value, str) else value
        if isinstance(number, str):
            raise ValueError(f"{value!r} is not an integer")
        return super().cast(number)


@functools.cache
def ecma_anchored(pattern: str) -> re.Pattern[str]:
    """A JSON Schema ``pattern`` (ECMA-262) as a Python regex that means the same: its ``$``
    (outside a class, unescaped) becomes ``\\Z``, for Python's ``$`` also matches before a final
    line feed (``st-abc\\n`` met ``^st-[A-Za-z0-9-]{1,100}$``), ECMA-262's and jsonschema-rs's
    (the vendor API's validator) only at the end. (White space: the patterns name the characters
    the dialects disagree on, tests/test_spec_regex_dialects.py.)"""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
    return re.compile("".join(out))


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not ecma_anchored(pattern).search(instance):
        yield SchemaFinding(f"{instance!r} does not match {pattern!r}")


# OpenAPI 3.1's validator (the 3.0 format checker, as openapi-core's own factory has it) with
# the patterns read as the vendor API's validator reads them
_VALIDATORS = SchemaValidatorsFactory(
    extend(OAS31Validator, {"pattern": _ecma_pattern}),
    format_checker=OAS30ReadValidator.FORMAT_CHECKER,
)

# openapi-core's OpenAPI 3.1 reading of a request, integers made ints wherever a schema says so
_UNMARSHALLERS = SchemaUnmarshallersFactory(
    _VALIDATORS,
    TypesUnmarshaller(
        {**oas31_unmarshallers_dict, "integer": _Integer},
        AnyUnmarshaller,
        multi=MultiTypeUnmarshaller,
    ),
    format_unmarshallers=oas31_format_unmarshallers,
)


# openapi-core's casts of query and path values, integers read as the vendor API reads them
_CASTERS = SchemaCastersFactory(
    _VALIDATORS,
    TypesCaster({**oas31_casters_dict, "integer": _AsciiInteger}, AnyCaster, multi=PrimitiveCaster),
)


class ControlValidator:
    def __init__(self) -> None:
        # the document as spec.py parsed it; its $refs into openapi.yaml resolve from its path
        spec = OpenAPI.from_dict(CONTROL.document, base_uri=CONTROL.path.as_uri()).spec
        # JSON bodies are read as strictly as the vendor API's (UTF-8, depth, no NaN, no half
        # surrogate pairs): a refusal is json_body's 400, not openapi-core's parse
        strict = {"application/json": json_body.loads}
        options: dict[str, Any] = {
            "extra_media_type_deserializers": strict,
            "schema_unmarshallers_factory": _UNMARSHALLERS,
            "schema_casters_factory": _CASTERS,
        }
        self._full = V31RequestUnmarshaller(spec, **options)
        self._parameters = V31RequestParametersUnmarshaller(spec, **options)

    def validate(self, request: Request, *, body: bool = True) -> ValidRequest:
        """Typed parameters (and JSON body) of a request, or the 400/415 it deserves.

        ``body=False`` checks parameters only, for bodies a handler reads itself (CSV files).
        """
        if request.method in ("POST", "PUT", "PATCH"):
            refuse_content_coding(request)
        unmarshaller = self._full if body else self._parameters
        result = unmarshaller.unmarshal(_Request(request))
        if result.errors:
            raise _as_api_error(result.errors, request)
        params = result.parameters
        return ValidRequest(
            path=dict(params.path),
            query=dict(params.query),
            header=dict(params.header),
            body=getattr(result, "body", None),
        )


def _as_api_error(errors: list[Exception], request: Request) -> ApiError:
    for error in errors:
        media = error if isinstance(error, MediaTypeNotFound) else error.__cause__
        if isinstance(media, MediaTypeNotFound):
            # openapi-core names a body without a type application/octet-stream
            sent = media.mimetype if request.headers.get("Content-Type") else ""
            return UnsupportedMediaType(unsupported_type(sent, media.availableMimetypes))
    messages = clip("; ".join(_describe(e) for e in errors), MAX_MESSAGE_CHARS)
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
    if isinstance(cause, CastError) and len(str(cause.value)) > MAX_CAST_ECHO:
        return f"{_text(error)}: the value ({len(str(cause.value))} characters) is not {cause.type}"
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
    message = unquoted(error.message, error.instance)
    refusal = error.schema.get("x-refusal") if isinstance(error.schema, dict) else None
    if refusal and error.validator in ("pattern", "not", "anyOf"):  # the spec's words
        message = f"{json.dumps(error.instance)} {refusal}"
    elif error.validator == "not" and set(error.validator_value) == {"pattern"}:
        message = f"{error.instance!r} must not match {error.validator_value['pattern']!r}"
    instance = error.instance
    if isinstance(instance, str) and len(instance) > QUOTED_CHARS and repr(instance) in message:
        # jsonschema quotes the whole value first: clipped, the message lost its reason ("is
        # too long", the pattern); the value is cut, the words kept
        cut = f"{instance[:QUOTED_CHARS]!r}... ({len(instance)} characters)"
        message = message.replace(repr(instance), cut)
    message = clip(message, MAX_DETAIL_CHARS)
    return f"{path.lstrip('.') or 'value'}: {message}"
