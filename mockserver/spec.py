"""The two OpenAPI documents — the vendor contract and the control plane's — each read once,
and what the mock derives from the vendor contract (JSON-body operations, the batch check of
contact items)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

API_PREFIX = "/agentassist/api/v1/public"


class OpenApiDocument:
    """One OpenAPI document shipped in the package, parsed on first use and then kept."""

    def __init__(self, package: str, filename: str) -> None:
        self.package = package
        self.filename = filename

    @property
    def path(self) -> Path:
        return Path(str(resources.files(self.package).joinpath(self.filename)))

    @functools.cached_property
    def document(self) -> dict[str, Any]:
        with self.path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)

    @property
    def version(self) -> str:
        return self.document["info"]["version"]

    @functools.cached_property
    def _operations(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(
            (path, method.upper(), operation["operationId"])
            for path, item in self.document["paths"].items()
            for method, operation in item.items()
            if isinstance(operation, dict) and "operationId" in operation
        )

    def operations(self) -> tuple[tuple[str, str, str], ...]:
        """(OpenAPI path, HTTP method, operationId) of every operation, in document order."""
        return self._operations

    @functools.cached_property
    def _operation_ids(self) -> frozenset[str]:
        return frozenset(operation_id for _, _, operation_id in self._operations)

    def operation_ids(self) -> frozenset[str]:
        return self._operation_ids


VENDOR = OpenApiDocument("mockserver", "openapi.yaml")  # the contract of the mocked API
CONTROL = OpenApiDocument("mockserver.control", "control-openapi.yaml")  # the control plane's


@functools.cache
def json_body_operations() -> frozenset[str]:
    """The operationIds whose request body is JSON (create, update, the bulk operations)."""
    return frozenset(
        operation["operationId"]
        for item in VENDOR.document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    )


@functools.cache
def items_check(schema_name: str) -> Any:
    """A check of many instances of one ``components/schemas`` entry at once.

    items -> {index: (field path, msg)} of the first violation of each bad item; {} when all
    conform. One call into jsonschema-rs for the whole list (an import may have 100,000 rows).
    """
    validator = jsonschema_rs.validator_for(
        {
            "type": "array",
            "items": {"$ref": f"#/components/schemas/{schema_name}"},
            "components": {"schemas": VENDOR.document["components"]["schemas"]},
        }
    )

    def check(items: list[Any]) -> dict[int, tuple[str, str]]:
        if validator.is_valid(items):
            return {}
        found: dict[int, tuple[str, str]] = {}
        for error in validator.iter_errors(items):
            if not error.instance_path:
                continue
            index, *rest = error.instance_path
            if index not in found:
                path = ".".join(str(part) for part in rest)
                found[index] = (path or "item", _humane(path, describe(error)))
        return found

    return check


def describe(error: Any) -> str:
    """A jsonschema-rs error as a sentence: a pattern the spec words (``x-refusal``) in those
    words, not as the regular expression. A string is quoted as JSON (an invisible character
    shows as its escape) and cut after ``QUOTED_CHARS`` (a 131,072-character name was quoted
    whole in every refused row of an import's report)."""
    kind = error.kind
    instance = error.instance
    if instance == "" and isinstance(kind, _EMPTY_REFUSED):
        return '"" must not be empty'  # not "shorter than 1 character", nor "must not start..."
    if _is_phone_length(error):  # the number's own bounds and E.164's: one sentence for both
        unit = "digits" if instance.isdigit() else "characters"
        return f"{quoted(instance)} has {len(instance)} {unit}; {E164_RULE}"
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Pattern):
        refusal = _refusals()[0].get(kind.pattern)
        if refusal:
            return f"{quoted(instance)} {refusal}"
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Not) and set(kind.schema) == {"pattern"}:
        refusal = _refusals()[1].get(kind.schema["pattern"])
        if refusal:
            return f"{quoted(instance)} {refusal}"
        return f'{quoted(instance)} must not match "{kind.schema["pattern"]}"'
    message = error.message
    if isinstance(instance, str):  # jsonschema-rs quotes it whole, invisible characters raw
        message = message.replace(json.dumps(instance, ensure_ascii=False), quoted(instance), 1)
    return message


QUOTED_CHARS = 60  # characters of a refused string a message quotes


def quoted(value: Any) -> str:
    """``value`` as a message quotes it: JSON; a string as the client wrote it (an ``é`` stays
    one) but for the characters that do not show, which are escaped (a zero-width space in an
    id showed a value that looked right), and cut after ``QUOTED_CHARS`` with its length said."""
    if not isinstance(value, str):
        return json.dumps(value)
    cut = value[:QUOTED_CHARS]
    text = json.dumps(cut, ensure_ascii=False)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)
    if len(value) > QUOTED_CHARS:
        return f'{text[:-1]}..." ({len(value)} characters)'
    return text


