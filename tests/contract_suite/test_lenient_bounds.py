"""The suite's list values under ``listQuery: lenient`` fit in a request line."""

from __future__ import annotations

from contract_tests.oracle import document
from contract_tests.schema import LENIENT_BOUNDS, within_a_request_line
from mockserver.profile import DEFAULT, LENIENT_LIST_VALUE


def _list_schemas(contract):
    for item in contract["paths"].values():
        operation = item.get("get") or {}
        if operation.get("operationId") == "listContacts":
            return {
                p["name"]: p["schema"]
                for p in operation["parameters"]
                if p.get("name") in ("skip", "limit")
            }
    raise AssertionError("no listContacts")


def test_lenient_list_values_are_generated_short_enough_for_a_request_line():
    """(A generated limit of ~4,100 characters met kore-mock's 414, which no document
    describes, and failed the suite on a correct host.)"""
    lenient = document(DEFAULT.with_readings({"listQuery": "lenient"}))
    bounded = _list_schemas(within_a_request_line(lenient))
    for schema in bounded.values():
        assert LENIENT_BOUNDS.items() <= schema.items()
        assert LENIENT_BOUNDS.items() <= schema["items"].items()
    assert all(schema == LENIENT_LIST_VALUE for schema in _list_schemas(lenient).values())


def test_the_default_contract_is_generated_from_as_it_is():
    contract = document(DEFAULT)
    assert within_a_request_line(contract) is contract
