"""openapi.yaml loaded by schemathesis and pointed at the target, with the suite's configuration.

Every choice here is also what a user would write in a ``schemathesis.toml``; it lives in code
because the values (token, account, stream, example counts) come from the environment.
"""

from __future__ import annotations

import copy
from typing import Any

import schemathesis
from schemathesis.schemas import BaseSchema

from contract_tests import checks  # noqa: F401  (registers the suite's own checks)
from contract_tests.csv_files import csv_files
from contract_tests.oracle import document
from contract_tests.target import Target
from mockserver.profile import (
    DEFAULT,
    LENIENT_LIST_VALUE,
    LIST_PARAMETERS,
    Profile,
    readings,
    schema_key,
)
from mockserver.spec import VENDOR

# A save refusing rows answers 400 under the `reject` policy (409 or 412 per the reading
# duplicateCreateStatus), and an import file can be unusable (malformed CSV) although the
# multipart body itself is schema-valid.
SAVE_ACCEPTANCE = ["2xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]
# Statuses with which the contract documents refusing a request (412: Kore's validation answer).
REFUSALS = ["400", "401", "404", "405", "412", "413", "415"]
SAVE_OPERATIONS = ["createContacts", "importContacts"]
# schemathesis' own acceptance of a schema-valid request (a contact may be unknown: 404)...
ACCEPTANCE = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# ...and the readings that give a valid update or delete another status: an unknown id
# (notFoundStatus), a number another contact holds (duplicateUpdateStatus)
ANSWER_READINGS = {
    "updateContact": ("notFoundStatus", "duplicateUpdateStatus"),
    "deleteContact": ("notFoundStatus",),
}
MISSING_HEADER = ["400", "401", "403", "406", "412", "415", "422"]


def configuration(target: Target) -> dict[str, Any]:
    settings = target.settings
    config: dict[str, Any] = {
        "base-url": target.base_url,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        # the in-process token is the public development app's; a real one stays out of logs
        "output": {"sanitization": {"enabled": not settings.in_process}},
        "auth": {"openapi": {"JWT": {"api_key": target.token}}},
        "parameters": {
            "header.accountId": target.account_id,
            "path.streamId": target.stream_id,
        },
        # The token comes from the auth config; generating it too would only produce negative
        # cases the config then repairs. `ignored_auth` probes missing and invalid tokens.
        # No NUL in generated strings: kore-mock reads a JSON body holding one as it reads
        # invalid UTF-8 (400: PostgreSQL's text cannot hold it), which no schema says.
        "generation": {
            "max-examples": settings.examples,
            "with-security-parameters": False,
            "allow-x00": False,
        },
        # The app under test is the suite's own entry point, not the host's code.
        "analysis": {"constants": {"enabled": False}},
        "phases": {"coverage": {"enabled": settings.coverage}},
        "checks": {
            "negative_data_rejection": {"expected-statuses": REFUSALS},
            # a missing accountId is a value the contract does not allow: Kore's 412 too
            "missing_required_header": {"expected-statuses": MISSING_HEADER},
            "ignored_auth": {"enabled": False},  # run as `auth_is_enforced`, once per operation
            # run as `created_contact_is_addressable`, which knows bulk delete
            "ensure_resource_availability": {"enabled": False},
        },
        "operations": [
            {
                "include-operation-id": SAVE_OPERATIONS,
                "checks": {"positive_data_acceptance": {"expected-statuses": SAVE_ACCEPTANCE}},
            },
            *(
                {
                    "include-operation-id": [operation],
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": acceptance(settings.profile, names)
                        }
                    },
                }
                for operation, names in ANSWER_READINGS.items()
            ),
            *(
                # under listQuery: lenient a list's query breaks only the generation bounds
                # (LENIENT_BOUNDS): checks.lenient_list_refuses_only_what_it_must judges it
                [
                    {
                        "include-operation-id": ["listContacts"],
                        "checks": {
                            "negative_data_rejection": {"expected-statuses": [*REFUSALS, "2xx"]}
                        },
                    }
                ]
                if settings.profile is not None and settings.profile.list_query == "lenient"
                else []
            ),
        ],
    }
    if settings.seed is not None:
        config["seed"] = settings.seed
    return config


def acceptance(profile: Profile | None, names: tuple[str, ...]) -> list[str]:
    """The statuses a schema-valid request may answer: schemathesis' own, and those the
    readings ``names`` give — as ``profile`` states them, or any of their values (no profile:
    every reading is accepted)."""
    by_name = {reading.name: reading for reading in readings()}
    given = {
        str(value)
        for name in names
        for value in (by_name[name].values if profile is None else (profile.get(name),))
    }
    return [*ACCEPTANCE, *sorted(given - set(ACCEPTANCE))]


# ``listQuery: lenient`` takes any string or array for skip and limit. A request line past a
# server's limit (4094 bytes at kore-mock: gunicorn's) is refused 414 before any API sees it, a
# transport answer no contract describes; the suite generates list values that fit in one (two
# parameters of 5 values of 20 characters: under 2,500 bytes even percent-encoded).
LENIENT_BOUNDS = {"maxLength": 20, "maxItems": 5, "maxProperties": 5}


def within_a_request_line(contract: dict[str, Any]) -> dict[str, Any]:
    """``contract`` with the lenient list parameters bounded for generation (LENIENT_BOUNDS);
    the document itself is left as it is (the oracle reads it)."""
    if not any(_lenient(p) for p in contract["paths"].values() for p in _list_parameters(p)):
        return contract
    bounded = copy.deepcopy(contract)
    for item in bounded["paths"].values():
        for parameter in _list_parameters(item):
            if _lenient(parameter):
                schema = parameter["schema"]
                schema.update(LENIENT_BOUNDS)
                schema["items"] = {**schema.get("items", {}), **LENIENT_BOUNDS}
    return bounded


def _list_parameters(item: dict[str, Any]) -> list[dict[str, Any]]:
    operation = item.get("get") or {}
    if operation.get("operationId") != "listContacts":
        return []
    return [p for p in operation.get("parameters", []) if p.get("name") in LIST_PARAMETERS]


def _lenient(parameter: dict[str, Any]) -> bool:
    return parameter.get("schema") == LENIENT_LIST_VALUE


def load_schema(target: Target) -> BaseSchema:
    schemathesis.openapi.media_type("text/csv", csv_files(target.numbers))
    config = schemathesis.Config.from_dict(configuration(target))
    profile = target.settings.profile
    if profile is None or schema_key(profile) == schema_key(DEFAULT):
        schema = schemathesis.openapi.from_path(VENDOR.path, config=config)
    else:  # the document as the stated profile reads it (e.g. bulkDeleteField: id)
        generated = within_a_request_line(document(profile))
        schema = schemathesis.openapi.from_dict(generated, config=config)
    schema.app = target.app
    return schema
