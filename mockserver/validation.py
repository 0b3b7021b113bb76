"""Requests checked against openapi.yaml; failures become Kore errors.

At start-up every operation of the document is compiled into JSON-Schema validators
(jsonschema-rs): one for its parameters (path, query, header — with the spec's types, patterns,
bounds and defaults) and one per request media type. Per request the work is: gather the raw
values, coerce query/header strings to the schema's scalar type (as OpenAPI's ``form`` and
``simple`` styles say), validate, parse the JSON body strictly (``json_body``), validate. The
rules all come from the document; nothing here knows a field name. (openapi-core did the same
job at ~4 ms a request; the test suite still cross-checks this module against openapi-core,
see tests/test_validation.py.)

The import's multipart body is read by ``contacts.csv_rows`` instead: its CSV may be 100,000
rows, and werkzeug streams it to disk.

A request that breaks the document is ``InvalidArguments`` (412 or 400: the reading
``validationStatus``), but a malformed stream id is 401 ``Invalid SDK credentials`` (Kore's
platform answers so). The document is the one the tenant profile reads (``validator_for``):
one compiled validator per distinct reading of the document, kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
from flask import Request

from mockserver import json_body
from mockserver.errors import (
    MAX_DETAIL_CHARS,
    MAX_MESSAGE_CHARS,
    InvalidArguments,
    Unauthorized,
    UnsupportedMediaType,
    ValidationError,
    clip,
)
from mockserver.profile import DEFAULT, Profile, document_for_key, schema_key
from mockserver.spec import VENDOR, describe

MAX_ERRORS = 5
LOCATIONS = ("path", "query", "header")
MULTIPART = "multipart/form-data"
DECLARED_TYPE = "kore_mock.declared_content_type"  # environ key: the type a client declared
CREDENTIAL_PARAMETERS = {("path", "streamId")}  # malformed: 401, like an unknown one
JSON = "application/json"

_INTEGER = re.compile(r"-?[0-9]+")
INT64_MAX = 2**63 - 1  # what a database offset or id holds; the specs bound integers by it
_BEYOND_EVERY_BOUND = 2**64  # stands in for an integer too long to convert (see ``integer_of``)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@dataclass
class ValidRequest:
    path: dict[str, Any]
    query: dict[str, Any]
    header: dict[str, Any]
    body: Any


@dataclass
class _Parameter:
    name: str
    location: str
    coerce: Callable[[str], Any]
    default: Any = None
    has_default: bool = False


@dataclass
class _Operation:
    operation_id: str
    parameters: list[_Parameter]
    parameters_check: Any  # jsonschema_rs validator of {"path": {...}, "query": ..., "header": ...}
    body_required: bool = False
    media: dict[str, Any | None] = field(default_factory=dict)  # media type -> validator
    file_part: str | None = None  # a multipart body's required part (for the 415's hint)


class RequestValidator:
    def __init__(self, document: dict[str, Any] | None = None) -> None:
        document = document or VENDOR.document
        self._components = {"schemas": document["components"]["schemas"]}
        self._document = document
        self._operations = {
            operation_id: self._compile(path, method.lower(), operation_id)
            for path, method, operation_id in VENDOR.operations()
        }

    # -- start-up --------------------------------------------------------------------------

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self._document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def _validator(self, schema: dict[str, Any]) -> Any:
        return jsonschema_rs.validator_for({**schema, "components": self._components})

    def _compile(self, path: str, method: str, operation_id: str) -> _Operation:
        item = self._document["paths"][path]
        operation = item[method]
        declared = [self._resolve(p) for p in item.get("parameters", [])]
        declared += [self._resolve(p) for p in operation.get("parameters", [])]
        parameters: list[_Parameter] = []
        groups: dict[str, dict[str, Any]] = {
            loc: {"type": "object", "properties": {}, "required": []} for loc in LOCATIONS
        }
        for spec in declared:
            location, name, schema = spec["in"], spec["name"], spec.get("schema", {})
            group = groups[location]
            group["properties"][name] = schema
            if spec.get("required"):
                group["required"].append(name)
            resolved = self._resolve(schema)
            parameters.append(
                _Parameter(
                    name=name,
                    location=location,
                    coerce=_coercion(resolved.get("type")),
                    default=resolved.get("default"),
                    has_default="default" in resolved,
                )
            )
        compiled = _Operation(
            operation_id=operation_id,
            parameters=parameters,
            parameters_check=self._validator(
                {"type": "object", "properties": groups, "required": list(LOCATIONS)}
            ),
        )
        body = operation.get("requestBody")
        if body is not None:
            body = self._resolve(body)
            compiled.body_required = bool(body.get("required"))
            for media_type, media in body["content"].items():
                schema = media.get("schema")
                if media_type == MULTIPART and schema:
                    compiled.file_part = next(iter(self._resolve(schema).get("required", [])), None)
                compiled.media[media_type] = (
                    self._validator(schema) if schema and media_type == JSON else None
                )
        return compiled

    # -- per request -----------------------------------------------------------------------

    def validate(self, operation_id: str, request: Request) -> ValidRequest:
        operation = self._operations[operation_id]
        values = self._parameters(operation, request)
        body = self._body(operation, request) if operation.media else None
        return ValidRequest(values["path"], values["query"], values["header"], body)

    def _parameters(self, operation: _Operation, request: Request) -> dict[str, dict[str, Any]]:
        values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        path_args = request.view_args or {}
        # a plain dict of each name's values: werkzeug's MultiDict.get raises and catches an
        # HTTP exception for every name it lacks (the list's skip and limit, most often)
        query = request.args.to_dict(flat=False) if request.query_string else {}
        for parameter in operation.parameters:
            if parameter.location == "path":
                raw = path_args.get(parameter.name)
            elif parameter.location == "query":
                raw = query.get(parameter.name)  # the name's values
            else:
                raw = request.headers.get(parameter.name)
                if raw is not None and not raw.isascii():
                    raw = _as_sent(raw)
            if raw is None:
                if parameter.has_default:
                    values[parameter.location][parameter.name] = parameter.default
                continue
            if type(raw) is not list:
                value = parameter.coerce(raw)
            elif len(raw) == 1:
                value = parameter.coerce(raw[0])
            else:  # a query name given twice: a list, which no scalar schema takes
                value = [parameter.coerce(r) for r in raw]
            values[parameter.location][parameter.name] = value
        _check(operation.parameters_check, values, "", credentials=CREDENTIAL_PARAMETERS)
        return values

    def _body(self, operation: _Operation, request: Request) -> Any:
        refuse_content_coding(request)
        media_type = request.mimetype
        if media_type not in operation.media and _read_as_multipart(operation, request):
            media_type = MULTIPART
        if media_type not in operation.media:
            if not media_type and not request.content_length and not operation.body_required:
                return None
            if operation.file_part and media_type.startswith("multipart/"):
                raise ValidationError(  # multipart, but not a form: 400 (behaviour.md)
                    f"The file is sent as multipart/form-data, not {media_type} (curl --form "
                    f"{operation.file_part}=@FILE)"
                )
            hint = ""
            if operation.file_part and request.mimetype_params.get("boundary"):
                # curl --form under a -H 'Content-Type: ...' of the user's: the form is there
                hint = (
                    " (the body carries a form's boundary: leave out the Content-Type header and"
                    " let curl --form set it)"
                )
            elif operation.file_part:
                hint = f" (send the file: curl --form {operation.file_part}=@FILE)"
            raise UnsupportedMediaType(unsupported_type(media_type, operation.media) + hint)
        check = operation.media[media_type]
        if check is None:  # read by the domain (the import's multipart CSV)
            return None
        json_body.check_charset(request.mimetype_params.get("charset"))
        raw = request.get_data()
        if not raw:
            if operation.body_required:
                raise InvalidArguments("the request body is required")
            return None
        body = json_body.loads(raw)
        _check(check, body, "body")
        return body


def unsupported_type(media_type: str, accepted: Iterable[str]) -> str:
    """The 415's words: the type sent (or that none was) and the ones this path takes."""
    sent = f"Content type {media_type!r} is" if media_type else "A body without a Content-Type is"
    return f"{sent} not supported here; use " + " or ".join(repr(m) for m in accepted)


