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


def operations() -> list[tuple[str, str, str]]:
    """(OpenAPI path, HTTP method, operationId) for every operation of the document."""
    found = []
    for path, item in spec_dict()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found.append((path, method.upper(), operation["operationId"]))
    return found


@functools.cache
def schema_check(schema_name: str) -> Any:
    """A check of one ``components/schemas`` entry: item -> (field path, msg) or None."""
    validator = jsonschema_rs.validator_for(
        {
            "$ref": f"#/components/schemas/{schema_name}",
            "components": {"schemas": spec_dict()["components"]["schemas"]},
        }
    )

    def check(instance: Any) -> tuple[str, str] | None:
        if validator.is_valid(instance):
            return None
        error = next(iter(validator.iter_errors(instance)))
        path = ".".join(str(part) for part in error.instance_path)
        message = error.message
        kind = error.kind
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.Not) and set(kind.schema) == {
            "pattern"
        }:  # the spec's "must not start with" rules (the formula guard)
            message = f'{json.dumps(error.instance)} must not match "{kind.schema["pattern"]}"'
        return path or "item", _humane(path, message)

    return check


def _humane(path: str, message: str) -> str:
    return f"{path}: {message}" if path else message
