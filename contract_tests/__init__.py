"""Contract tests of the Kore.ai contacts API, generated from openapi.yaml by schemathesis.

Run them against kore-mock in-process (the default: ``pytest contract_tests``) or any host
(KORE_BASE_URL and friends, see ``contract_tests.settings``): ``kore-mock contract``, or
``pytest contract_tests --kore-target`` — a plain pytest run ignores those variables.
"""
