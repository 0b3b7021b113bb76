"""The tenant profile: every behaviour the vendor leaves open, as a named *reading* with a default.

Kore.ai's docs leave some behaviours open, or say them two ways; Kore's own platform answers on
record settle a few. Each such behaviour is a reading with its allowed values, a default (the
strongest evidence there is) and its source:

- *documented*: the vendor's pages say it (where they say it two ways, the sample wins);
- *evidenced*: Kore's platform answers on record (its API tests), not the contacts pages;
- *inferred*: kore-mock's choice where nothing is on record.

The set of readings in force is a ``Profile``. Names are the YAML / JSON keys (camelCase, as in
Kore's own fields); ``Profile`` exposes them as snake_case attributes.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from mockserver.contacts.rules import POLICIES, SKIP
from mockserver.spec import VENDOR

# accountIdFormat -> the pattern of an account id (Python ``fullmatch``; OpenAPI anchors it)
ACCOUNT_ID_FORMATS = {"any": r"[A-Za-z0-9_-]{1,64}", "objectId": r"[0-9a-fA-F]{24}"}

DOCUMENTED = "documented"
EVIDENCED = "evidenced"
INFERRED = "inferred"


class ProfileError(ValueError):
    """A profile names an unknown reading or a value it does not allow; the message says which."""


@dataclass(frozen=True)
class Reading:
    name: str  # the YAML / JSON key
    values: tuple[Any, ...]
    default: Any
    source: str
    about: str

    def check(self, value: Any, where: str) -> Any:
        """``value`` as this reading holds it (``"412"`` -> 412), or ``ProfileError``."""
        for allowed in self.values:
            if value == allowed and type(value) is type(allowed):
                return allowed
            if (
                isinstance(allowed, int)
                and isinstance(value, str)
                and value.strip() == str(allowed)
            ):
                return allowed
        raise ProfileError(
            f"{where}.{self.name}: {value!r} is not allowed "
            f"(allowed: {', '.join(str(v) for v in self.values)})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "values": list(self.values),
            "default": self.default,
            "source": self.source,
            "about": self.about,
        }


def _reading(name: str, values: tuple[Any, ...], source: str, about: str) -> Any:
    """A Profile field; its default is the first value."""
    reading = Reading(name, values, values[0], source, about)
    return field(default=values[0], metadata={"reading": reading})


@dataclass(frozen=True)
class Profile:
    import_policy: str = _reading(
        "importPolicy",
        (SKIP, *(p for p in POLICIES if p != SKIP)),
        INFERRED,
        "rejected rows of an import or create: left out (skip: 200, X-Mock-Rejected-Rows) or "
        "the whole request refused (reject: 400, one error per row)",
    )
    validation_status: int = _reading(
        "validationStatus",
        (412, 400),
        EVIDENCED,
        "a bad body, query, path or header value: 412 'Validation errors/ Invalid arguments' "
        "code 412 as Kore's platform answers, or 400",
    )
    scope_error_code: int = _reading(
        "scopeErrorCode",
        (4002, 4003),
        EVIDENCED,
        "the envelope code of 401 'Permission denied. Scope is incorrect!'",
    )
    duplicate_create_status: int = _reading(
        "duplicateCreateStatus",
        (400, 409, 412),
        INFERRED,
        "the status of a create or import refused whole (policy reject) for duplicate numbers only",
    )
    duplicate_update_status: int = _reading(
        "duplicateUpdateStatus",
        (409, 400, 412),
        INFERRED,
        "an update onto a number another ACTIVE contact holds",
    )
    required_fields: str = _reading(
        "requiredFields",
        ("documented", "lenient"),
        DOCUMENTED,
        "create and import: salutation and cellPhone.extension (their CSV columns) must be "
        "present, values may be empty (documented), or may be absent (lenient)",
    )
    update_bodies: str = _reading(
        "updateBodies",
        ("partial", "full"),
        INFERRED,
        "update and bulk update: only the fields sent change (partial), or every field the "
        "bulk-update table marks required must be sent (full)",
    )
    list_query: str = _reading(
        "listQuery",
        ("strict", "lenient"),
        INFERRED,
        "skip / limit outside skip >= 0, 1 <= limit <= 100: a validation error (strict), or "
        "clamped into range, a non-integer meaning the default (lenient)",
    )
    rate_limit_scope: str = _reading(
        "rateLimitScope",
        ("account", "app"),
        DOCUMENTED,
        "what the rate limit counts per: the accountId header, or the calling app",
    )
    deleted_numbers: str = _reading(
        "deletedNumbers",
        ("released", "kept"),
        INFERRED,
        "a soft-deleted contact releases its number, or keeps holding it",
    )
    bulk_delete_field: str = _reading(
        "bulkDeleteField",
        ("ids", "id"),
        DOCUMENTED,
        "the body field of bulk delete: ids (the page's sample) or id (its table)",
    )
    account_id_format: str = _reading(
        "accountIdFormat",
        ("any", "objectId"),
        INFERRED,  # from the samples: the create page's 123456789, the others' 24 hex
        "the accountId header: any id of letters, digits, - and _ (the create page sends "
        "123456789), or 24 hex characters only (the other samples)",
    )
    not_found_status: int = _reading(
        "notFoundStatus",
        (404, 400),
        INFERRED,
        "an update or delete of a contact id the namespace does not hold",
    )

    @classmethod
    def from_mapping(cls, raw: Any, where: str = "profile") -> Profile:
        """A profile from a YAML / JSON mapping of readings (any subset), checked."""
        return DEFAULT.with_readings(raw, where)

    def with_readings(self, raw: Any, where: str = "profile") -> Profile:
        """This profile with the readings of ``raw`` changed, checked."""
        return replace(self, **_checked(raw, where))

    def to_mapping(self) -> dict[str, Any]:
        return {reading.name: getattr(self, attr) for attr, reading in _BY_ATTR.items()}

    def get(self, name: str) -> Any:
        return getattr(self, _ATTR[name])


def readings() -> tuple[Reading, ...]:
    return tuple(_BY_ATTR.values())


def _checked(raw: Any, where: str) -> dict[str, Any]:
    """``raw`` as Profile keyword arguments; ``ProfileError`` naming the first bad key."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ProfileError(
            f"{where}: must be a mapping of readings (e.g. importPolicy: reject), "
            f"not {type(raw).__name__}"
        )
    changes: dict[str, Any] = {}
    for name, value in raw.items():
        attr = _ATTR.get(name) if isinstance(name, str) else None
        if attr is None:
            raise ProfileError(
                f"{where}: unknown reading {name!r} (readings: {', '.join(sorted(_ATTR))})"
            )
        changes[attr] = _BY_ATTR[attr].check(value, where)
    return changes


