"""What the contract says a valid contact item is, read from openapi.yaml by the suite itself.

The suite's own parse of the document and python-jsonschema (the reference implementation of
JSON Schema), so that no code of the mock — its parse, its jsonschema-rs check — decides what
the suite expects of the mock (see ``checks``). Under a stated tenant profile the document is
read as that profile reads it (``profile.transformed``, the one written definition of what each
reading changes in the contract), applied to this parse.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import yaml

from mockserver.profile import DEFAULT, Profile, profile_for_key, schema_key, transformed
from mockserver.spec import VENDOR

_stated: Profile = DEFAULT  # the profile the run states (``use_profile``)


@functools.cache
def _document() -> dict[str, Any]:
    """openapi.yaml, parsed here (only its location comes from the mock's package)."""
    return yaml.safe_load(VENDOR.path.read_text(encoding="utf-8"))


def document(profile: Profile | None = None) -> dict[str, Any]:
    """The contract as ``profile`` (default: the stated one) reads it."""
    return _read_as(schema_key(profile or _stated))


@functools.cache
def _read_as(key: tuple[str, ...]) -> dict[str, Any]:
    if key == schema_key(DEFAULT):
        return _document()
    return transformed(_document(), profile_for_key(key))


def use_profile(profile: Profile | None) -> None:
    """The run's stated profile decides which items are valid (None: the defaults)."""
    global _stated
    _stated = profile or DEFAULT


def stated() -> Profile:
    """The profile the run states (the defaults when it states none)."""
    return _stated


def _contact_input() -> jsonschema.protocols.Validator:
    return _contact_input_for(schema_key(_stated))


@functools.cache
def _contact_input_for(key: tuple[str, ...]) -> jsonschema.protocols.Validator:
    schema = {
        "$ref": "#/components/schemas/ContactInput",
        "components": {"schemas": _read_as(key)["components"]["schemas"]},
    }
    validator = jsonschema.Draft202012Validator
    validator.check_schema(schema)
    return validator(schema)


def contact_input_is_valid(item: Any) -> bool:
    """Whether ``item`` conforms to the contract's ``ContactInput`` schema (python-jsonschema)."""
    return _contact_input().is_valid(item)
