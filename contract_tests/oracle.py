"""What the contract says a valid contact item is, read from openapi.yaml by the suite itself.

The suite's own parse of the document and python-jsonschema (the reference implementation of
JSON Schema), so that no code of the mock — its parse, its jsonschema-rs check — decides what
the suite expects of the mock (see ``checks``).
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import yaml

from mockserver.spec import VENDOR


@functools.cache
def _document() -> dict[str, Any]:
    """openapi.yaml, parsed here (only its location comes from the mock's package)."""
    return yaml.safe_load(VENDOR.path.read_text(encoding="utf-8"))


@functools.cache
def _contact_input() -> jsonschema.protocols.Validator:
    schema = {
        "$ref": "#/components/schemas/ContactInput",
        "components": {"schemas": _document()["components"]["schemas"]},
    }
    validator = jsonschema.Draft202012Validator
    validator.check_schema(schema)
    return validator(schema)


def contact_input_is_valid(item: Any) -> bool:
    """Whether ``item`` conforms to the contract's ``ContactInput`` schema (python-jsonschema)."""
    return _contact_input().is_valid(item)
