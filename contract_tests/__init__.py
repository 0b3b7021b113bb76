"""Contract tests of the Kore.ai contacts API, generated from openapi.yaml by schemathesis.

Run them against kore-mock in-process (the default) or any host (KORE_BASE_URL and friends, see
``contract_tests.settings``): ``pytest contract_tests`` or ``kore-mock contract``.
"""
