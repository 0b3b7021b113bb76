"""The two OpenAPI documents — the vendor contract and the control plane's — each read once,
and what the mock derives from the vendor contract (JSON-body operations, the batch check of
contact items)."""

from __future__ import annotations

import functools
import json
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
    words, not as the regular expression."""
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Pattern):
        refusal = _refusals()[0].get(kind.pattern)
        if refusal:
            return f"{json.dumps(error.instance)} {refusal}"
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Not) and set(kind.schema) == {"pattern"}:
        refusal = _refusals()[1].get(kind.schema["pattern"])
        if refusal:
            return f"{json.dumps(error.instance)} {refusal}"
        return f'{json.dumps(error.instance)} must not match "{kind.schema["pattern"]}"'
    return error.message


@functools.cache
def _refusals() -> tuple[dict[str, str], dict[str, str]]:
    """(pattern -> words, ``not`` pattern -> words) of the vendor schemas that say, in
    ``x-refusal``, what their pattern refuses."""
    patterns: dict[str, str] = {}
    negated: dict[str, str] = {}
    for schema in VENDOR.document["components"]["schemas"].values():
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