def refuse_content_coding(request: Request) -> None:
    """415 for a body sent with a content coding (``Content-Encoding: gzip``): kore-mock reads
    bodies as sent, and a compressed one read so is refused for what it is not (not UTF-8, no
    boundary, NUL bytes), a plain one labelled compressed would be stored (RFC 9110 §15.5.16)."""
    coding = request.headers.get("Content-Encoding", "").strip()
    if coding.lower() in ("", "identity"):
        return
    if not request.content_length and "HTTP_TRANSFER_ENCODING" not in request.environ:
        return  # no body to decode
    raise UnsupportedMediaType(
        f"The body's Content-Encoding {clip(coding, 40)!r} is not accepted: send it "
        "uncompressed, without a Content-Encoding header"
    )


def _read_as_multipart(operation: _Operation, request: Request) -> bool:
    """The vendor's import curl declares ``application/json;charset=UTF-8`` and sends ``--form``:
    curl keeps the declared type and adds the form's ``boundary``. An operation that takes
    multipart/form-data reads such a body as the multipart upload it then has to be (the
    handler says 415 when it does not parse as one)."""
    boundary = request.mimetype_params.get("boundary")
    if MULTIPART not in operation.media or not boundary or request.mimetype != JSON:
        return False
    request.environ[DECLARED_TYPE] = request.headers.get("Content-Type", "")
    request.environ["CONTENT_TYPE"] = f'{MULTIPART}; boundary="{boundary}"'
    for cached in ("_parsed_content_type", "mimetype", "mimetype_params", "content_type"):
        request.__dict__.pop(cached, None)
    return True


