"""The contract suite's one switch: environment variables -> the target of a run."""

import pytest

from contract_tests.settings import SuiteConfigError, SuiteSettings
from mockserver.settings import DEV_APP, DEV_STREAM_ID

HOST = {
    "KORE_BASE_URL": "https://platform.kore.ai/",
    "KORE_STREAM_ID": "st-7dc994f0-4436-5134-9fa8-a942625xxxxx",
    "KORE_ACCOUNT_ID": "63c7ebae6a2aef36de8f0009",
    "KORE_JWT": "a.b.c",
}


def test_without_a_base_url_the_target_is_the_mock_in_process_with_100_examples():
    settings = SuiteSettings.from_env({})
    assert settings.in_process
    assert (settings.stream_id, settings.account_id) == (DEV_STREAM_ID, DEV_APP.account_id)
    assert settings.examples >= 100
    assert (settings.rate_per_minute, settings.coverage) == (0, True)


def test_a_host_gets_fewer_examples_kores_rate_limit_and_no_coverage_phase():
    settings = SuiteSettings.from_env(HOST)
    assert settings.base_url == "https://platform.kore.ai"
    assert settings.examples < 100
    assert (settings.rate_per_minute, settings.coverage) == (60, False)


def test_counts_and_switches_are_configurable():
    env = HOST | {"KORE_EXAMPLES": "3", "KORE_RATE_PER_MINUTE": "0", "KORE_COVERAGE": "on"}
    settings = SuiteSettings.from_env(env)
    assert (settings.examples, settings.rate_per_minute, settings.coverage) == (3, 0, True)


def test_client_credentials_instead_of_a_jwt():
    env = {k: v for k, v in HOST.items() if k != "KORE_JWT"}
    settings = SuiteSettings.from_env(env | {"KORE_CLIENT_ID": "cs-1", "KORE_CLIENT_SECRET": "s"})
    assert (settings.jwt, settings.client_id) == (None, "cs-1")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"KORE_STREAM_ID": ""}, "KORE_STREAM_ID is required"),
        ({"KORE_ACCOUNT_ID": "4 2"}, "KORE_ACCOUNT_ID='4 2' does not look right"),
        ({"KORE_JWT": ""}, "give KORE_JWT, or KORE_CLIENT_ID and KORE_CLIENT_SECRET"),
        ({"KORE_BASE_URL": "platform.kore.ai"}, "must be an http(s) URL"),
        # each was a traceback once the run started (pytest's INTERNALERROR, exit 3)
        ({"KORE_BASE_URL": "http://127.0.0.1:99999"}, "its port is not a number from 0 to 65535"),
        ({"KORE_BASE_URL": "http://" + "a" * 64 + ":1"}, "its host name is not one"),
        ({"KORE_BASE_URL": "https://h.example/?x=1"}, "it holds a query or a fragment"),
        ({"KORE_BASE_URL": "https://u:secret@h.example"}, "not 'https://…@h.example'"),
        ({"KORE_JWT": "a\nb"}, "KORE_JWT cannot be sent in a header: it holds a newline"),
        ({"KORE_EXAMPLES": "many"}, "KORE_EXAMPLES must be an integer"),
        ({"KORE_EXAMPLES": "0"}, "KORE_EXAMPLES must be at least 1"),
        ({"KORE_COVERAGE": "maybe"}, "KORE_COVERAGE must be 1 or 0"),
    ],
)
def test_an_unusable_environment_is_a_clear_error(change, message):
    with pytest.raises(SuiteConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SuiteSettings.from_env(HOST | change)


@pytest.mark.parametrize("host", [True, False], ids=["a host", "in-process"])
def test_an_unknown_import_policy_is_a_clear_error(host):
    env = (HOST if host else {}) | {"KORE_MOCK_IMPORT_POLICY": "sometimes"}
    with pytest.raises(SuiteConfigError, match="KORE_MOCK_IMPORT_POLICY must be skip or reject"):
        SuiteSettings.from_env(env)


def test_the_in_process_mock_runs_with_the_import_policy_asked():
    """`kore-mock contract --import-policy reject` (it sets KORE_MOCK_IMPORT_POLICY)."""
    settings = SuiteSettings.from_env({"KORE_MOCK_IMPORT_POLICY": "reject"})
    assert settings.import_policy == "reject" and settings.profile.import_policy == "reject"
    assert settings.describe() == "kore-mock in-process (import policy reject)"


def test_a_stated_profile_file_is_what_the_host_is_expected_to_show(tmp_path):
    file = tmp_path / "tenant.yaml"
    file.write_text("validationStatus: 400\nimportPolicy: reject\n")
    settings = SuiteSettings.from_env(HOST | {"KORE_PROFILE": str(file)})
    assert settings.profile is not None and settings.profile.validation_status == 400
    assert settings.import_policy == "reject"
    assert SuiteSettings.from_env(HOST).profile is None  # a host: unknown, every reading accepted
    in_process = SuiteSettings.from_env({"KORE_PROFILE": str(file)})
    assert in_process.profile.validation_status == 400 and "validationStatus=400" in (
        in_process.describe()
    )


def test_a_bad_stated_profile_is_a_clear_error(tmp_path):
    file = tmp_path / "tenant.yaml"
    file.write_text("listQuery: loose\n")
    with pytest.raises(SuiteConfigError, match="listQuery: 'loose' is not allowed"):
        SuiteSettings.from_env(HOST | {"KORE_PROFILE": str(file)})
