"""Item rules on their own: the schema check is injected, the phone rules are the domain's."""

from __future__ import annotations

from mockserver.contacts.model import InvalidField
from mockserver.contacts.rules import Candidate, ItemRules, Rejection
from mockserver.spec import items_check

SPEC_RULES = ItemRules(items_check("ContactInput"))


def item(**fields) -> dict:
    base = {
        "firstName": "ann",
        "lastName": "lee",
        "salutation": "",
        "cellPhone": {"phoneNumber": "9876543210", "countryCode": "91", "extension": ""},
    }
    return {**base, **fields}


def test_a_valid_item_becomes_a_candidate_with_its_number_key():
    [(row, candidate)] = SPEC_RULES.candidates([(7, item())])
    assert row == 7 and isinstance(candidate, Candidate)
    assert candidate == Candidate(7, "ann", "lee", "", candidate.phone)
    assert (candidate.phone.number_key, candidate.phone.country_code) == ("+919876543210", "+91")


def test_results_keep_the_request_order_and_row_numbers():
    rows = [(1, item()), (2, item(firstName="")), (3, item(lastName="ng"))]
    results = SPEC_RULES.candidates(rows)
    assert [row for row, _ in results] == [1, 2, 3]
    assert [type(outcome) for _, outcome in results] == [Candidate, InvalidField, Candidate]
    assert results[1][1].field == "firstName"


def test_the_injected_schema_check_decides_field_rules():
    rules = ItemRules(lambda items: {1: ("salutation", "salutation: not today")})
    first, second = rules.candidates([(1, item()), (2, item())])
    assert isinstance(first[1], Candidate)
    assert (second[1].field, second[1].msg) == ("salutation", "salutation: not today")


def test_phone_rules_apply_after_the_schema_and_name_the_field_inside_cell_phone():
    rules = ItemRules(lambda items: {})  # a schema check that accepts everything
    [(_, outcome)] = rules.candidates(
        [(1, item(cellPhone={"phoneNumber": "12", "countryCode": "+1"}))]
    )
    assert isinstance(outcome, InvalidField)
    assert outcome.field == "cellPhone.phoneNumber" and "E.164" in outcome.msg


def test_a_bad_country_code_is_refused_by_the_phone_rule():
    try:
        ItemRules.phone({"phoneNumber": "9876543210", "countryCode": "+1234"})
    except InvalidField as exc:
        assert exc.field == "cellPhone.countryCode"
    else:
        raise AssertionError("a four-digit country code was accepted")


def test_a_rejection_reports_only_what_it_knows():
    rejection = Rejection(row=3, reason="INVALID_FIELD", msg="Row 3: bad", field="firstName")
    assert rejection.to_report() == {
        "row": 3,
        "reason": "INVALID_FIELD",
        "field": "firstName",
        "msg": "Row 3: bad",
    }
