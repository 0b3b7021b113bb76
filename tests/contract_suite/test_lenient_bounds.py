"""The suite's list values under ``listQuery: lenient`` fit in a request line."""

from __future__ import annotations

from types import SimpleNamespace

from contract_tests.checks import _clamped, beyond_64_bits
from contract_tests.oracle import document
from contract_tests.schema import LENIENT_BOUNDS, configuration, within_a_request_line
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


def test_a_value_sent_once_is_read_as_once_however_the_case_holds_it():
    """(The coverage phase holds `?limit=000` as a one-item list: the suite took it for a name
    given twice and expected the default 10, where the lenient mock rightly answered 1.)"""
    assert _clamped(["000000000000000000000"], 10, 1, 100) == 1
    assert _clamped("000", 10, 1, 100) == 1
    assert _clamped(["5", "6"], 10, 1, 100) == 10  # a name given twice: the default
    assert _clamped(" -3 ", 0, 0) == 0 and _clamped("abc", 0, 0) == 0


def test_a_lenient_host_is_refused_nothing_but_values_beyond_64_bits():
    """(A list query past the suite's own generation bounds, which `listQuery: lenient` takes,
    was reported as "Schema-violating request accepted" against a correct host.)"""
    config = configuration(_target_stating({"listQuery": "lenient"}))
    [listing] = [o for o in config["operations"] if o["include-operation-id"] == ["listContacts"]]
    assert "2xx" in listing["checks"]["negative_data_rejection"]["expected-statuses"]
    strict = configuration(_target_stating({}))
    assert all(o["include-operation-id"] != ["listContacts"] for o in strict["operations"])
    # the values the reading still refuses: integers beyond 64 bits, given once or repeated
    assert [beyond_64_bits(v) for v in ("9" * 19, "-" + "9" * 20, "-" + "9" * 18, "x" * 25)] == [
        True,
        True,
        False,
        False,
    ]


def _target_stating(readings):
    settings = SimpleNamespace(
        in_process=False,
        examples=1,
        coverage=False,
        seed=None,
        profile=DEFAULT.with_readings(readings),
    )
    return SimpleNamespace(
        settings=settings, base_url="http://h", token="t", account_id="a", stream_id="st-x"
    )
