"""The suite's oracle reads the contract itself: its verdict on an item is the spec's, reached by
a different JSON-Schema implementation than the mock's (python-jsonschema vs jsonschema-rs)."""

from __future__ import annotations

import pytest
from hypothesis import given

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
