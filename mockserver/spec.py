"""The OpenAPI document, read once at start-up, and what is derived from it."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

SPEC_FILE = "openapi.yaml"
API_PREFIX = "/agentassist/api/v1/public"


def spec_path() -> Path:
    return Path(str(resources.files("mockserver").joinpath(SPEC_FILE)))


@functools.cache
def spec_dict() -> dict[str, Any]:
    with spec_path().open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def default_server_url() -> str:
    server = spec_dict()["servers"][0]
    url = server["url"]
    for name, variable in server.get("variables", {}).items():
        url = url.replace("{" + name + "}", variable["default"])
    return url


@functools.cache
def operation_ids() -> frozenset[str]:
    """The operationIds of the document (the endpoints of the vendor API)."""
    return frozenset(operation_id for _, _, operation_id in operations())


def operations() -> list[tuple[str, str, str]]:
    """(OpenAPI path, HTTP method, operationId) for every operation of the document."""
    found = []
    for path, item in spec_dict()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found.append((path, method.upper(), operation["operationId"]))
    return found


@functools.cache
def json_body_operations() -> frozenset[str]:
    """The operationIds whose request body is JSON (create, update, the bulk operations)."""
    return frozenset(
        operation["operationId"]
        for item in spec_dict()["paths"].values()
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
            "components": {"schemas": spec_dict()["components"]["schemas"]},
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
    """A jsonschema-rs error as a sentence; the spec's "must not start with" rules spelled out."""
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Not) and set(kind.schema) == {"pattern"}:
        return f'{json.dumps(error.instance)} must not match "{kind.schema["pattern"]}"'
    return error.message


def _humane(path: str, message: str) -> str:
    return f"{path}: {message}" if path else message