_EMPTY_REFUSED = (
    jsonschema_rs.ValidationErrorKind.MinLength,
    jsonschema_rs.ValidationErrorKind.Pattern,
)
E164_RULE = (
    "with its country code a number has 8-15 digits (E.164): 7-14 after a 1-digit code such "
    "as +1, 6-13 after a 2-digit one such as +91, 5-12 after a 3-digit one"
)


def _is_phone_length(error: Any) -> bool:
    length = (
        jsonschema_rs.ValidationErrorKind.MinLength,
        jsonschema_rs.ValidationErrorKind.MaxLength,
    )
    path = error.instance_path
    return bool(path) and path[-1] == "phoneNumber" and isinstance(error.kind, length)


@functools.cache
def _refusals() -> tuple[dict[str, str], dict[str, str]]:
    """(pattern -> words, ``not`` pattern -> words) of the schemas (vendor and control) that say, in
    ``x-refusal``, what their pattern refuses."""
    patterns: dict[str, str] = {}
    negated: dict[str, str] = {}
    schemas = [*VENDOR.document["components"]["schemas"].values()]
    schemas += CONTROL.document["components"]["schemas"].values()
    for schema in schemas:
        refusal = schema.get("x-refusal")
        if not refusal:
            continue
        if "pattern" in schema:
            patterns[schema["pattern"]] = refusal
        if "pattern" in schema.get("not", {}):
            negated[schema["not"]["pattern"]] = refusal
    return patterns, negated


def _humane(path: str, message: str) -> str:
    return f"{path}: {message}" if path else message


# -- integers ----------------------------------------------------------------------------------
# JSON does not tell 503 from 503.0, and JSON Schema counts both as the integer 503; Python
# code does not (``range(2.0)``, ``503.0 .strip``). A value a schema checked as an integer is
# therefore taken as an int wherever that schema says ``integer``.

Convert = Callable[[Any], Any]


def integral(value: Any) -> Any:
    """An integral float (``503.0``) as its int; any other value as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def with_integers(value: Any, schema_name: str) -> Any:
    """``value``, checked against the control contract's ``components/schemas/<schema_name>``,
    with every integral float where that schema says ``integer`` made an int (in place, in its
    dicts and lists; returned too). Only the branches that can hold an integer are walked, so a
    snapshot's 100,000 contacts cost one field each."""
    convert = _integers_of(schema_name)
    return value if convert is None else convert(value)


@functools.cache
def _integers_of(schema_name: str) -> Convert | None:
    schema = CONTROL.document["components"]["schemas"][schema_name]
    return _converter(schema, CONTROL, {})


def _converter(
    schema: Any, document: OpenApiDocument, made: dict[int, Convert | None]
) -> Convert | None:
    """What makes the integers of a value of ``schema`` ints; None when it holds none.
    ``made``: the converters of the schemas met so far (by identity)."""
    if not isinstance(schema, dict):
        return None
    key = id(schema)
    if key not in made:
        made[key] = None  # a schema that refers to itself holds no more integers
        made[key] = _compiled(schema, document, made)
    return made[key]


def _compiled(
    schema: dict[str, Any], document: OpenApiDocument, made: dict[int, Convert | None]
) -> Convert | None:
    def sub(part: Any, where: OpenApiDocument = document) -> Convert | None:
        return _converter(part, where, made)

    found: list[Convert | None] = []
    if "$ref" in schema:
        found.append(sub(*_resolved(schema["$ref"], document)))
    for combined in ("allOf", "anyOf", "oneOf"):
        found += [sub(branch) for branch in schema.get(combined, ())]
    types = schema.get("type", ())
    if "integer" in ([types] if isinstance(types, str) else types):
        found.append(integral)
    declared = schema.get("properties", {})
    fields = {name: sub(part) for name, part in declared.items()}
    fields = {name: convert for name, convert in fields.items() if convert is not None}
    others = sub(schema.get("additionalProperties"))
    if fields or others is not None:
        found.append(_object(fields, others, frozenset(declared)))
    items = sub(schema.get("items"))
    if items is not None:
        found.append(_array(items))
    steps = [step for step in found if step is not None]
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0]

    def every(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return every


def _object(
    fields: dict[str, Convert], others: Convert | None, declared: frozenset[str]
) -> Convert:
    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            for name, field in fields.items():
                if name in value:
                    value[name] = field(value[name])
            if others is not None:
                for name, held in value.items():
                    if name not in declared:
                        value[name] = others(held)
        return value

    return convert


def _array(items: Convert) -> Convert:
    def convert(value: Any) -> Any:
        if isinstance(value, list):
            for i, item in enumerate(value):
                value[i] = items(item)
        return value

    return convert


def _resolved(ref: str, document: OpenApiDocument) -> tuple[Any, OpenApiDocument]:
    """The schema a ``$ref`` names: in its document, or in openapi.yaml (``../openapi.yaml#``)."""
    where, _, pointer = ref.partition("#")
    if where:
        document = VENDOR if where.endswith(VENDOR.filename) else document
    node: Any = document.document
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, document
