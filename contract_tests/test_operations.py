"""Property tests: every operation of openapi.yaml, with generated valid and invalid requests.

Each case is sent and checked by all of schemathesis' checks (server errors, status codes,
content types, response schemas and headers, acceptance of valid and refusal of invalid data,
ignored auth, wrong methods) plus the suite's own (``contract_tests.checks``).
"""

from contract_tests.run import current

schema = current().schema


@schema.parametrize()
def test_operation_keeps_the_contract(case):
    case.call_and_validate()