def _coercion(schema_type: Any) -> Callable[[str], Any]:
    """OpenAPI ``form``/``simple`` styles carry scalars as text; give them the schema's type."""
    if schema_type == "integer":
        return integer_of
    if schema_type == "number":
        return lambda raw: float(raw) if _NUMBER.fullmatch(raw) else raw
    if schema_type == "boolean":
        return lambda raw: {"true": True, "false": False}.get(raw, raw)
    return str


def integer_of(raw: str) -> int | str:
    """A query, path or header value as the integer it spells (ASCII digits, an optional
    ``-``), else the text as it is."""
    if _INTEGER.fullmatch(raw):
        try:
            return int(raw)
        except ValueError:  # over Python's 4,300-digit conversion limit: beyond any bound too
            return -_BEYOND_EVERY_BOUND if raw.startswith("-") else _BEYOND_EVERY_BOUND
    return raw  # the schema check names it


def unquoted(message: str, instance: Any) -> str:
    """``message`` without an integer that no 64-bit field can hold: such a value is never
    echoed back (a JavaScript client could not even read it exactly), it is "the value"."""
    for value in instance if isinstance(instance, list) else (instance,):
        if isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
            message = message.replace(str(value), "the value")
    return message


def _as_sent(value: str) -> str:
    """A header's value as the client wrote it: WSGI gives its bytes as Latin-1 characters, so
    an ``é`` sent in UTF-8 would be quoted back as ``Ã©``."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _check(
    validator: Any, instance: Any, where: str, *, credentials: set[tuple[str, str]] = frozenset()
) -> None:
    if validator.is_valid(instance):
        return
    details = []
    for error in validator.iter_errors(instance):
        if tuple(error.instance_path[:2]) in credentials:
            location, name = error.instance_path[:2]
            value = clip(repr(instance[location][name]), 80)
            raise Unauthorized(detail=f"the {name} {value} is malformed")
        path = ".".join(str(part) for part in (where, *error.instance_path) if part != "")
        message = clip(
            unquoted(describe(error), error.instance), MAX_DETAIL_CHARS
        )  # messages quote the whole instance
        detail = f"{path}: {message}" if path else message
        if detail in details:  # one rule met twice (a length, and E.164's length again)
            continue
        details.append(detail)
        if len(details) == MAX_ERRORS:
            break
    raise InvalidArguments(clip("; ".join(details), MAX_MESSAGE_CHARS))


def validator_for(profile: Profile) -> RequestValidator:
    """The validator of the document as ``profile`` reads it (compiled once per process)."""
    return _validator(schema_key(profile))


@functools.cache
def _validator(key: tuple[str, ...]) -> RequestValidator:
    return RequestValidator(document_for_key(key))


def shared_validator() -> RequestValidator:
    """The default profile's validator: one per process, however many apps are created."""
    return validator_for(DEFAULT)