_BY_ATTR: dict[str, Reading] = {f.name: f.metadata["reading"] for f in fields(Profile)}
_ATTR: dict[str, str] = {reading.name: attr for attr, reading in _BY_ATTR.items()}
DEFAULT = Profile()


# -- the contract as a profile reads it ---------------------------------------------------------

# the readings that change what openapi.yaml allows (the others change answers, not shapes)
SCHEMA_READINGS = (
    "required_fields",
    "update_bodies",
    "list_query",
    "bulk_delete_field",
    "account_id_format",
)
LIST_PARAMETERS = ("skip", "limit")
# ``listQuery: lenient`` takes any value but an integer no 64-bit offset holds (given once or
# repeated): that stays the validation error on every list request
_BEYOND_64_BITS = {"type": "integer", "anyOf": [{"minimum": 2**63}, {"maximum": -(2**63) - 1}]}
LENIENT_LIST_VALUE = {"not": _BEYOND_64_BITS, "items": {"not": _BEYOND_64_BITS}}


def schema_key(profile: Profile) -> tuple[str, ...]:
    return tuple(getattr(profile, attr) for attr in SCHEMA_READINGS)


def document_for(profile: Profile) -> dict[str, Any]:
    """openapi.yaml as ``profile`` reads it (the document itself for the defaults). The mock
    validates requests against it; a contract suite told the profile generates from it."""
    return document_for_key(schema_key(profile))


@functools.cache
def document_for_key(key: tuple[str, ...]) -> dict[str, Any]:
    """``document_for`` of any profile whose ``schema_key`` is ``key``."""
    if key == schema_key(DEFAULT):
        return VENDOR.document
    return transformed(VENDOR.document, profile_for_key(key))


def profile_for_key(key: tuple[str, ...]) -> Profile:
    """The default profile with the schema readings of ``key``."""
    return replace(DEFAULT, **dict(zip(SCHEMA_READINGS, key, strict=True)))


def transformed(original: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """A copy of an openapi.yaml document as ``profile`` reads it (the one definition of what
    each schema reading changes; the contract suite applies it to its own parse)."""
    document = copy.deepcopy(original)
    schemas = document["components"]["schemas"]
    if profile.required_fields == "lenient":
        _without(schemas["ContactInput"]["required"], "salutation")
        _without(schemas["CellPhoneInput"]["required"], "extension")
    if profile.update_bodies == "full":
        names = ["firstName", "lastName", "salutation", "cellPhone"]
        schemas["ContactPatch"]["required"] = names
        schemas["BulkUpdateItem"]["required"] = ["id", *names]
        schemas["CellPhoneChange"]["required"] = ["phoneNumber", "countryCode", "extension"]
    operations = {
        operation["operationId"]: operation
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    if profile.list_query == "lenient":
        for parameter in operations["listContacts"]["parameters"]:
            if parameter["name"] in LIST_PARAMETERS:
                # anything else: the handler clamps it into the page
                parameter["schema"] = copy.deepcopy(LENIENT_LIST_VALUE)
    if profile.bulk_delete_field == "id":
        body = operations["bulkDeleteContacts"]["requestBody"]["content"]["application/json"]
        body["schema"]["properties"] = {"id": body["schema"]["properties"].pop("ids")}
        body["schema"]["required"] = ["id"]
    if profile.account_id_format != "any":
        pattern = ACCOUNT_ID_FORMATS[profile.account_id_format]
        document["components"]["parameters"]["AccountId"]["schema"]["pattern"] = f"^{pattern}$"
    return document


def _without(names: list[str], name: str) -> None:
    if name in names:
        names.remove(name)
