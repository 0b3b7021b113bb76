"""The suite's oracle reads the contract itself: its verdict on an item is the spec's, reached by
a different JSON-Schema implementation than the mock's (python-jsonschema vs jsonschema-rs)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given

from contract_tests.checks import list_page_is_consistent
from contract_tests.oracle import contact_input_is_valid
from mockserver.spec import items_check
from tests.contacts.test_fuzz import FUZZ, almost_valid_items

VALID = {
    "firstName": "ann",
    "lastName": "lee",
    "salutation": "Ms",
    "cellPhone": {"phoneNumber": "9876543210", "countryCode": "+91", "extension": "+"},
}


@pytest.mark.parametrize(
    "item",
    [
        {**VALID, "firstName": ""},
        {**VALID, "firstName": "=cmd"},
        {**VALID, "extra": 1},
        {k: v for k, v in VALID.items() if k != "cellPhone"},
        {**VALID, "cellPhone": {"phoneNumber": "98765 43210", "countryCode": "+91"}},
        "not an item",
    ],
)
def test_the_oracle_refuses_what_the_contract_refuses(item):
    assert not contact_input_is_valid(item)


def test_the_oracle_accepts_a_contract_valid_item():
    assert contact_input_is_valid(VALID)


@FUZZ
@given(item=almost_valid_items())
def test_the_oracle_and_the_mocks_check_agree_on_the_contract(item):
    mock_refuses = bool(items_check("ContactInput")([item]))
    assert contact_input_is_valid(item) is not mock_refuses, item


def _list_answer(page: dict, query: dict):
    operation = SimpleNamespace(
        method="GET", definition=SimpleNamespace(raw={"operationId": "listContacts"})
    )
    case = SimpleNamespace(operation=operation, method="GET", query=query)
    response = SimpleNamespace(status_code=200, json=lambda: page)
    return case, response


def test_a_page_whose_has_more_or_total_pages_lies_is_caught():
    """(No broken host got hasMore wrong: deleting its check went unnoticed.)"""
    contact = {"status": "ACTIVE", "cellPhone": {"phoneNumber": "+12015550100"}}
    right = {
        "results": [contact],
        "totalResults": 1,
        "skip": 0,
        "limit": 10,
        "totalPages": 1,
        "hasMore": False,
    }
    assert list_page_is_consistent(None, *reversed(_list_answer(right, {}))) is True
    for lie, says in (({"hasMore": True}, "hasMore True"), ({"totalPages": 2}, "totalPages 2")):
        response, case = reversed(_list_answer({**right, **lie}, {}))
        with pytest.raises(AssertionError, match=says):
            list_page_is_consistent(None, response, case)
